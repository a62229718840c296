#include "cmd/tools/commands.hpp"
#include "cmd/tools/support.hpp"

namespace crm::cmd {

void register_tools_verify(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ToolsVerifyOptions>();
  auto* app = add_command(
      noun, ctx, "verify",
      {"Compare what crmctl recorded with Vapi and report drift (exit 5)",
       "Reads the live state and reports drift: a tool edited in the Vapi dashboard (its fields "
       "differ from the definition), deleted at Vapi, a definition whose hash changed since it "
       "was recorded, a registration left interrupted, tools no longer defined, links recorded "
       "in org_tools but removed from an assistant, assistants not linked, org_tools rows at an "
       "old hash, native interceptor tools. Exit 5 when anything drifted, 8 when assistants "
       "could not be read.",
       {"crmctl tools verify", "crmctl tools verify --tenant acme -o json"}});
  tools_support::add_common_flags(app, *o);
  on_run(app, ctx, o, run_tools_verify, Effect::reads);
}

Result<void> run_tools_verify(const ToolsVerifyOptions& o, Deps& d) {
  return tools_support::run_verb(o, d, tools::Verb::verify, {});
}

} // namespace crm::cmd
