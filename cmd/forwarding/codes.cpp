#include "cmd/forwarding/commands.hpp"
#include "core/text.hpp"
#include "telephony/forwarding.hpp"

#include <ostream>

namespace crm::cmd {
namespace {

nlohmann::json json_of(const telephony::ForwardingCodes& c) {
  return {{"carrier", telephony::carrier_name(c.carrier)},
          {"mode", telephony::forwarding_mode_name(c.mode)},
          {"to", c.destination},
          {"ring_seconds", c.ring_seconds ? nlohmann::json(*c.ring_seconds) : nlohmann::json()},
          {"activation_code", c.activation_code},
          {"deactivation_code", c.deactivation_code},
          {"instructions", c.instructions},
          {"notes", c.notes}};
}

} // namespace

void register_forwarding_codes(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ForwardingCodesOptions>();
  auto* app = add_command(
      noun, ctx, "codes",
      {"Print the codes that forward a SIM number to the AI number",
       "total_ai forwards every call at once; safety_net forwards calls left unanswered after the "
       "ring time (default 25 s, 5-60 s; GSM codes take it in 5-second steps, so it is rounded "
       "to the nearest step and the output says so). Codes: tmobile **21*TO# / **61*TO*11*RING#, "
       "off ##21# / ##61#; att *21*TO# / *004*TO*11*RING#, off #21# / ##004#; sprint uses the "
       "T-Mobile codes (Sprint lines run on T-Mobile's network); other_gsm the standard GSM codes "
       "(as tmobile; ##002# clears every rule); verizon and other_cdma *72TO / *71TO, off *73, "
       "with no ring time (a note says the ring time is ignored). TO is the E.164 number with its "
       "'+'. --ring with total_ai is ignored with a note; out of range it is a usage error. "
       "Reads and writes nothing.",
       {"crmctl forwarding codes --carrier tmobile --mode total_ai --to +15550109999",
        "crmctl forwarding codes --carrier att --mode safety_net --to +15550109999 --ring 20",
        "crmctl forwarding codes --carrier verizon --mode safety_net --to +15550109999 -o json"}});
  app->add_option("--carrier", o->carrier, "att, tmobile, verizon, sprint, other_gsm, other_cdma")
      ->required()
      ->check(CLI::IsMember(telephony::carrier_names()));
  app->add_option("--mode", o->mode, "total_ai (every call) or safety_net (unanswered calls)")
      ->required()
      ->check(CLI::IsMember(telephony::forwarding_mode_names()));
  app->add_option("--to", o->to, "The AI number calls are forwarded to (E.164, e.g. +15550109999)")
      ->required();
  app->add_option("--ring", o->ring,
                  "safety_net: seconds the phone rings before forwarding (5-60, default 25)");
  on_run(app, ctx, o, run_forwarding_codes, Effect::reads);
}

Result<void> run_forwarding_codes(const ForwardingCodesOptions& o, Deps& d) {
  telephony::ForwardingRequest req;
  CRM_TRY_ASSIGN(req.carrier, telephony::parse_carrier(o.carrier));
  CRM_TRY_ASSIGN(req.mode, telephony::parse_forwarding_mode(o.mode));
  req.destination = o.to;
  req.ring_seconds = o.ring;
  CRM_TRY_ASSIGN(auto codes, telephony::forwarding_codes(req));
  nlohmann::json j = json_of(codes);
  if (d.format() != Format::table) {
    d.print(j);
    return {};
  }
  // A terminal reads the codes as fields, then the steps and notes as lines.
  d.print(j, {{"carrier", "mode", "to", "ring_seconds", "activation_code", "deactivation_code"}});
  auto& out = d.io().out;
  out << "\nInstructions:\n";
  for (const auto& s : codes.instructions)
    out << "  " << escape_for_terminal(s) << "\n";
  if (!codes.notes.empty()) {
    out << "\nNotes:\n";
    for (const auto& n : codes.notes)
      out << "  - " << escape_for_terminal(n) << "\n";
  }
  out.flush();
  return {};
}

} // namespace crm::cmd
