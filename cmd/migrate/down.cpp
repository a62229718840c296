#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_down(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateDownOptions>();
  auto* app = add_command(
      noun, ctx, "down",
      {"Revert the newest migration (or down to --to) where the file declares a down part",
       "Only files with a `-- crmctl:down` section can be reverted; production policy is "
       "fix-forward. --track tenant reverts on every tenant schema, --track global on the shared "
       "schema. Asks for confirmation (or --yes).",
       {"crmctl migrate down --track tenant --yes",
        "crmctl migrate down --to 20260101000000 --dry-run"}});
  add_common_flags(app, o->common);
  app->add_option("--to", o->to, "Revert every version newer than this one");
  app->add_option("--track", o->track, "global or tenant")
      ->check(CLI::IsMember({"global", "tenant"}));
  on_run(app, ctx, o, run_migrate_down, Effect::destroys);
}

Result<void> run_migrate_down(const MigrateDownOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto wait, migrate_support::lock_wait(o.common));
  migrate::RunOptions ro;
  ro.to_version = o.to;
  ro.jobs = 1; // one schema at a time, newest version first (as before the shared fan-out)
  ro.lock_timeout = wait;
  ro.dry_run = d.global().dry_run;
  if (!ro.dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm("revert " + o.track + " migrations" +
                                       (o.to.empty() ? std::string(" (newest version)")
                                                     : " newer than " + o.to)));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing reverted");
  }
  CRM_TRY_ASSIGN(db::ConnectionSource * source, migrate_support::source(d, ro.jobs));
  auto sink = migrate_support::event_sink(d);
  d.interrupt().cooperative = true;
  auto rep =
      migrate::down(set, o.track == "global" ? migrate::Track::global : migrate::Track::tenant, ro,
                    *source, d.clock(), sink, d.interrupt().requested);
  d.interrupt().cooperative = false;
  if (!rep) return std::move(rep).error();
  return migrate_support::finish(*rep, d, "down");
}

} // namespace crm::cmd
