#include "cmd/forwarding/commands.hpp"

namespace crm::cmd {

void register_forwarding(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "forwarding",
      {"Call forwarding from a SIM number to the AI number (GSM/CDMA codes)",
       "Keeps the caller's own number: the owner dials a carrier code on their phone and calls "
       "are forwarded to the AI, always (total_ai) or when unanswered (safety_net). Nothing is "
       "read or written.",
       {"crmctl forwarding codes --carrier tmobile --mode safety_net --to +15550109999 --ring "
        "20"}});
  noun->require_subcommand(1);
  register_forwarding_codes(*noun, ctx);
}

} // namespace crm::cmd
