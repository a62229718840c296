// The two audit runs the CLI offers, composed of the catalog, the checks and the data checks.
#include "audit/audit.hpp"

namespace crm::audit {
namespace {

std::chrono::milliseconds since(Clock& clock, std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start);
}

} // namespace

Result<Run> run_static(db::Connection& conn, const Config& cfg, bool data, Clock& clock) {
  auto start = clock.steady_now();
  Run run;
  CRM_TRY_ASSIGN(run.catalog, load_catalog(conn, cfg));
  CRM_TRY_ASSIGN(run.report, check_catalog(run.catalog, cfg));
  run.report.families.insert({Family::tables, Family::policies, Family::bypass});
  if (data) CRM_TRY(check_data(run.report, conn, run.catalog, cfg));
  run.report.stats.elapsed = since(clock, start);
  return run;
}

Result<Run> run_data(db::Connection& conn, const Config& cfg, Clock& clock) {
  auto start = clock.steady_now();
  Run run;
  CRM_TRY_ASSIGN(run.catalog, load_catalog(conn, cfg));
  Report& r = run.report;
  r.kind = "data";
  r.database = run.catalog.database;
  r.server_version = run.catalog.server_version;
  r.login_role = run.catalog.login_role;
  r.config = cfg;
  r.stats.round_trips = run.catalog.round_trips;
  for (const auto& t : run.catalog.tables) {
    if (t.global)
      ++r.stats.global_tables;
    else
      ++r.stats.tenant_tables;
    r.stats.policies += t.policies.size();
  }
  r.stats.views = run.catalog.views.size();
  r.stats.functions = run.catalog.functions.size();
  CRM_TRY(check_data(r, conn, run.catalog, cfg));
  r.stats.elapsed = since(clock, start);
  return run;
}

} // namespace crm::audit
