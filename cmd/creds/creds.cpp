#include "cmd/creds/commands.hpp"

namespace crm::cmd {

void register_creds(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "creds",
      {"The credentials vault: per-tenant provider credentials, encrypted at rest",
       "AES-256-GCM under the master key (CRMCTL_MASTER_KEY, CRMCTL_MASTER_KEY_FILE or the "
       "profile's master_key), "
       "a random nonce per value and a key id per row. Values come from stdin or the environment, "
       "never argv, "
       "and are masked in every output. Vapi is a platform key in the profile, never a tenant "
       "credential.",
       {"printf 'account_sid=AC...\\nauth_token=...\\n' | crmctl creds set --tenant acme twilio "
        "--from-stdin",
        "crmctl creds list --tenant acme", "crmctl creds verify --tenant acme",
        "(umask 077; openssl rand -base64 32 > ~/.config/crmctl/master-2.key) && crmctl creds "
        "rotate-key --new-key-file ~/.config/crmctl/master-2.key --yes"}});
  noun->require_subcommand(1);
  register_creds_set(*noun, ctx);
  register_creds_list(*noun, ctx);
  register_creds_verify(*noun, ctx);
  register_creds_delete(*noun, ctx);
  register_creds_rotate(*noun, ctx);
}

} // namespace crm::cmd
