#include "cmd/creds/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsListOptions>();
  auto* app = add_command(noun, ctx, "list",
                          {"List a tenant's stored credentials (masked; never decrypted)",
                           "",
                           {"crmctl creds list --tenant acme -o json"}});
  on_run(app, ctx, o, run_creds_list, Effect::reads);
}

Result<void> run_creds_list(const CredsListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto creds, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::list_credentials(tx, call.tenant);
                 }));
  nlohmann::json j = json_list(creds);
  if (d.format() == Format::table)
    for (auto& row : j) {
      std::string s;
      for (auto& [k, v] : row["values"].items())
        s += (s.empty() ? "" : " ") + k + "=" + v.get<std::string>();
      row["values"] = s;
    }
  d.print(j, {{"provider", "values", "key_id", "last_verified_at", "verification_error",
               "updated_at"}});
  return {};
}

} // namespace crm::cmd
