#include "cmd/apikey/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_apikey_revoke(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ApikeyRevokeOptions>();
  auto* app = add_command(
      noun, ctx, "revoke",
      {"Revoke an API key by prefix or id", "", {"crmctl apikey revoke --tenant acme 1a2b3c4d"}});
  app->add_option("key", o->key, "Key prefix or id")->required();
  on_run(app, ctx, o, run_apikey_revoke, Effect::destroys);
}

Result<void> run_apikey_revoke(const ApikeyRevokeOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm("revoke API key '" + o.key + "' of '" + call.tenant.slug +
                                           "' (clients using it stop working)",
                                       call.tenant.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing revoked");
  }
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::revoke_api_key(tx, call.tenant, o.key, call.actor, dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
