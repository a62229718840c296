#include "cmd/tools/commands.hpp"
#include "cmd/tools/support.hpp"
#include "core/units.hpp"

namespace crm::cmd {

void register_tools_sync(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ToolsSyncOptions>();
  auto* app = add_command(
      noun, ctx, "sync",
      {"Register or update the tools once at Vapi and link them into every tenant assistant",
       "Registers each defined tool once, globally (POST /tool; the registry row is written "
       "first, and a lost answer is settled by listing Vapi's tools, never by posting again), "
       "or updates it (PATCH /tool/{id}) when its SHA-256 definition hash changed or it was "
       "edited outside crmctl; then, per tenant, reads each assistant, keeps every tool id "
       "crmctl does not own, adds the missing ones, sends the whole model back (provider and "
       "model included) and records org_tools. One failing assistant does not stop the others "
       "(exit 8 with the list). Provider calls retry with backoff on 429/5xx honouring "
       "Retry-After. A second run with nothing changed sends only reads. One sync or prune "
       "runs at a time (advisory lock; exit 4 when another holds it).",
       {"crmctl tools sync --all-tenants --jobs 16", "crmctl tools sync --tenant acme --dry-run",
        "crmctl tools sync --cached -o json"}});
  tools_support::add_common_flags(app, *o);
  app->add_option("--lock-timeout", o->lock_timeout,
                  "Wait this long for a running sync or prune (default 0s: exit 4 at once)");
  on_run(app, ctx, o, run_tools_sync, Effect::writes);
}

Result<void> run_tools_sync(const ToolsSyncOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto wait, parse_duration(o.lock_timeout));
  tools::RunOptions ro;
  ro.lock_wait = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
  return tools_support::run_verb(o, d, tools::Verb::sync, ro);
}

} // namespace crm::cmd
