#include "cmd/tools/commands.hpp"
#include "cmd/tools/support.hpp"
#include "core/units.hpp"

namespace crm::cmd {

void register_tools_prune(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ToolsPruneOptions>();
  auto* app = add_command(
      noun, ctx, "prune",
      {"Remove tools no longer defined (and, with --native, native interceptor tools)",
       "Unlinks tools that are recorded but no longer defined from every tenant assistant "
       "(fetch-merge-patch), deletes their org_tools rows, then deletes them at Vapi and from "
       "the registry (only when every active tenant was pruned: with --tenant it unlinks that "
       "tenant's assistants only). --native also removes native interceptor tools (google.*, "
       "gohighlevel.*, ghl, make, slack.*, query) from assistants, inline or linked: seed 002's "
       "\"nuclear cleanup\". Run it with --dry-run first; without a terminal it needs --yes.",
       {"crmctl tools prune --dry-run", "crmctl tools prune --native --yes",
        "crmctl tools prune --tenant acme --native --dry-run -o json"}});
  tools_support::add_common_flags(app, *o);
  app->add_flag("--native", o->native, "Also remove native interceptor tools from assistants");
  app->add_option("--lock-timeout", o->lock_timeout,
                  "Wait this long for a running sync or prune (default 0s: exit 4 at once)");
  on_run(app, ctx, o, run_tools_prune, Effect::destroys);
}

Result<void> run_tools_prune(const ToolsPruneOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto wait, parse_duration(o.lock_timeout));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm(std::string("remove tools no longer defined") +
                                       (o.native ? " and native interceptor tools" : "") +
                                       " from Vapi assistants"));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  tools::RunOptions ro;
  ro.lock_wait = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
  ro.native = o.native ? tools::Native::remove : tools::Native::keep;
  return tools_support::run_verb(o, d, tools::Verb::prune, ro);
}

} // namespace crm::cmd
