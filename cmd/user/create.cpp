#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "tenant/users.hpp"

namespace crm::cmd {

void register_user_create(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserCreateOptions>();
  auto* app = add_command(
      noun, ctx, "create",
      {"Create a user (or reuse one by email) and add it to a tenant",
       "An existing membership with the same role succeeds with a notice; another role is a "
       "conflict (exit 4).",
       {"crmctl user create ana@acme.example --tenant acme --role manager",
        "printf '%s\\n' \"$PW\" | crmctl user create ana@acme.example --tenant acme --role admin "
        "--password-stdin"}});
  app->add_option("email", o->email, "Email address")->required();
  app->add_option("--role", o->role, "admin, manager, employee, viewer or superadmin")->required();
  app->add_option("--name", o->name, "Display name");
  app->add_flag("--password-stdin", o->password_stdin,
                "Read the password from stdin (prompted on a terminal)");
  on_run(app, ctx, o, run_user_create, Effect::writes);
}

Result<void> run_user_create(const UserCreateOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  tenant::UserSpec u{o.email, o.name, o.role, std::nullopt};
  if (o.password_stdin) {
    CRM_TRY_ASSIGN(std::string pw, read_secret(d, "password for " + o.email));
    d.redactor().add(pw);
    u.password = pw;
  }
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::create_user(tx, call.tenant, call.tenancy, u, call.actor,
                                              dry_run_of(d));
                 }));
  if (!r.created)
    d.notice(o.email + " is already a " + o.role + " of '" + call.tenant.slug + "'; nothing to do");
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
