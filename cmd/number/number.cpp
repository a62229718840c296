#include "cmd/number/commands.hpp"

namespace crm::cmd {

void register_number(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "number",
      {"Phone numbers: search and buy on Twilio, activate on ElevenLabs, route, release, reconcile",
       "A number is bought on the tenant's own Twilio account (creds set --tenant T twilio) or "
       "else the profile's platform account, pointed at the profile's webhook_base_url, and "
       "recorded for the tenant. Purchases, imports and releases are sagas: an intent row is "
       "written before each provider call, an unknown outcome is settled by reading the "
       "provider, and `number reconcile --fix` finishes or undoes whatever a crash left.",
       {"crmctl number search --country CA --area-code 778 --contains 55",
        "crmctl number buy --tenant acme --number +17785550100",
        "crmctl number activate --tenant acme +17785550100 --agent agent_123",
        "crmctl number route --tenant acme +17785550100 --ai off --forward-to +16045550199",
        "crmctl number reconcile --all-tenants --fix"}});
  noun->require_subcommand(1);
  register_number_search(*noun, ctx);
  register_number_buy(*noun, ctx);
  register_number_activate(*noun, ctx);
  register_number_list(*noun, ctx);
  register_number_release(*noun, ctx);
  register_number_route(*noun, ctx);
  register_number_reconcile(*noun, ctx);
}

} // namespace crm::cmd
