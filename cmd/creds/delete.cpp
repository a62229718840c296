#include "cmd/creds/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_delete(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsDeleteOptions>();
  auto* app = add_command(noun, ctx, "delete",
                          {"Delete a tenant's credentials for one provider",
                           "",
                           {"crmctl creds delete --tenant acme retell --yes"}});
  app->add_option("provider", o->provider, "twilio, elevenlabs, retell or google")->required();
  on_run(app, ctx, o, run_creds_delete, Effect::destroys);
}

Result<void> run_creds_delete(const CredsDeleteOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes,
                   d.confirm("delete " + o.provider + " credentials of '" + call.tenant.slug + "'",
                             call.tenant.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing deleted");
  }
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::delete_credentials(tx, call.tenant, o.provider, call.actor,
                                                     dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
