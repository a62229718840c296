#include "cmd/apikey/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_apikey_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ApikeyListOptions>();
  auto* app = add_command(
      noun, ctx, "list",
      {"List a tenant's API keys (prefixes only)", "", {"crmctl apikey list --tenant acme"}});
  on_run(app, ctx, o, run_apikey_list, Effect::reads);
}

Result<void> run_apikey_list(const ApikeyListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto keys, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::list_api_keys(tx, call.tenant, d.clock().now());
                 }));
  d.print(json_list(keys),
          {{"prefix", "name", "scopes", "status", "expires_at", "created_at", "id"}});
  return {};
}

} // namespace crm::cmd
