#include "cmd/creds/commands.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsListOptions>();
  auto* app = add_command(noun, ctx, "list",
                          {"List a tenant's stored credentials (masked; never decrypted)",
                           "",
                           {"crmctl creds list --tenant acme -o json"}});
  on_run(app, ctx, o, run_creds_list);
}

Result<void> run_creds_list(const CredsListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::list_credentials(*c, t, tenancy_of(d)));
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
