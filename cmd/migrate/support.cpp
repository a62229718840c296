#include "cmd/migrate/support.hpp"
#include "core/mask.hpp"

namespace crm::cmd::migrate_support {

migrate::EventSink event_sink(Deps& d) {
  if (d.global().quiet) return {};
  Logger& log = d.log();
  return fan_out_renderer(d.io(), d.clock(), d.redactor(), {"migrate", "schema"},
                          [&log](std::string_view text) { log.write_raw(text); });
}

Result<db::ConnectionSource*> source(Deps& d, int jobs) {
  CRM_TRY_ASSIGN(db::Pool * pool, d.pool());
  std::size_t workers = pool->options().size - 1;
  if (static_cast<std::size_t>(jobs) > workers)
    d.notice("--jobs " + std::to_string(jobs) + " is bounded to " + std::to_string(workers) +
             " by the profile's pool_size " + std::to_string(pool->options().size) +
             " (one session coordinates)");
  return pool;
}

Result<void> finish(const migrate::RunReport& rep, Deps& d, const char* verb) {
  if (!rep.plan.empty() || d.global().dry_run) {
    if (d.format() == Format::json || d.format() == Format::yaml) {
      d.print({{"dry_run", true}, {"order", rep.plan}, {"sql", rep.plan_sql}});
    } else {
      d.io().out << "-- dry run: nothing executed. Order:\n";
      for (const auto& l : rep.plan)
        d.io().out << "--   " << l << "\n";
      if (rep.plan.empty()) d.io().out << "--   (nothing to do)\n";
      for (const auto& s : rep.plan_sql)
        d.io().out << "\n" << s;
    }
    return {};
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& s : rep.schemas)
    if (s.failed)
      failures.push_back({{"schema", s.schema},
                          {"version", s.failed_version},
                          {"error", d.redactor().redact(s.error)},
                          {"sqlstate", s.sqlstate}});
  nlohmann::json out = {{"run_id", rep.run_id},          {"command", verb},
                        {"schemas", rep.schemas.size()}, {"applied", rep.applied_count()},
                        {"failed", rep.failed_count()},  {"interrupted", rep.interrupted},
                        {"failures", failures},          {"not_attempted", rep.not_attempted}};
  if (!rep.unavailable.empty()) out["db_unavailable"] = d.redactor().redact(rep.unavailable);
  if (!rep.abandoned_runs.empty())
    d.notice("closed " + std::to_string(rep.abandoned_runs.size()) +
             " earlier run(s) left 'running' by a session that is gone (status 'abandoned')");
  if (d.format() == Format::table) {
    d.io().out << "migrate " << verb << ": " << rep.applied_count() << " file(s) applied across "
               << rep.schemas.size() << " schema(s), " << rep.failed_count() << " failed (run "
               << rep.run_id << ")\n";
    for (const auto& f : failures)
      d.io().out << "  FAILED " << f["schema"].get<std::string>() << " at "
                 << f["version"].get<std::string>() << ": " << f["error"].get<std::string>()
                 << "\n";
  } else {
    d.print(out);
  }
  if (rep.interrupted) return make_error(ErrorKind::interrupted, "interrupted: rerun to continue");
  if (!rep.unavailable.empty()) {
    std::string skipped;
    for (std::size_t i = 0; i < rep.not_attempted.size() && i < 10; ++i)
      skipped += (i ? ", " : "") + rep.not_attempted[i];
    if (rep.not_attempted.size() > 10) skipped += ", ...";
    std::size_t done = rep.schemas.size() - rep.failed_count();
    return make_error(ErrorKind::db_unavailable,
                      "database unavailable during migrate " + std::string(verb) + ": " +
                          d.redactor().redact(rep.unavailable) + "; " + std::to_string(done) +
                          " schema(s) done, " + std::to_string(rep.failed_count()) + " failed, " +
                          std::to_string(rep.not_attempted.size()) + " not attempted" +
                          (skipped.empty() ? "" : " (" + skipped + ")") +
                          ": rerun when the database is back (applied schemas are skipped)");
  }
  if (!rep.schemas.empty() && rep.schemas.front().schema == "global" &&
      rep.schemas.front().failed) {
    const auto& g = rep.schemas.front();
    Error e = make_error(g.kind == ErrorKind::db_unavailable ? ErrorKind::db_unavailable
                         : g.sqlstate == "55P03"             ? ErrorKind::conflict
                                                             : ErrorKind::unexpected,
                         "global migration failed: " + rep.schemas.front().error +
                             " (fix the file and rerun `crmctl migrate up`)");
    e.sqlstate = rep.schemas.front().sqlstate;
    return e;
  }
  if (rep.failed_count() > 0) {
    std::string list;
    std::size_t n = 0;
    for (const auto& s : rep.schemas)
      if (s.failed && n++ < 10) list += (list.empty() ? "" : ", ") + s.schema;
    if (rep.failed_count() > 10) list += ", ...";
    return make_error(ErrorKind::partial, std::to_string(rep.failed_count()) +
                                              " schema(s) failed: " + list +
                                              " (fix and rerun; applied schemas are skipped)");
  }
  return {};
}

} // namespace crm::cmd::migrate_support
