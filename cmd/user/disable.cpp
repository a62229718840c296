#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_user_disable(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserDisableOptions>();
  auto* app = add_command(noun, ctx, "disable",
                          {"Disable a user's membership in a tenant",
                           "The user keeps other tenants.",
                           {"crmctl user disable ana@acme.example --tenant acme"}});
  app->add_option("email", o->email, "Email address")->required();
  on_run(app, ctx, o, run_user_disable);
}

Result<void> run_user_disable(const UserDisableOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(
      auto j, tenant::disable_user(*c, t, tenancy_of(d), o.email, actor_of(d), d.global().dry_run));
  d.print(j);
  return {};
}

} // namespace crm::cmd
