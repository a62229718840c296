#include "cmd/apikey/commands.hpp"
#include "cmd/support.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_apikey_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ApikeyListOptions>();
  auto* app = add_command(
      noun, ctx, "list",
      {"List a tenant's API keys (prefixes only)", "", {"crmctl apikey list --tenant acme"}});
  on_run(app, ctx, o, run_apikey_list);
}

Result<void> run_apikey_list(const ApikeyListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::list_api_keys(*c, t, tenancy_of(d), d.clock().now()));
  d.print(j, {{"prefix", "name", "scopes", "status", "expires_at", "created_at", "id"}});
  return {};
}

} // namespace crm::cmd
