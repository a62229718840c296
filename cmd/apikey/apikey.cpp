#include "cmd/apikey/commands.hpp"

namespace crm::cmd {

void register_apikey(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "apikey",
      {"Tenant API keys with scopes and expiry",
       "The secret is shown once at creation; only its SHA-256 is stored.",
       {"crmctl apikey create --tenant acme --name zapier --scopes calls:read --expires 90d",
        "crmctl apikey list --tenant acme", "crmctl apikey revoke --tenant acme 1a2b3c4d"}});
  noun->require_subcommand(1);
  register_apikey_create(*noun, ctx);
  register_apikey_list(*noun, ctx);
  register_apikey_revoke(*noun, ctx);
}

} // namespace crm::cmd
