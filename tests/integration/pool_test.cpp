// db::Pool against a real PostgreSQL: bounds and the exhaustion error, a server that is down,
// reconnecting after the backends were terminated, resetting an errored session; and migrate up
// when the database goes away mid-fan-out (exit 7, not 8) and closes the dead run on the next one.
#include "cmd/system_clock.hpp"
#include "core/exit_codes.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "db/pool.hpp"
#include "migrate/migrate.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace crm;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class PoolTest : public ::testing::Test {
protected:
  test::TempDatabase db;
  cmd::SystemClock clock; // real waiting: acquire timeouts are measured

  std::unique_ptr<db::Pool> pool(std::size_t size, std::chrono::milliseconds timeout = 5000ms,
                                 Metrics* metrics = nullptr) {
    db::PoolOptions o;
    o.size = size;
    o.acquire_timeout = timeout;
    return std::make_unique<db::Pool>(db::url_opener(db.url()), o, clock, metrics);
  }
  // Terminates every session of the test database named `app` (from the admin database).
  void terminate_all(const std::string& app = "crmctl") {
    auto admin = db::Connection::open(test::admin_url(), "pool-test-admin");
    ASSERT_TRUE(admin);
    auto r = (*admin)->exec("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
                            "WHERE datname = $1 AND application_name = $2",
                            {db.name(), app});
    ASSERT_TRUE(r) << r.error().message;
    // pg_terminate_backend only signals: wait until they are gone.
    for (int i = 0; i < 200; ++i) {
      auto left = (*admin)->exec("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 "
                                 "AND application_name = $2",
                                 {db.name(), app});
      if (left && left->get(0, "n") == "0") return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "backends did not go away";
  }
  void allow_connections(bool allow) {
    auto admin = db::Connection::open(test::admin_url(), "pool-test-admin");
    ASSERT_TRUE(admin);
    ASSERT_TRUE((*admin)->exec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS " +
                               (allow ? "true" : "false")));
  }
  static std::string one(db::Connection& c, const std::string& sql) {
    auto r = c.exec(sql);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->get(0, r->columns[0]) : "";
  }
};

} // namespace

TEST_F(PoolTest, OpensLazilyAndStaysWithinItsSize) {
  Metrics metrics;
  auto p = pool(3, 5000ms, &metrics);
  EXPECT_EQ(p->stats().open, 0u); // nothing until the first acquire
  std::atomic<int> in_use{0}, max_in_use{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        auto lease = p->acquire();
        if (!lease) {
          ++failures;
          continue;
        }
        int now = ++in_use;
        int seen = max_in_use.load();
        while (now > seen && !max_in_use.compare_exchange_weak(seen, now)) {
        }
        if (one(**lease, "SELECT 1") != "1") ++failures;
        --in_use;
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(max_in_use.load(), 3);
  auto s = p->stats();
  EXPECT_EQ(s.opened, 3u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 3u);
  std::string text = metrics.render();
  EXPECT_NE(text.find("crm_db_pool_connections{state=\"idle\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("crm_db_pool_connections{state=\"in_use\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("crm_db_pool_opened_total 3\n"), std::string::npos);
}

TEST_F(PoolTest, ExhaustionIsDbUnavailableSayingHowMany) {
  auto p = pool(2, 300ms);
  auto a = p->acquire();
  auto b = p->acquire();
  ASSERT_TRUE(a && b);
  auto start = std::chrono::steady_clock::now();
  auto c = p->acquire();
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::db_unavailable);
  EXPECT_EQ(exit_code_for(c.error().kind), 7);
  EXPECT_EQ(c.error().message, "connection pool exhausted: 2 of 2 sessions in use for 300 ms "
                               "(raise pool_size in the profile or lower --jobs)");
  EXPECT_GE(waited, 290ms);
  EXPECT_EQ(p->stats().exhausted, 1u);

  // A waiter gets the session another thread gives back.
  auto pid_a = (*a)->backend_pid();
  auto later = std::async(std::launch::async, [&] { return p->acquire(); });
  std::this_thread::sleep_for(50ms);
  a->release();
  auto got = later.get();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)->backend_pid(), pid_a); // reused, not a new session
  EXPECT_EQ(p->stats().opened, 2u);
  EXPECT_GE(p->stats().waits, 2u);
}

TEST_F(PoolTest, ADownServerIsNamedWithItsReason) {
  db::PoolOptions o;
  o.size = 2;
  db::Pool p(db::url_opener("postgresql://postgres@127.0.0.1:1/crm?connect_timeout=2"), o, clock);
  auto r = p.acquire();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::db_unavailable);
  EXPECT_NE(r.error().message.find("database unavailable at 127.0.0.1:1: "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  EXPECT_EQ(p.stats().open, 0u); // the failed slot was given back
  EXPECT_EQ(p.spare(), 2u);
}

TEST_F(PoolTest, ReconnectsAfterTheBackendsWereTerminated) {
  auto p = pool(2);
  int first_pid = 0;
  {
    auto a = p->acquire();
    ASSERT_TRUE(a);
    first_pid = (*a)->backend_pid();
  }
  terminate_all();                    // what a server restart does to pooled sessions
  std::this_thread::sleep_for(600ms); // idle past validate_after_idle: probed on checkout
  auto b = p->acquire();
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_NE((*b)->backend_pid(), first_pid);
  EXPECT_EQ(one(**b, "SELECT 1"), "1");
  EXPECT_EQ(one(**b, "SHOW application_name"), "crmctl");
  EXPECT_EQ(p->stats().replaced, 1u);

  // A session that died in use: the failed statement marks it, the pool replaces it.
  terminate_all();
  auto dead = (*b)->exec("SELECT 1");
  ASSERT_FALSE(dead);
  EXPECT_EQ(dead.error().kind, ErrorKind::db_unavailable);
  b->mark_errored();
  b->release();
  auto c = p->acquire();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(one(**c, "SELECT 2"), "2");
}

TEST_F(PoolTest, AnErroredSessionIsResetBeforeReuse) {
  auto p = pool(1);
  int pid = 0;
  {
    auto a = p->acquire();
    ASSERT_TRUE(a);
    pid = (*a)->backend_pid();
    ASSERT_TRUE((*a)->exec("SELECT set_config('search_path', 'nowhere', false), "
                           "pg_advisory_lock(42)"));
    a->mark_errored(); // what fan_out does after a failed target
  }
  auto b = p->acquire();
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)->backend_pid(), pid); // the same session, reset
  EXPECT_EQ(one(**b, "SHOW search_path"), "\"$user\", public");
  EXPECT_EQ(one(**b, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                     "pg_backend_pid()"),
            "0");
  EXPECT_EQ(one(**b, "SHOW application_name"), "crmctl");
}

// ---- migrate over the pool ------------------------------------------------------------------

namespace {

struct Dir {
  fs::path dir;
  Dir() {
    dir = fs::temp_directory_path() / ("crmctl-pool-" + uuid_v4().substr(0, 8));
    fs::create_directories(dir / "global");
    fs::create_directories(dir / "tenant");
  }
  ~Dir() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(dir / rel, std::ios::binary) << text;
  }
};

const char* k_orgs = "CREATE TABLE organizations (id uuid PRIMARY KEY, slug text UNIQUE, "
                     "isolation text NOT NULL DEFAULT 'row', schema_name text, status text NOT "
                     "NULL DEFAULT 'active', created_at timestamptz NOT NULL DEFAULT now());\n";

} // namespace

TEST_F(PoolTest, MigrateUpWhenTheDatabaseGoesAwayIsUnavailableAndTheNextRunCloses) {
  Dir d;
  d.write("global/20260101000000_orgs.sql", k_orgs);
  d.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  auto p = pool(4);
  std::atomic<bool> stop{false};
  auto set = migrate::load_migrations(d.dir.string());
  ASSERT_TRUE(set);
  auto first = migrate::up(*set, {}, *p, clock, {}, stop);
  ASSERT_TRUE(first && first->failed_count() == 0);
  auto c = db.connect();
  ASSERT_TRUE(c->exec_script(
      "INSERT INTO organizations (id, slug, isolation, schema_name) SELECT gen_random_uuid(), "
      "'s' || g, 'schema', 'org_pool_' || g FROM generate_series(1, 30) g; "
      "DO $$ BEGIN FOR i IN 1..30 LOOP EXECUTE format('CREATE SCHEMA org_pool_%s', i); END LOOP; "
      "END $$;"));
  d.write("tenant/20260101000100_slow.sql",
          "CREATE TABLE slow (org_id uuid NOT NULL);\nSELECT pg_sleep(0.1);\n");
  set = migrate::load_migrations(d.dir.string());

  migrate::RunOptions o;
  o.jobs = 2;
  std::vector<FanOutEvent> events;
  std::mutex mu;
  auto running = std::async(std::launch::async, [&] {
    return migrate::up(
        *set, o, *p, clock,
        [&](const FanOutEvent& e) {
          std::lock_guard lock(mu);
          events.push_back(e);
        },
        stop);
  });
  // Once a few schemas are done, the database goes away: no new sessions, the current ones killed.
  for (int i = 0; i < 600; ++i) {
    if (std::stoi(one(*c, "SELECT count(*) FROM crm.schema_migrations WHERE version = "
                          "'20260101000100' AND status = 'applied'")) >= 3)
      break;
    std::this_thread::sleep_for(20ms);
  }
  c.reset();
  allow_connections(false);
  terminate_all();
  auto rep = running.get();
  allow_connections(true);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_FALSE(rep->unavailable.empty());
  EXPECT_FALSE(rep->interrupted);
  EXPECT_FALSE(rep->not_attempted.empty());
  EXPECT_LT(rep->not_attempted.size(), 31u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, FanOutEvent::Kind::run_done);
  std::size_t applied_before = rep->applied_count();
  EXPECT_GE(applied_before, 3u);

  // The next run (same pool: its dead sessions are replaced) closes the dead run and finishes.
  auto again = migrate::up(*set, o, *p, clock, {}, stop);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->failed_count(), 0u) << again->schemas.back().error;
  EXPECT_TRUE(again->unavailable.empty());
  ASSERT_EQ(again->abandoned_runs.size(), 1u);
  EXPECT_EQ(again->abandoned_runs[0], rep->run_id);
  // 30 new schemas take both files, public only the new one; nothing twice (<=: a COMMIT cut off
  // by the kill may have landed without the run knowing).
  EXPECT_LE(applied_before + again->applied_count(), 30u * 2 + 1);
  EXPECT_GE(applied_before + again->applied_count(), 30u * 2 + 1 - 2);
  auto c2 = db.connect();
  EXPECT_EQ(one(*c2, "SELECT status || ':' || (finished_at IS NOT NULL) FROM crm.migration_runs "
                     "WHERE run_id = '" +
                         rep->run_id + "'"),
            "abandoned:true");
  EXPECT_EQ(one(*c2, "SELECT count(*) FROM crm.schema_migrations WHERE version = "
                     "'20260101000100' AND status = 'applied' AND attempt = 1"),
            "31");
}
