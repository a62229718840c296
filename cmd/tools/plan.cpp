#include "cmd/tools/commands.hpp"
#include "cmd/tools/support.hpp"

namespace crm::cmd {

void register_tools_plan(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ToolsPlanOptions>();
  auto* app = add_command(
      noun, ctx, "plan",
      {"Show what `tools sync` (and `tools prune`) would change; writes nothing",
       "Reads the definitions, the registry, Vapi's tools and every tenant assistant, and lists: "
       "tools to register, tools whose definition hash changed or that were edited outside "
       "crmctl (update), tools found at Vapi with the same definition (adopt), tools no longer "
       "defined (prune removes them), assistants missing links, links to remove and native "
       "interceptor tools present. Exit 0 whatever it finds; with --exit-code, 5 when there are "
       "changes (a CI drift check). Assistants that cannot be read are failures (exit 8).",
       {"crmctl tools plan", "crmctl tools plan --tenant acme -o json",
        "crmctl tools plan --all-tenants --exit-code --cached"}});
  tools_support::add_common_flags(app, *o);
  app->add_flag("--exit-code", o->exit_code, "Exit 5 when there are changes (CI drift check)");
  on_run(app, ctx, o, run_tools_plan, Effect::reads);
}

Result<void> run_tools_plan(const ToolsPlanOptions& o, Deps& d) {
  return tools_support::run_verb(o, d, tools::Verb::plan, {}, o.exit_code);
}

} // namespace crm::cmd
