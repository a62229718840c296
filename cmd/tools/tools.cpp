#include "cmd/tools/commands.hpp"

namespace crm::cmd {

void register_tools(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "tools",
      {"Vapi tools as code: register once with the platform key, link into every tenant assistant",
       "Tool definitions are JSON files (templates/tools/<name>.json, or --definitions DIR) with "
       "{{placeholder}}s filled from the profile's tools: section (backend_url, values). Each "
       "tool is registered once, globally, with the profile's providers.vapi.private_key (tenants "
       "have no Vapi keys), recorded in `tools` with the SHA-256 of its definition, and linked "
       "into every tenant assistant (the tenant's vapi agents) by fetch-merge-patch: the "
       "assistant is read, tool ids crmctl does not own are kept, the whole model is sent back. "
       "`org_tools` records which assistants link which tool at which hash.",
       {"crmctl tools plan --all-tenants --exit-code", "crmctl tools sync --all-tenants --jobs 16",
        "crmctl tools verify --tenant acme", "crmctl tools prune --native --dry-run"}});
  noun->require_subcommand(1);
  register_tools_plan(*noun, ctx);
  register_tools_sync(*noun, ctx);
  register_tools_verify(*noun, ctx);
  register_tools_prune(*noun, ctx);
}

} // namespace crm::cmd
