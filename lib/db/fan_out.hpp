// One fan-out: the same work over many targets (tenant schemas, tenants) with bounded parallelism,
// a canary stage, stop/continue on error, cancellation, events and a report. Migrations use it;
// tool sync, the RLS probe and billing rollups are meant to.
#pragma once
#include "core/clock.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "db/pool.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace crm {
class Metrics;
}

namespace crm::db {

/// One unit of a fan-out: a stable id (schema name, org UUID) and a label for humans ("" = id).
struct FanOutTarget {
  std::string id;
  std::string label;
};

/// How one target ended. `unavailable`: the database went away under the work (a lost connection
/// or db_unavailable); the fan-out stops handing out targets.
enum class ItemStatus { done, failed, unavailable };

/// What the work returns for one target.
struct ItemOutcome {
  ItemStatus status = ItemStatus::done;
  std::string detail; // done: a summary ("3 applied"); otherwise the error
  /// `errored`: reset the connection before it is reused (failures always do).
  LeaseHealth lease = LeaseHealth::clean;

  static ItemOutcome ok(std::string detail = {});
  /// failed, or unavailable when the error is ErrorKind::db_unavailable.
  static ItemOutcome from_error(const Error& e);
};

/// What a failed target does to the rest.
enum class OnError { stop, keep_going };
/// Whether jobs is also bounded by the server's free connections (max_connections minus sessions,
/// minus 3 for others), queried on the first connection.
enum class JobsBound { as_given, free_connections };

struct FanOutOptions {
  std::size_t jobs = 4; // workers at most (also bounded by the source's spare connections)
  /// The first `canary` targets run first, on their own; if one of them fails the rest are not
  /// attempted (unless after_canary_failure is keep_going, in which case on_error decides).
  std::size_t canary = 0;
  OnError after_canary_failure = OnError::stop;
  OnError on_error = OnError::stop;
  JobsBound bound = JobsBound::free_connections;
  std::string run_id;         // the detail of run_start and run_done events
  Clock* clock = nullptr;     // when set, items are timed (ItemResult::elapsed, histogram)
  Metrics* metrics = nullptr; // crm_fan_out_items_total{run,outcome}, crm_fan_out_item_seconds
  std::string run_name = "fan_out"; // the `run` label of the metrics
};

/// One finished target.
struct ItemResult {
  FanOutTarget target;
  ItemOutcome outcome;
  std::chrono::milliseconds elapsed{0};
};

enum class FanOutStatus {
  ok,            // every target done
  partial,       // some failed (and, after a failed canary or with stop, some not attempted)
  interrupted,   // cancelled before every target was handed out
  db_unavailable // the database went away: what was done and what was not attempted are listed
};

struct FanOutReport {
  FanOutStatus status = FanOutStatus::ok;
  std::vector<ItemResult> results;         // finished targets, in completion order
  std::vector<FanOutTarget> not_attempted; // in target order
  std::size_t jobs = 0;                    // workers used
  std::string unavailable;                 // why the database was unavailable (first such error)
  std::size_t done_count() const;
  std::size_t failed_count() const; // failed + unavailable
  std::vector<ItemResult> failures() const;
};

/// The work for one target on a borrowed connection. May run on several threads at once.
using FanOutWork = std::function<ItemOutcome(Connection&, const FanOutTarget&)>;

/// Runs `work` over `targets`: each worker borrows one connection from `source` for the whole run
/// (a worker that cannot get one just does not start, as long as another runs), takes the next
/// target until none is left, `cancel` is set, or an error stops the run. Events: run_start,
/// item_start, item_done | item_failed (with done/failed/running/total), run_done; emitted one at
/// a time. A failed target marks its connection errored (reset before reuse); a target the work
/// throws on is failed. Never fails itself: a source that cannot give even one connection is a
/// db_unavailable report with every target not attempted.
FanOutReport fan_out(const std::vector<FanOutTarget>& targets, const FanOutOptions& options,
                     ConnectionSource& source, const std::atomic<bool>& cancel,
                     const FanOutEventSink& events, const FanOutWork& work);

/// The error a report maps to: none when ok; interrupted (130); db_unavailable (7) with counts of
/// done / failed / not attempted and the first not attempted; partial (8) listing up to 10
/// failures. `noun` names a target in messages ("schema", "tenant").
Result<void> fan_out_result(const FanOutReport& report, const std::string& noun);

} // namespace crm::db
