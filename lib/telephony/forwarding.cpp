#include "telephony/forwarding.hpp"

#include "core/e164.hpp"
#include "core/input.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <array>

namespace crm::telephony {
namespace {

struct CarrierInfo {
  Carrier carrier;
  const char* name;
  const char* display; // how instructions name it
};

constexpr std::array<CarrierInfo, 6> k_carriers = {{
    {Carrier::att, "att", "AT&T"},
    {Carrier::tmobile, "tmobile", "T-Mobile"},
    {Carrier::verizon, "verizon", "Verizon"},
    {Carrier::sprint, "sprint", "Sprint"},
    {Carrier::other_gsm, "other_gsm", "your GSM carrier"},
    {Carrier::other_cdma, "other_cdma", "your CDMA carrier"},
}};

const CarrierInfo& info_of(Carrier c) {
  for (const auto& i : k_carriers)
    if (i.carrier == c) return i;
  return k_carriers.front(); // unreachable: every enumerator is in the table
}

// The code templates of one carrier family (seed 002 §17.2 and §17.5).
struct Syntax {
  std::string total_ai, safety_net, deactivate_total_ai, deactivate_safety_net;
};

Syntax syntax_of(Carrier c, const std::string& dest, int ring) {
  std::string r = std::to_string(ring);
  switch (c) {
  case Carrier::att:
    return {"*21*" + dest + "#", "*004*" + dest + "*11*" + r + "#", "#21#", "##004#"};
  case Carrier::tmobile:
  case Carrier::sprint:    // seed: "same as T-Mobile" (Sprint lines now run on T-Mobile's network)
  case Carrier::other_gsm: // the standard GSM MMI codes (3GPP TS 22.030): CFU 21, CFNRy 61
    return {"**21*" + dest + "#", "**61*" + dest + "*11*" + r + "#", "##21#", "##61#"};
  case Carrier::verizon:
  case Carrier::other_cdma: // CDMA feature codes: *72 all calls, *71 no answer/busy, *73 off
    return {"*72" + dest, "*71" + dest, "*73", "*73"};
  }
  return {};
}

} // namespace

const std::vector<std::string>& carrier_names() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> v;
    for (const auto& i : k_carriers)
      v.emplace_back(i.name);
    return v;
  }();
  return k_names;
}

const std::vector<std::string>& forwarding_mode_names() {
  static const std::vector<std::string> k_names = {"total_ai", "safety_net"};
  return k_names;
}

Result<Carrier> parse_carrier(std::string_view name) {
  for (const auto& i : k_carriers)
    if (name == i.name) return i.carrier;
  return make_error(ErrorKind::usage,
                    "unknown carrier '" + excerpt(name) + "': use one of " + join(carrier_names()));
}

Result<ForwardingMode> parse_forwarding_mode(std::string_view name) {
  if (name == "total_ai") return ForwardingMode::total_ai;
  if (name == "safety_net") return ForwardingMode::safety_net;
  return make_error(ErrorKind::usage,
                    "unknown forwarding mode '" + excerpt(name) + "': use total_ai or safety_net");
}

const char* carrier_name(Carrier c) {
  return info_of(c).name;
}

const char* forwarding_mode_name(ForwardingMode m) {
  return m == ForwardingMode::total_ai ? "total_ai" : "safety_net";
}

Network network_of(Carrier c) {
  return c == Carrier::verizon || c == Carrier::other_cdma ? Network::cdma : Network::gsm;
}

int round_ring_seconds(int seconds) {
  int rest = seconds % k_ring_step_seconds;
  return rest * 2 >= k_ring_step_seconds ? seconds - rest + k_ring_step_seconds : seconds - rest;
}

Result<ForwardingCodes> forwarding_codes(const ForwardingRequest& req) {
  CRM_TRY(check_text(req.destination, TextRule("--to", 32)));
  CRM_TRY_ASSIGN(std::string dest, parse_e164(req.destination));
  if (req.ring_seconds &&
      (*req.ring_seconds < k_ring_min_seconds || *req.ring_seconds > k_ring_max_seconds))
    return make_error(ErrorKind::usage, "--ring " + std::to_string(*req.ring_seconds) +
                                            ": the ring time must be " +
                                            std::to_string(k_ring_min_seconds) + "-" +
                                            std::to_string(k_ring_max_seconds) + " seconds");
  ForwardingCodes out;
  out.carrier = req.carrier;
  out.mode = req.mode;
  out.destination = dest;
  const bool safety = req.mode == ForwardingMode::safety_net;
  const bool gsm = network_of(req.carrier) == Network::gsm;
  const std::string carrier = info_of(req.carrier).display;

  // The ring time the code carries: GSM safety net only, rounded to the network's steps.
  int ring = req.ring_seconds.value_or(k_ring_default_seconds);
  if (safety && gsm) {
    int rounded = round_ring_seconds(ring);
    if (rounded != ring)
      out.notes.push_back("ring time " + std::to_string(ring) + " s rounded to " +
                          std::to_string(rounded) + " s: GSM networks accept " +
                          std::to_string(k_ring_step_seconds) + "-second steps");
    ring = rounded;
    out.ring_seconds = ring;
    if (ring > k_gsm_common_max_seconds)
      out.notes.push_back("many GSM networks accept at most " +
                          std::to_string(k_gsm_common_max_seconds) +
                          " s: if the network refuses the code, use --ring " +
                          std::to_string(k_gsm_common_max_seconds) + " or less");
  }
  if (!safety && req.ring_seconds)
    out.notes.push_back("--ring " + std::to_string(*req.ring_seconds) +
                        " is ignored in total_ai mode: every call is forwarded at once");
  if (safety && !gsm) {
    std::string note = carrier +
                       " does not support setting the ring time by code: the carrier's default "
                       "(about 30 s) applies";
    if (req.ring_seconds) note += "; --ring " + std::to_string(*req.ring_seconds) + " is ignored";
    out.notes.push_back(note);
  }

  Syntax s = syntax_of(req.carrier, dest, ring);
  out.activation_code = safety ? s.safety_net : s.total_ai;
  out.deactivation_code = safety ? s.deactivate_safety_net : s.deactivate_total_ai;

  if (safety && gsm && req.carrier != Carrier::att)
    out.notes.push_back("**61 forwards unanswered calls only; busy and unreachable calls keep the "
                        "line's other forwarding settings");
  if (safety && req.carrier == Carrier::att)
    out.notes.push_back("*004* forwards calls that are unanswered, busy or unreachable");
  if (req.carrier == Carrier::sprint)
    out.notes.push_back("Sprint lines run on T-Mobile's network: the T-Mobile codes apply");
  if (req.carrier == Carrier::other_gsm)
    out.notes.push_back("##002# cancels every forwarding rule of the line at once, if " +
                        out.deactivation_code + " leaves one active");
  if (!gsm && dest.rfind("+1", 0) == 0)
    out.notes.push_back("if the network refuses the '+', dial the code with the 10-digit number: " +
                        std::string(safety ? "*71" : "*72") + dest.substr(2));
  if (!gsm) out.notes.push_back("*73 turns off both *72 and *71 forwarding");

  // Steps (seed 002 §17.6, step 4 of the wizard), for a terminal instead of a dashboard.
  std::string check =
      safety ? "call your SIM number from another phone and leave it unanswered: after " +
                   (gsm ? "about " + std::to_string(ring) + " s" : std::string("about 30 s")) +
                   " the AI at " + dest + " answers"
             : "call your SIM number from another phone: the AI at " + dest + " answers at once";
  out.instructions = {
      "1. On the phone that holds the SIM (" + carrier + "), open the phone dialer",
      "2. Dial: " + out.activation_code,
      "3. Press Call and wait for the confirmation tone or message, then hang up",
      "4. Check: " + check,
      "5. To stop forwarding later, dial: " + out.deactivation_code,
  };
  return out;
}

} // namespace crm::telephony
