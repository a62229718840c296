#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_user_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserListOptions>();
  auto* app = add_command(
      noun, ctx, "list", {"List a tenant's users", "", {"crmctl user list --tenant acme -o json"}});
  on_run(app, ctx, o, run_user_list, Effect::reads);
}

Result<void> run_user_list(const UserListOptions&, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto tx, call.conn->admin());
  CRM_TRY_ASSIGN(auto members, tenant::list_users(*tx, call.tenant, call.tenancy));
  d.print(json_list(members),
          {{"email", "name", "role", "status", "password", "member_since", "id"}});
  return {};
}

} // namespace crm::cmd
