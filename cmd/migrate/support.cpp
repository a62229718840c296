#include "cmd/migrate/support.hpp"
#include "core/mask.hpp"

namespace crm::cmd::migrate_support {

migrate::EventSink event_sink(Deps& d, std::shared_ptr<Progress>& bar) {
  if (d.global().quiet) return {};
  if (d.io().stderr_tty) {
    return [&d, &bar](const migrate::Event& e) {
      if (e.kind == "run_start")
        bar = std::make_shared<Progress>(d.io(), d.clock(), e.total, "migrate");
      if (!bar) return;
      if (e.kind == "run_done")
        bar->finish();
      else
        bar->update(e.done, e.failed, e.running);
    };
  }
  return [&d](const migrate::Event& e) {
    nlohmann::json j = {{"event", e.kind},
                        {"done", e.done},
                        {"failed", e.failed},
                        {"running", e.running},
                        {"total", e.total}};
    if (!e.schema.empty()) j["schema"] = e.schema;
    if (!e.detail.empty()) j["detail"] = d.redactor().redact(e.detail);
    d.io().err << j.dump() << "\n";
  };
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
                        {"failures", failures}};
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
  if (!rep.schemas.empty() && rep.schemas.front().schema == "global" &&
      rep.schemas.front().failed) {
    Error e = make_error(rep.schemas.front().sqlstate == "55P03" ? ErrorKind::conflict
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
