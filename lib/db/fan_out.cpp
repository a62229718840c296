#include "db/fan_out.hpp"

#include "core/metrics.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

namespace crm::db {

ItemOutcome ItemOutcome::ok(std::string detail) {
  return {ItemStatus::done, std::move(detail), LeaseHealth::clean};
}

ItemOutcome ItemOutcome::from_error(const Error& e) {
  return {e.kind == ErrorKind::db_unavailable ? ItemStatus::unavailable : ItemStatus::failed,
          e.full_message(), LeaseHealth::errored};
}

std::size_t FanOutReport::done_count() const {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](const auto& r) {
    return r.outcome.status == ItemStatus::done;
  }));
}

std::size_t FanOutReport::failed_count() const {
  return results.size() - done_count();
}

std::vector<ItemResult> FanOutReport::failures() const {
  std::vector<ItemResult> out;
  for (const auto& r : results)
    if (r.outcome.status != ItemStatus::done) out.push_back(r);
  return out;
}

namespace {

const char* outcome_name(ItemStatus s) {
  switch (s) {
  case ItemStatus::done:
    return "done";
  case ItemStatus::failed:
    return "failed";
  case ItemStatus::unavailable:
    return "unavailable";
  }
  return "unknown";
}

// Shared by the workers of one fan_out call; every field below `mutex` is guarded by it.
class Run {
public:
  Run(const std::vector<FanOutTarget>& targets, const FanOutOptions& options,
      ConnectionSource& source, const std::atomic<bool>& cancel, const FanOutEventSink& events,
      const FanOutWork& work)
      : m_targets(targets), m_options(options), m_source(source), m_cancel(cancel),
        m_events(events), m_work(work) {}

  FanOutReport run() {
    const std::size_t total = m_targets.size();
    emit(FanOutEvent::Kind::run_start, {}, m_options.run_id);
    if (total > 0) {
      auto first = m_source.acquire();
      if (!first) {
        m_report.unavailable = first.error().message;
      } else {
        m_report.jobs = bound_jobs(**first);
        std::size_t canary = std::min(m_options.canary, total);
        if (canary > 0) {
          stage(canary, *first);
          if (m_failed > 0 && m_options.after_canary_failure == OnError::stop) m_halt = true;
        }
        stage(total, *first);
      }
    }
    for (std::size_t i = m_next; i < total; ++i)
      m_report.not_attempted.push_back(m_targets[i]);
    if (!m_report.unavailable.empty())
      m_report.status = FanOutStatus::db_unavailable;
    else if (m_cancel.load() && !m_report.not_attempted.empty())
      m_report.status = FanOutStatus::interrupted;
    else if (m_failed > 0)
      m_report.status = FanOutStatus::partial;
    emit(FanOutEvent::Kind::run_done, {}, m_options.run_id);
    return std::move(m_report);
  }

private:
  std::size_t bound_jobs(Connection& c) {
    std::size_t jobs = std::max<std::size_t>(1, m_options.jobs);
    if (auto spare = m_source.spare()) jobs = std::min(jobs, *spare + 1); // +1: `first` is ours
    if (m_options.bound == JobsBound::free_connections) {
      if (auto r = c.exec("SELECT current_setting('max_connections')::int - "
                          "(SELECT count(*) FROM pg_stat_activity)::int AS free");
          r) {
        long free_conns = std::stol(r->get(0, "free")) - 3;
        jobs = std::min(jobs, static_cast<std::size_t>(std::max(1L, free_conns + 1)));
      }
    }
    return std::max<std::size_t>(1, std::min(jobs, m_targets.size()));
  }

  // Runs targets [m_next, end) with up to m_report.jobs workers; the caller's thread is worker 0.
  void stage(std::size_t end, Lease& first) {
    std::size_t workers;
    {
      std::lock_guard lock(m_mutex);
      if (m_halt || m_next >= end) return;
      workers = std::min(m_report.jobs, end - m_next);
    }
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers; ++i)
      threads.emplace_back([this, end] {
        auto lease = m_source.acquire();
        if (!lease) return; // exhausted or down: worker 0 carries on (and meets a dead server)
        work_loop(end, *lease);
      });
    work_loop(end, first);
    for (auto& t : threads)
      t.join();
  }

  void work_loop(std::size_t end, Lease& lease) {
    for (;;) {
      FanOutTarget target;
      {
        std::lock_guard lock(m_mutex);
        if (m_halt || m_cancel.load() || m_next >= end) return;
        target = m_targets[m_next++];
        ++m_running;
        emit_locked(FanOutEvent::Kind::item_start, target, {});
      }
      auto start =
          m_options.clock ? m_options.clock->steady_now() : std::chrono::steady_clock::time_point{};
      ItemOutcome outcome;
      try {
        outcome = m_work(*lease, target);
      } catch (const std::exception& e) {
        outcome = {ItemStatus::failed, std::string("unexpected: ") + e.what(),
                   LeaseHealth::errored};
      } catch (...) {
        outcome = {ItemStatus::failed, "unexpected failure", LeaseHealth::errored};
      }
      std::chrono::milliseconds elapsed{0};
      if (m_options.clock)
        elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            m_options.clock->steady_now() - start);
      if (outcome.status != ItemStatus::done || outcome.lease == LeaseHealth::errored)
        lease.mark_errored();
      observe(outcome.status, elapsed);

      std::lock_guard lock(m_mutex);
      --m_running;
      switch (outcome.status) {
      case ItemStatus::done:
        ++m_done;
        break;
      case ItemStatus::failed:
        ++m_failed;
        if (m_options.on_error == OnError::stop) m_halt = true;
        break;
      case ItemStatus::unavailable:
        ++m_failed;
        m_halt = true;
        if (m_report.unavailable.empty()) m_report.unavailable = outcome.detail;
        break;
      }
      emit_locked(outcome.status == ItemStatus::done ? FanOutEvent::Kind::item_done
                                                     : FanOutEvent::Kind::item_failed,
                  target, outcome.detail);
      m_report.results.push_back({std::move(target), std::move(outcome), elapsed});
    }
  }

  void observe(ItemStatus status, std::chrono::milliseconds elapsed) {
    if (!m_options.metrics) return;
    m_options.metrics
        ->counter("crm_fan_out_items_total", "Targets finished by fan-outs, by outcome",
                  {{"run", m_options.run_name}, {"outcome", outcome_name(status)}})
        .inc();
    if (m_options.clock)
      m_options.metrics
          ->histogram("crm_fan_out_item_seconds", "Time spent on one fan-out target",
                      {{"run", m_options.run_name}})
          .observe(static_cast<double>(elapsed.count()) / 1000.0);
  }

  void emit(FanOutEvent::Kind kind, const FanOutTarget& target, const std::string& detail) {
    std::lock_guard lock(m_mutex);
    emit_locked(kind, target, detail);
  }
  void emit_locked(FanOutEvent::Kind kind, const FanOutTarget& target, const std::string& detail) {
    if (!m_events) return;
    m_events(
        {kind, target.id, target.label, m_done, m_failed, m_running, m_targets.size(), detail});
  }

  const std::vector<FanOutTarget>& m_targets;
  const FanOutOptions& m_options;
  ConnectionSource& m_source;
  const std::atomic<bool>& m_cancel;
  const FanOutEventSink& m_events;
  const FanOutWork& m_work;

  std::mutex m_mutex;
  std::size_t m_next = 0, m_done = 0, m_failed = 0, m_running = 0;
  bool m_halt = false;
  FanOutReport m_report;
};

} // namespace

FanOutReport fan_out(const std::vector<FanOutTarget>& targets, const FanOutOptions& options,
                     ConnectionSource& source, const std::atomic<bool>& cancel,
                     const FanOutEventSink& events, const FanOutWork& work) {
  return Run(targets, options, source, cancel, events, work).run();
}

Result<void> fan_out_result(const FanOutReport& report, const std::string& noun) {
  auto list = [](const std::vector<std::string>& ids) {
    std::string s;
    for (std::size_t i = 0; i < ids.size() && i < 10; ++i)
      s += (i ? ", " : "") + ids[i];
    if (ids.size() > 10) s += ", ...";
    return s;
  };
  std::vector<std::string> failed, skipped;
  for (const auto& r : report.failures())
    failed.push_back(r.target.id);
  for (const auto& t : report.not_attempted)
    skipped.push_back(t.id);
  switch (report.status) {
  case FanOutStatus::ok:
    return {};
  case FanOutStatus::interrupted:
    return make_error(ErrorKind::interrupted,
                      "interrupted: " + std::to_string(report.done_count()) + " " + noun +
                          "(s) done, " + std::to_string(skipped.size()) +
                          " not attempted; rerun to continue");
  case FanOutStatus::db_unavailable:
    return make_error(ErrorKind::db_unavailable,
                      "database unavailable during the fan-out (" + report.unavailable +
                          "): " + std::to_string(report.done_count()) + " " + noun + "(s) done, " +
                          std::to_string(failed.size()) + " failed" +
                          (failed.empty() ? "" : " (" + list(failed) + ")") + ", " +
                          std::to_string(skipped.size()) + " not attempted" +
                          (skipped.empty() ? "" : " (" + list(skipped) + ")") +
                          "; rerun when the database is back");
  case FanOutStatus::partial:
    return make_error(
        ErrorKind::partial,
        std::to_string(failed.size()) + " " + noun + "(s) failed: " + list(failed) +
            (skipped.empty() ? "" : "; " + std::to_string(skipped.size()) + " not attempted") +
            " (fix and rerun)");
  }
  return {};
}

} // namespace crm::db
