// db::fan_out with a fake ConnectionSource (no PostgreSQL): bounded jobs, canary, stop/continue,
// cancellation, a database that goes away mid-run, events, metrics.
#include "core/metrics.hpp"
#include "db/fan_out.hpp"
#include "support/fakes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

using namespace crm;
using namespace std::chrono_literals;

namespace {

/// Hands out offline connections; can be bounded, or down (every acquire fails).
class FakeSource final : public db::ConnectionSource {
public:
  enum class State { up, down };
  explicit FakeSource(std::optional<std::size_t> capacity = std::nullopt, State state = State::up)
      : m_capacity(capacity), m_state(state) {}

  Result<db::Lease> acquire() override {
    std::lock_guard lock(m_mutex);
    if (m_state == State::down)
      return make_error(ErrorKind::db_unavailable, "database unavailable at fake:5432: refused");
    if (m_capacity && m_in_use >= *m_capacity)
      return make_error(ErrorKind::db_unavailable, "connection pool exhausted");
    ++m_in_use;
    ++acquired;
    return make_lease(db::Connection::offline("fake:5432"));
  }
  std::optional<std::size_t> spare() const override {
    std::lock_guard lock(m_mutex);
    if (!m_capacity) return std::nullopt;
    return *m_capacity - m_in_use;
  }
  std::size_t in_use() const {
    std::lock_guard lock(m_mutex);
    return m_in_use;
  }
  std::atomic<int> acquired{0};
  std::atomic<int> returned_errored{0};

protected:
  void give_back(std::unique_ptr<db::Connection>, db::LeaseHealth health) override {
    std::lock_guard lock(m_mutex);
    --m_in_use;
    if (health == db::LeaseHealth::errored) ++returned_errored;
  }

private:
  mutable std::mutex m_mutex;
  std::optional<std::size_t> m_capacity;
  State m_state;
  std::size_t m_in_use = 0;
};

std::vector<db::FanOutTarget> targets(int n) {
  std::vector<db::FanOutTarget> out;
  for (int i = 0; i < n; ++i)
    out.push_back({"t" + std::to_string(i), ""});
  return out;
}

db::FanOutOptions options(std::size_t jobs) {
  db::FanOutOptions o;
  o.jobs = jobs;
  o.bound = db::JobsBound::as_given; // the fake has no server to ask
  return o;
}

/// Records every event (fan_out emits them one at a time).
struct Recorder {
  std::vector<FanOutEvent> events;
  FanOutEventSink sink() {
    return [this](const FanOutEvent& e) { events.push_back(e); };
  }
  std::size_t count(FanOutEvent::Kind k) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.kind == k; }));
  }
};

/// Work that fails on chosen ids and tracks how many calls run at once.
struct Work {
  std::vector<std::string> fail_on;
  std::string unavailable_on;
  std::atomic<int> current{0}, max_seen{0}, calls{0};
  std::chrono::milliseconds hold{0};
  db::FanOutWork fn() {
    return [this](db::Connection& c, const db::FanOutTarget& t) {
      EXPECT_EQ(c.target(), "fake:5432");
      int now = ++current;
      int seen = max_seen.load();
      while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
      }
      ++calls;
      if (hold.count()) std::this_thread::sleep_for(hold);
      --current;
      if (t.id == unavailable_on)
        return db::ItemOutcome::from_error(
            make_error(ErrorKind::db_unavailable, "database connection to fake:5432 lost"));
      if (std::find(fail_on.begin(), fail_on.end(), t.id) != fail_on.end())
        return db::ItemOutcome::from_error(make_error(ErrorKind::unexpected, "boom in " + t.id));
      return db::ItemOutcome::ok("1 applied");
    };
  }
};

std::vector<std::string> ids(const std::vector<db::FanOutTarget>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    out.push_back(t.id);
  return out;
}

} // namespace

TEST(FanOut, RespectsTheJobsBound) {
  FakeSource source;
  Work w;
  w.hold = 5ms;
  std::atomic<bool> cancel{false};
  auto rep = db::fan_out(targets(24), options(3), source, cancel, {}, w.fn());
  EXPECT_EQ(rep.status, db::FanOutStatus::ok);
  EXPECT_EQ(rep.done_count(), 24u);
  EXPECT_EQ(rep.jobs, 3u);
  EXPECT_LE(w.max_seen.load(), 3);
  EXPECT_GE(w.max_seen.load(), 2); // it did run in parallel
  EXPECT_EQ(source.in_use(), 0u);  // every lease returned
  EXPECT_EQ(source.acquired.load(), 3);
}

TEST(FanOut, JobsAreBoundedByTheSourcesSpareConnections) {
  FakeSource source(2);
  Work w;
  w.hold = 3ms;
  std::atomic<bool> cancel{false};
  auto rep = db::fan_out(targets(10), options(8), source, cancel, {}, w.fn());
  EXPECT_EQ(rep.status, db::FanOutStatus::ok);
  EXPECT_EQ(rep.jobs, 2u);
  EXPECT_LE(w.max_seen.load(), 2);
}

TEST(FanOut, ACanaryFailureStopsTheRest) {
  FakeSource source;
  Work w;
  w.fail_on = {"t1"};
  auto o = options(2);
  o.canary = 3;
  o.on_error = db::OnError::keep_going; // the canary stops the run regardless
  std::atomic<bool> cancel{false};
  Recorder rec;
  auto rep = db::fan_out(targets(10), o, source, cancel, rec.sink(), w.fn());
  EXPECT_EQ(rep.status, db::FanOutStatus::partial);
  EXPECT_EQ(rep.results.size(), 3u); // the three canaries ran to the end
  EXPECT_EQ(rep.failed_count(), 1u);
  EXPECT_EQ(rep.not_attempted.size(), 7u);
  EXPECT_EQ(rep.not_attempted.front().id, "t3");
  EXPECT_EQ(rec.events.front().kind, FanOutEvent::Kind::run_start);
  EXPECT_EQ(rec.events.back().kind, FanOutEvent::Kind::run_done);
  EXPECT_EQ(rec.events.back().failed, 1u);
  EXPECT_EQ(rec.events.back().done, 2u);
  EXPECT_EQ(rec.events.back().total, 10u);

  // Canaries that pass: the rest follows.
  Work ok;
  auto all = db::fan_out(targets(10), o, source, cancel, {}, ok.fn());
  EXPECT_EQ(all.status, db::FanOutStatus::ok);
  EXPECT_EQ(all.done_count(), 10u);

  // A failed canary with after_canary_failure = keep_going: on_error decides (continue).
  o.after_canary_failure = db::OnError::keep_going;
  auto go_on = db::fan_out(targets(10), o, source, cancel, {}, w.fn());
  EXPECT_EQ(go_on.results.size(), 10u);
  EXPECT_TRUE(go_on.not_attempted.empty());
}

TEST(FanOut, StopOrContinueAfterAFailure) {
  FakeSource source;
  std::atomic<bool> cancel{false};
  Work w;
  w.fail_on = {"t2"};
  auto stop = db::fan_out(targets(10), options(1), source, cancel, {}, w.fn());
  EXPECT_EQ(stop.status, db::FanOutStatus::partial);
  EXPECT_EQ(stop.results.size(), 3u); // t0, t1, t2
  EXPECT_EQ(ids(stop.not_attempted),
            (std::vector<std::string>{"t3", "t4", "t5", "t6", "t7", "t8", "t9"}));
  EXPECT_EQ(source.returned_errored.load(), 1); // the failed item's connection gets a reset

  auto o = options(1);
  o.on_error = db::OnError::keep_going;
  auto cont = db::fan_out(targets(10), o, source, cancel, {}, w.fn());
  EXPECT_EQ(cont.status, db::FanOutStatus::partial);
  EXPECT_EQ(cont.results.size(), 10u);
  EXPECT_EQ(cont.failed_count(), 1u);
  ASSERT_EQ(cont.failures().size(), 1u);
  EXPECT_EQ(cont.failures()[0].target.id, "t2");
  EXPECT_EQ(cont.failures()[0].outcome.detail, "boom in t2");
  auto err = db::fan_out_result(cont, "item");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::partial);
  EXPECT_EQ(err.error().message, "1 item(s) failed: t2 (fix and rerun)");
}

TEST(FanOut, CancellationStopsHandingOutTargets) {
  FakeSource source;
  std::atomic<bool> cancel{false};
  auto rep = db::fan_out(targets(10), options(1), source, cancel, {},
                         [&](db::Connection&, const db::FanOutTarget& t) {
                           if (t.id == "t3") cancel = true; // SIGINT while t3 runs
                           return db::ItemOutcome::ok();
                         });
  EXPECT_EQ(rep.status, db::FanOutStatus::interrupted);
  EXPECT_EQ(rep.done_count(), 4u); // t3 finishes
  EXPECT_EQ(rep.not_attempted.size(), 6u);
  auto err = db::fan_out_result(rep, "schema");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::interrupted);
}

TEST(FanOut, ADatabaseThatGoesAwayIsUnavailableNotPartial) {
  FakeSource source;
  Work w;
  w.unavailable_on = "t4";
  w.fail_on = {"t1"};
  auto o = options(1);
  o.on_error = db::OnError::keep_going; // a failure goes on; a lost database does not
  std::atomic<bool> cancel{false};
  Recorder rec;
  auto rep = db::fan_out(targets(20), o, source, cancel, rec.sink(), w.fn());
  EXPECT_EQ(rep.status, db::FanOutStatus::db_unavailable);
  EXPECT_EQ(rep.unavailable, "database connection to fake:5432 lost");
  EXPECT_EQ(rep.results.size(), 5u); // t0..t4
  EXPECT_EQ(rep.done_count(), 3u);
  EXPECT_EQ(rep.not_attempted.size(), 15u);
  EXPECT_EQ(rep.not_attempted.front().id, "t5");
  auto unavailable = std::count_if(rep.results.begin(), rep.results.end(), [](const auto& r) {
    return r.outcome.status == db::ItemStatus::unavailable;
  });
  EXPECT_EQ(unavailable, 1);
  EXPECT_EQ(rec.count(FanOutEvent::Kind::item_start), rep.results.size());
  auto err = db::fan_out_result(rep, "schema");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::db_unavailable);
  EXPECT_NE(err.error().message.find("database unavailable during the fan-out "
                                     "(database connection to fake:5432 lost)"),
            std::string::npos);
  EXPECT_NE(err.error().message.find(std::to_string(rep.not_attempted.size()) + " not attempted"),
            std::string::npos);
  EXPECT_EQ(err.error().message,
            "database unavailable during the fan-out (database connection to fake:5432 lost): "
            "3 schema(s) done, 2 failed (t1, t4), 15 not attempted (t5, t6, t7, t8, t9, t10, t11, "
            "t12, t13, t14, ...); rerun when the database is back");

  // With several workers: what runs finishes, nothing is handed out afterwards, nothing is lost.
  o.jobs = 4;
  Work slow;
  slow.unavailable_on = "t6";
  slow.hold = std::chrono::milliseconds(2);
  auto par = db::fan_out(targets(40), o, source, cancel, {}, slow.fn());
  EXPECT_EQ(par.status, db::FanOutStatus::db_unavailable);
  EXPECT_EQ(par.results.size() + par.not_attempted.size(), 40u);
  EXPECT_EQ(slow.calls.load(), static_cast<int>(par.results.size()));
  EXPECT_EQ(source.in_use(), 0u);
}

TEST(FanOut, ASourceThatIsDownAttemptsNothing) {
  FakeSource source(std::nullopt, FakeSource::State::down);
  Work w;
  std::atomic<bool> cancel{false};
  Recorder rec;
  auto rep = db::fan_out(targets(5), options(4), source, cancel, rec.sink(), w.fn());
  EXPECT_EQ(rep.status, db::FanOutStatus::db_unavailable);
  EXPECT_EQ(rep.unavailable, "database unavailable at fake:5432: refused");
  EXPECT_EQ(rep.not_attempted.size(), 5u);
  EXPECT_EQ(w.calls.load(), 0);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].kind, FanOutEvent::Kind::run_start);
  EXPECT_EQ(rec.events[1].kind, FanOutEvent::Kind::run_done);
  EXPECT_EQ(db::fan_out_result(rep, "schema").error().kind, ErrorKind::db_unavailable);
}

TEST(FanOut, ThrowingWorkFailsItsTargetOnly) {
  FakeSource source;
  std::atomic<bool> cancel{false};
  auto o = options(2);
  o.on_error = db::OnError::keep_going;
  auto rep = db::fan_out(
      targets(6), o, source, cancel, {}, [](db::Connection& c, const db::FanOutTarget& t) {
        if (t.id == "t2") throw std::runtime_error("bad input");
        if (t.id == "t3") {
          auto r = c.exec("SELECT 1"); // offline: a lost connection
          EXPECT_FALSE(c.is_usable());
          return r ? db::ItemOutcome::ok() : db::ItemOutcome::from_error(r.error());
        }
        return db::ItemOutcome::ok();
      });
  ASSERT_EQ(rep.failures().size() + rep.done_count() + rep.not_attempted.size(), 6u);
  auto failures = rep.failures();
  auto thrown = std::find_if(failures.begin(), failures.end(),
                             [](const auto& r) { return r.target.id == "t2"; });
  ASSERT_NE(thrown, failures.end());
  EXPECT_EQ(thrown->outcome.detail, "unexpected: bad input");
  EXPECT_EQ(rep.status, db::FanOutStatus::db_unavailable); // t3's connection was gone
}

TEST(FanOut, EventCountersAddUpAndMetricsCount) {
  FakeSource source;
  Work w;
  w.fail_on = {"t5"};
  test::FakeClock clock;
  Metrics metrics;
  auto o = options(3);
  o.on_error = db::OnError::keep_going;
  o.clock = &clock;
  o.metrics = &metrics;
  o.run_name = "unit";
  o.run_id = "run-1";
  std::atomic<bool> cancel{false};
  Recorder rec;
  auto rep = db::fan_out(targets(12), o, source, cancel, rec.sink(), w.fn());
  EXPECT_EQ(rec.events.front().detail, "run-1");
  EXPECT_EQ(rec.count(FanOutEvent::Kind::item_start), 12u);
  EXPECT_EQ(rec.count(FanOutEvent::Kind::item_done), 11u);
  EXPECT_EQ(rec.count(FanOutEvent::Kind::item_failed), 1u);
  for (const auto& e : rec.events) {
    EXPECT_LE(e.done + e.failed + e.running, e.total);
    EXPECT_LE(e.running, 3u);
  }
  EXPECT_EQ(rec.events.back().running, 0u);
  EXPECT_EQ(metrics.counter("crm_fan_out_items_total", "", {{"run", "unit"}, {"outcome", "done"}})
                .value(),
            11);
  EXPECT_EQ(metrics.counter("crm_fan_out_items_total", "", {{"outcome", "failed"}, {"run", "unit"}})
                .value(),
            1);
  EXPECT_NE(metrics.render().find("crm_fan_out_item_seconds_count{run=\"unit\"} 12"),
            std::string::npos);
}

TEST(FanOutEvents, NdjsonKeepsTheMigrateVocabulary) {
  Redactor r;
  r.add("sk_live_abcdefgh1234");
  FanOutStyle style{"migrate", "schema"};
  FanOutEvent e{FanOutEvent::Kind::item_failed, "org_1", "", 3, 1, 2, 10,
                "boom sk_live_abcdefgh1234"};
  EXPECT_EQ(
      fan_out_event_json(e, style, r),
      "{\"detail\":\"boom sk_\u20261234\",\"done\":3,\"event\":\"schema_failed\",\"failed\":1,"
      "\"running\":2,\"schema\":\"org_1\",\"total\":10}");
  FanOutEvent start{FanOutEvent::Kind::run_start, "", "", 0, 0, 0, 10, ""};
  EXPECT_EQ(fan_out_event_json(start, {}, r),
            "{\"done\":0,\"event\":\"run_start\",\"failed\":0,\"running\":0,\"total\":10}");
  FanOutEvent labelled{FanOutEvent::Kind::item_done, "2f0c", "acme", 1, 0, 0, 2, ""};
  EXPECT_EQ(fan_out_event_json(labelled, {}, r),
            "{\"done\":1,\"event\":\"item_done\",\"failed\":0,\"item\":\"2f0c\",\"label\":\"acme\","
            "\"running\":0,\"total\":2}");

  // NDJSON when stderr is not a terminal, a bar when it is.
  test::TestIO tio;
  test::FakeClock clock;
  auto sink = fan_out_renderer(tio.io, clock, r, style);
  sink(start);
  sink(e);
  EXPECT_EQ(tio.err.str(),
            fan_out_event_json(start, style, r) + "\n" + fan_out_event_json(e, style, r) + "\n");
  test::TestIO tty;
  tty.io.stderr_tty = true;
  std::string written;
  auto bar =
      fan_out_renderer(tty.io, clock, r, style, [&](std::string_view text) { written += text; });
  bar(start);
  bar(e);
  bar({FanOutEvent::Kind::run_done, "", "", 9, 1, 0, 10, ""});
  EXPECT_NE(written.find("migrate [#"), std::string::npos);
  EXPECT_NE(written.find("4/10 done 3 failed 1 running 2"), std::string::npos);
  EXPECT_EQ(written.back(), '\n');
  EXPECT_EQ(tty.err.str(), ""); // everything went through the writer
}
