#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_buy(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberBuyOptions>();
  auto* app = add_command(
      noun, ctx, "buy",
      {"Buy a Twilio number for a tenant (a saga: never bought twice)",
       "Buys on the tenant's own Twilio account, else the platform account, with VoiceUrl, SmsUrl "
       "and StatusCallback under the profile's webhook_base_url, and records the number for the "
       "tenant. The number is reserved for the tenant and an intent row committed before Twilio "
       "is called; when the answer is lost Twilio is asked whether the purchase happened, never "
       "asked to buy again. --idempotency-key makes a retried command (cron, CI) resume or "
       "return the first run's outcome.",
       {"crmctl number buy --tenant acme --number +14155550100",
        "crmctl number buy --tenant acme --area-code 778 --country CA",
        "crmctl number buy --tenant acme --number +14155550100 --idempotency-key onboarding-acme "
        "--dry-run"}});
  auto* num = app->add_option("--number", o->number, "The E.164 number to buy");
  auto* area = app->add_option("--area-code", o->area_code, "Buy any number in this area code");
  num->excludes(area);
  app->add_option("--country", o->country, "Country of --area-code (default US)");
  app->add_option("--idempotency-key", o->idempotency_key,
                  "Key of this purchase: the same key again never buys a second number");
  on_run(app, ctx, o, run_number_buy, Effect::writes);
}

Result<void> run_number_buy(const NumberBuyOptions& o, Deps& d) {
  if (o.number.empty() == o.area_code.empty())
    return make_error(ErrorKind::usage, "pass exactly one of --number E164 or --area-code NNN");
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto e, env(d, call, true));
  telephony::BuyRequest req{o.number, o.area_code, o.country, o.idempotency_key};
  d.interrupt().cooperative = true;
  auto r = telephony::buy_number(e, req, dry_run_of(d));
  d.interrupt().cooperative = false;
  if (!r) return std::move(r).error();
  print_result(d, *r);
  return {};
}

} // namespace crm::cmd
