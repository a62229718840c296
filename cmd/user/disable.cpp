#include "cmd/render.hpp"
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
  on_run(app, ctx, o, run_user_disable, Effect::writes);
}

Result<void> run_user_disable(const UserDisableOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::disable_user(tx, call.tenant, call.tenancy, o.email, call.actor,
                                               dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
