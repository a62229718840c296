#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"
#include "core/e164.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_release(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberReleaseOptions>();
  auto* app = add_command(
      noun, ctx, "release",
      {"Release a tenant's number: ElevenLabs delete, Twilio release, record",
       "Deletes the ElevenLabs import, releases the number on the Twilio account that bought it, "
       "marks it released and frees its route. A number already gone at a provider counts as "
       "released there; an interrupted release is finished by running it again. Only the "
       "tenant's own numbers; asks for confirmation (--yes without a terminal).",
       {"crmctl number release --tenant acme +14155550100 --yes"}});
  app->add_option("number", o->number, "The E.164 number")->required();
  on_run(app, ctx, o, run_number_release, Effect::destroys);
}

Result<void> run_number_release(const NumberReleaseOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto e164, parse_e164(o.number));
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto e, env(d, call, false));
  if (!d.global().dry_run) {
    // Refuse numbers the tenant does not have before asking anything.
    if (auto read = in_tenant_tx(d, call,
                                 [&](db::TenantTx& tx) -> Status {
                                   CRM_TRY(telephony::find_number(tx, call.tenant, e164));
                                   return {};
                                 });
        !read)
      return std::move(read).error();
    CRM_TRY_ASSIGN(bool yes, d.confirm("release " + e164 + " of '" + call.tenant.slug +
                                           "' on Twilio and ElevenLabs? It cannot be undone",
                                       call.tenant.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing released");
  }
  auto r = telephony::release_number(e, e164, dry_run_of(d));
  if (!r) return std::move(r).error();
  print_result(d, *r);
  return {};
}

} // namespace crm::cmd
