#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"
#include "core/text.hpp"

namespace crm::cmd {

void register_migrate_up(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateUpOptions>();
  auto* app = add_command(
      noun, ctx, "up",
      {"Apply pending migrations: global track, then every tenant schema in parallel",
       "Takes the coordinator lock (waiting up to --lock-timeout, then exit 4 naming the holder), "
       "applies the global track, the tenant track on public, then fans out over tenant schemas "
       "with --jobs workers, each under its schema's lock. --canary K migrates K tenant schemas "
       "first and stops if one fails. Exit 8 lists failed schemas; rerunning continues.",
       {"crmctl migrate up", "crmctl migrate up --jobs 8 --canary 10 --on-error continue",
        "crmctl migrate up --tenants acme,org_4f1c... --to 20260101000000",
        "crmctl migrate up --dry-run"}});
  add_common_flags(app, o->common);
  app->add_option("--to", o->to, "Apply up to and including this version");
  app->add_option("--jobs", o->jobs,
                  "Parallel workers for tenant schemas (bounded by max_connections)")
      ->check(CLI::Range(1, 256));
  app->add_option("--canary", o->canary,
                  "Migrate this many tenant schemas first; stop if one fails")
      ->check(CLI::Range(0, 100000));
  app->add_option("--tenants", o->tenants,
                  "all, or a comma list of tenant UUIDs, slugs or schema names");
  app->add_option("--on-error", o->on_error, "stop or continue after a tenant fails")
      ->check(CLI::IsMember({"stop", "continue"}));
  app->add_flag("--allow-out-of-order", o->allow_out_of_order,
                "Apply files older than the newest applied one");
  on_run(app, ctx, o, run_migrate_up, Effect::writes);
}

Result<void> run_migrate_up(const MigrateUpOptions& o, Deps& d) {
  // "all" (the default) or a list; an empty list or entry is an error, never "all", and every
  // unknown entry is named by migrate::up before anything is applied.
  std::vector<std::string> tenants;
  if (o.tenants != "all") {
    CRM_TRY_ASSIGN(tenants, split_list(o.tenants, "--tenants"));
  }
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto wait, migrate_support::lock_wait(o.common));
  migrate::RunOptions ro;
  ro.to_version = o.to;
  ro.jobs = o.jobs;
  ro.canary = o.canary;
  ro.stop_on_error = o.on_error == "stop";
  ro.lock_timeout = wait;
  ro.allow_out_of_order = o.allow_out_of_order;
  ro.dry_run = d.global().dry_run;
  ro.tenants = std::move(tenants);
  CRM_TRY_ASSIGN(db::ConnectionSource * source, migrate_support::source(d, ro.jobs));
  auto sink = migrate_support::event_sink(d);
  d.interrupt().cooperative = true;
  auto rep = migrate::up(set, ro, *source, d.clock(), sink, d.interrupt().requested);
  d.interrupt().cooperative = false;
  if (!rep) return std::move(rep).error();
  return migrate_support::finish(*rep, d, "up");
}

} // namespace crm::cmd
