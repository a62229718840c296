#include "cmd/apikey/commands.hpp"
#include "cmd/support.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_apikey_revoke(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ApikeyRevokeOptions>();
  auto* app = add_command(
      noun, ctx, "revoke",
      {"Revoke an API key by prefix or id", "", {"crmctl apikey revoke --tenant acme 1a2b3c4d"}});
  app->add_option("key", o->key, "Key prefix or id")->required();
  on_run(app, ctx, o, run_apikey_revoke);
}

Result<void> run_apikey_revoke(const ApikeyRevokeOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(
      auto j, tenant::revoke_api_key(*c, t, tenancy_of(d), o.key, actor_of(d), d.global().dry_run));
  d.print(j);
  return {};
}

} // namespace crm::cmd
