#include "cmd/audit/commands.hpp"
#include "cmd/support.hpp"
#include "core/progress.hpp"
#include "core/sink.hpp"
#include "core/units.hpp"
#include "db/pool.hpp"

namespace crm::cmd {

void register_audit_rls(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AuditRlsOptions>();
  auto* app = add_command(
      noun, ctx, "rls",
      {"Audit row-level security: tables, policies, bypass paths, and a live cross-tenant probe",
       "Checks (severity): tables RLS_DISABLED, RLS_NOT_FORCED, RLS_NO_POLICY, "
       "OWNER_REACHABLE_BYPASS, PARTITION_CHILD_RLS_OFF, ORG_ID_NULLABLE, ORG_ID_MUTABLE, "
       "TENANT_FK_NOT_SCOPED, GLOBAL_TABLE_READABLE; policies NO_ISOLATION_POLICY, "
       "POLICY_ALWAYS_TRUE, POLICY_FAIL_OPEN, POLICY_UNKNOWN_GUC, POLICY_TENANT_COL_CAST, "
       "GUC_EMPTY_STRING_CAST, WITH_CHECK_WEAKER, POLICY_TO_PUBLIC, POLICY_TARGETS_BYPASS_ROLE, "
       "RESTRICTIVE_ONLY, CMD_COVERAGE_GAP, POLICY_NOT_TENANT_SCOPED; bypass VIEW_BYPASSES_RLS, "
       "MATVIEW_OVER_TENANT, SECDEF_READS_TENANT, SECDEF_SEARCH_PATH, ROLE_BYPASSRLS. --probe "
       "picks two tenants with rows per table and, as the application role with the GUC set to "
       "one, reads the other's rows, reads with the GUC empty and (on a fresh session) unset; "
       "--probe-writes adds insert/update/delete/move. Every probe runs in a transaction that "
       "is rolled back, bounded by --statement-timeout, --lock-timeout and --jobs; outcomes are "
       "denied, LEAK (critical PROBE_* finding) or inconclusive (PROBE_INCONCLUSIVE, never a "
       "pass). Probes are refused on a production profile without --allow-production. "
       "Fingerprints are stable (check + object): --baseline fails only on new findings. "
       "Severity overrides and the allowlist live in the profile's audit: section.",
       {"crmctl audit rls", "crmctl audit rls --fail-on high --format sarif > rls.sarif",
        "crmctl audit rls --probe --jobs 8 --fail-on critical",
        "crmctl audit rls --format json > baseline.json && crmctl audit rls --baseline "
        "baseline.json --fail-on medium",
        "crmctl audit rls --fix-sql fix.sql",
        "crmctl audit rls --tenant-column client_id --app-role ringly_app --guc "
        "app.current_client_id"}});
  add_audit_flags(app, o->common);
  app->add_flag("--probe", o->probe, "Run the live cross-tenant probe (rolled-back transactions)");
  app->add_flag("--probe-writes", o->probe_writes,
                "Also probe insert, update, delete and move (needs --probe; rolled back)");
  app->add_flag("--allow-production", o->allow_production,
                "Allow the probe on a profile marked production: true");
  app->add_flag("--data", o->data, "Also run the data checks of `audit data`");
  app->add_option("--jobs", o->jobs, "Parallel probe workers (bounded by the pool)")
      ->check(CLI::Range(1, 256));
  app->add_option("--statement-timeout", o->statement_timeout,
                  "Longest one probe statement may run (e.g. 5s)");
  app->add_option("--lock-timeout", o->lock_timeout,
                  "Longest a probe statement waits for a lock (e.g. 1s)");
  app->add_option("--fix-sql", o->fix_sql,
                  "Write the SQL of the mechanical fixes to this file (0600)");
  on_run(app, ctx, o, run_audit_rls, Effect::reads);
}

Result<void> run_audit_rls(const AuditRlsOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto out, audit_output(o.common, d));
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  if (o.probe_writes && !o.probe)
    return make_error(ErrorKind::usage, "--probe-writes needs --probe");
  if (o.probe && s->profile.production && !o.allow_production)
    return make_error(ErrorKind::conflict,
                      "profile '" + s->profile_name +
                          "' is marked production: the probe runs queries as the application "
                          "role there; pass --allow-production to run it anyway");
  if (o.probe_writes)
    CRM_TRY(refuse_if_read_only(d, "--probe-writes (its write probes are rolled back, but they "
                                   "do write)"));
  audit::ProbeOptions po;
  po.writes = o.probe_writes;
  po.jobs = static_cast<std::size_t>(o.jobs);
  CRM_TRY_ASSIGN(po.statement_timeout, parse_duration(o.statement_timeout));
  CRM_TRY_ASSIGN(po.lock_timeout, parse_duration(o.lock_timeout));
  CRM_TRY_ASSIGN(auto cfg, audit_config(o.common, d));
  CRM_TRY_ASSIGN(db::Connection * conn, d.db());
  CRM_TRY_ASSIGN(auto run, audit::run_static(*conn, cfg, o.data, d.clock()));

  Result<void> probed;
  if (o.probe) {
    CRM_TRY_ASSIGN(db::Pool * pool, d.pool());
    if (po.jobs > pool->options().size - 1)
      d.notice("--jobs " + std::to_string(po.jobs) + " is bounded to " +
               std::to_string(pool->options().size - 1) + " by the profile's pool_size " +
               std::to_string(pool->options().size));
    // Sessions that never set the tenant GUC, for the unset-GUC probe.
    db::FactorySource fresh(db::url_opener(s->database_url, "crmctl-audit-probe"));
    FanOutEventSink events;
    if (!d.global().quiet) {
      Logger& log = d.log();
      events = fan_out_renderer(d.io(), d.clock(), d.redactor(), {"audit probe", "table"},
                                [&log](std::string_view text) { log.write_raw(text); });
    }
    d.interrupt().cooperative = true;
    probed = audit::probe(run.report, run.catalog, cfg, po, *pool, fresh, d.clock(),
                          d.interrupt().requested, events);
    d.interrupt().cooperative = false;
    if (!probed && probed.error().kind == ErrorKind::config) return probed;
  }

  audit::finalize(run.report, out.baseline);
  if (!o.fix_sql.empty()) {
    CRM_TRY_ASSIGN(auto sink, FileSink::create(o.fix_sql));
    CRM_TRY(sink.write(audit::fix_sql(run.report)));
    CRM_TRY(sink.commit());
    d.notice("wrote the mechanical fixes to " + o.fix_sql + " (review before running)");
  }
  auto printed = print_audit(run.report, out, d);
  if (!probed) return probed;
  return printed;
}

} // namespace crm::cmd
