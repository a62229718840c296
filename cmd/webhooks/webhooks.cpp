#include "cmd/webhooks/commands.hpp"

namespace crm::cmd {

void register_webhooks(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "webhooks",
      {"The webhook inbox: every verified provider event, stored before it is acknowledged",
       "Rows are deduplicated on the provider's event identity. States: processed (applied to "
       "its tenant), unrouted (no tenant had the agent or number yet), held (the tenant was "
       "suspended), failed. `replay` applies unrouted, held and failed rows again, e.g. after "
       "registering a number or resuming a tenant.",
       {"crmctl webhooks list --status unresolved", "crmctl webhooks replay --id 42",
        "crmctl webhooks replay --since 2026-11-21T00:00:00Z"}});
  noun->require_subcommand(1);
  register_webhooks_list(*noun, ctx);
  register_webhooks_replay(*noun, ctx);
}

} // namespace crm::cmd
