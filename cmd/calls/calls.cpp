#include "cmd/calls/commands.hpp"

namespace crm::cmd {

void register_calls(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "calls",
      {"A tenant's call history: import legacy calls, list them",
       "Calls arrive from the webhook daemon or, for history that predates the platform, from "
       "`calls import` (JSONL or CSV, one call per line). A call is identified by (provider, "
       "external_call_id): importing it again changes nothing.",
       {"crmctl calls import --tenant acme history.jsonl",
        "crmctl calls list --tenant acme --since 2026-11-01T00:00:00Z"}});
  noun->require_subcommand(1);
  register_calls_import(*noun, ctx);
  register_calls_list(*noun, ctx);
}

} // namespace crm::cmd
