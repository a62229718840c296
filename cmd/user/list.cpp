#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_user_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserListOptions>();
  auto* app = add_command(
      noun, ctx, "list", {"List a tenant's users", "", {"crmctl user list --tenant acme -o json"}});
  on_run(app, ctx, o, run_user_list);
}

Result<void> run_user_list(const UserListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::list_users(*c, t, tenancy_of(d)));
  d.print(j, {{"email", "name", "role", "status", "password", "member_since", "id"}});
  return {};
}

} // namespace crm::cmd
