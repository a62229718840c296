#include "cmd/user/commands.hpp"

namespace crm::cmd {

void register_user(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "user",
      {"Users and their roles in a tenant",
       "Users are global (one email, one bcrypt $2b$ hash that Node's bcrypt verifies) and "
       "belong to tenants through memberships with a role: admin, manager, employee, viewer; "
       "superadmin is a platform flag. Passwords come from stdin or a prompt, never a flag.",
       {"crmctl user create ana@acme.example --tenant acme --role manager --password-stdin",
        "crmctl user list --tenant acme", "crmctl user import users.csv --tenant acme"}});
  noun->require_subcommand(1);
  register_user_create(*noun, ctx);
  register_user_list(*noun, ctx);
  register_user_disable(*noun, ctx);
  register_user_import(*noun, ctx);
}

} // namespace crm::cmd
