#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_route(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberRouteOptions>();
  auto* app = add_command(
      noun, ctx, "route",
      {"Turn the AI on or off for a number (RinglyPro's toggle, done on Twilio)",
       "--ai off points the number's VoiceUrl at the forward-to-owner TwiML URL "
       "(<webhook_base_url>/webhooks/twilio/forward?to=E164) after remembering the URL the AI "
       "answers on; --ai on puts that URL back. --forward-to is required the first time.",
       {"crmctl number route --tenant acme +14155550100 --ai off --forward-to +14155550199",
        "crmctl number route --tenant acme +14155550100 --ai on"}});
  app->add_option("number", o->number, "The E.164 number")->required();
  app->add_option("--ai", o->ai, "on: the AI answers; off: calls go to the owner")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  app->add_option("--forward-to", o->forward_to, "The owner's E.164 number (for --ai off)");
  on_run(app, ctx, o, run_number_route, Effect::writes);
}

Result<void> run_number_route(const NumberRouteOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto e, env(d, call, true));
  auto r = telephony::route_number(e, o.number, o.ai == "on", o.forward_to, dry_run_of(d));
  if (!r) return std::move(r).error();
  print_result(d, *r);
  return {};
}

} // namespace crm::cmd
