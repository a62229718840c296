// Races between sessions: two creators of one slug, and lock waits that must end (lock_timeout)
// with a conflict naming the session that held the lock.
#include "support/tenant_fixture.hpp"

#include <chrono>
#include <latch>
#include <thread>

using namespace crm;
using namespace std::chrono_literals;

namespace {

class RaceTest : public test::TenantFixture {
protected:
  void SetUp() override {
    TenantFixture::SetUp();
    // Old code waited for row locks forever: fail instead of hanging the suite.
    ASSERT_TRUE(c->exec("SET statement_timeout = '20s'"));
  }
  std::unique_ptr<db::Connection> open(const std::string& application_name) {
    auto conn = db::Connection::open(db.url(), application_name);
    EXPECT_TRUE(conn) << (conn ? "" : conn.error().message);
    if (!conn) return nullptr;
    EXPECT_TRUE((*conn)->exec("SET statement_timeout = '20s'"));
    return std::move(conn).value();
  }
  /// tenant create on `conn`, committed when it succeeded (what cmd/tenant/create.cpp does).
  Result<tenant::CreateResult> create_on(db::Connection& conn, const tenant::CreateSpec& s) {
    auto tx = conn.admin();
    if (!tx) return std::move(tx).error();
    CRM_TRY_ASSIGN(auto r, tenant::create(**tx, s, set, tenancy, actor, DryRun::no));
    CRM_TRY((*tx)->commit());
    return r;
  }
  /// Waits until session `pid` waits for a lock (at most 10 s).
  bool wait_until_blocked(int pid) {
    auto watcher = open("watcher");
    for (int i = 0; i < 1000; ++i) {
      auto r = watcher->exec("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1::int "
                             "AND wait_event_type = 'Lock'",
                             {std::to_string(pid)});
      if (r && r->get(0, "n") == "1") return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  static void expect_no_server_text(const Error& e) {
    EXPECT_EQ(e.message.find("duplicate key"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("deadlock"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("unique constraint"), std::string::npos) << e.message;
  }
};

} // namespace

// The second creator arrives while the first one's transaction is still open: it waits, then
// answers from the committed row.
TEST_F(RaceTest, SecondCreatorOfASlugGetsAConflictNamingTheRace) {
  for (auto iso : {db::Isolation::row, db::Isolation::schema}) {
    auto s = spec(iso == db::Isolation::row ? "Race Row" : "Race Schema", iso);
    auto first = c->admin();
    ASSERT_TRUE(first);
    auto won = tenant::create(**first, s, set, tenancy, actor, DryRun::no);
    ASSERT_TRUE(won) << won.error().message;
    auto loser_conn = open("loser");
    std::optional<Result<tenant::CreateResult>> lost;
    std::thread loser([&] { lost = create_on(*loser_conn, s); });
    EXPECT_TRUE(wait_until_blocked(loser_conn->backend_pid()));
    ASSERT_TRUE((*first)->commit());
    loser.join();
    ASSERT_TRUE(lost.has_value());
    ASSERT_FALSE(*lost);
    EXPECT_EQ(lost->error().kind, ErrorKind::conflict);
    EXPECT_NE(lost->error().message.find("tenant '" + won->slug +
                                         "' was created concurrently by another session"),
              std::string::npos)
        << lost->error().message;
    expect_no_server_text(lost->error());
    EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE slug = $1", {won->slug}), 1);
  }
}

TEST_F(RaceTest, WithIfNotExistsTheSecondCreatorAcceptsTheFirstOnesTenant) {
  auto s = spec("Race Accept", db::Isolation::schema);
  s.if_not_exists = tenant::IfNotExists::yes;
  auto first = c->admin();
  ASSERT_TRUE(first);
  auto won = tenant::create(**first, s, set, tenancy, actor, DryRun::no);
  ASSERT_TRUE(won) << won.error().message;
  auto other = open("second");
  std::optional<Result<tenant::CreateResult>> second;
  std::thread t([&] { second = create_on(*other, s); });
  EXPECT_TRUE(wait_until_blocked(other->backend_pid()));
  ASSERT_TRUE((*first)->commit());
  t.join();
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(*second) << second->error().message;
  EXPECT_FALSE((*second)->created);
  EXPECT_EQ((*second)->org_id, won->org_id);
}

// Both released by one barrier: exactly one creates; the other gets a conflict in crmctl's words,
// or (--if-not-exists, identical attributes) succeeds with created=false.
TEST_F(RaceTest, TwoCreatorsReleasedTogether) {
  for (int round = 0; round < 4; ++round) {
    bool accept = round % 2 == 1;
    auto s = spec("Barrier " + std::to_string(round),
                  round < 2 ? db::Isolation::row : db::Isolation::schema);
    if (accept) s.if_not_exists = tenant::IfNotExists::yes;
    std::unique_ptr<db::Connection> conns[2] = {open("racer-1"), open("racer-2")};
    std::optional<Result<tenant::CreateResult>> out[2];
    std::latch go(2);
    std::thread threads[2];
    for (int i = 0; i < 2; ++i)
      threads[i] = std::thread([&, i] {
        go.arrive_and_wait();
        out[i] = create_on(*conns[i], s);
      });
    for (auto& t : threads)
      t.join();
    int created = 0, ok = 0;
    for (auto& o : out) {
      ASSERT_TRUE(o.has_value());
      if (*o) {
        ++ok;
        created += (*o)->created ? 1 : 0;
        continue;
      }
      EXPECT_FALSE(accept) << o->error().message;
      EXPECT_EQ(o->error().kind, ErrorKind::conflict);
      EXPECT_NE(o->error().message.find("tenant 'barrier-" + std::to_string(round) + "'"),
                std::string::npos)
          << o->error().message;
      expect_no_server_text(o->error());
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(ok, accept ? 2 : 1) << "round " << round;
    if (accept) {
      EXPECT_EQ((*out[0])->org_id, (*out[1])->org_id);
    }
  }
}

TEST_F(RaceTest, IfNotExistsOnADeletedTenantSaysHowToStartOver) {
  auto s = spec("Gone Clinic");
  auto t = create(s);
  ASSERT_TRUE(remove(t, false));
  s.if_not_exists = tenant::IfNotExists::yes;
  for (auto mode : {tenant::IfNotExists::yes, tenant::IfNotExists::no}) {
    s.if_not_exists = mode;
    auto again = try_create(s);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::conflict);
    EXPECT_NE(again.error().message.find("is deleted"), std::string::npos) << again.error().message;
    EXPECT_NE(again.error().message.find("crmctl tenant delete gone-clinic --purge --yes"),
              std::string::npos)
        << again.error().message;
  }
  // Which works: purge, then create again.
  ASSERT_TRUE(remove(t, true));
  auto fresh = try_create(s);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_TRUE(fresh->created);
}

TEST_F(RaceTest, EveryTransactionGetsALockTimeout) {
  auto t = create(spec("Timeout Clinic"));
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->exec("SHOW lock_timeout")->get(0, "lock_timeout"), "5s");
  }
  {
    auto tx = c->tenant(tenant::scope_of(t, tenancy));
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->exec("SHOW lock_timeout")->get(0, "lock_timeout"), "5s");
  }
  {
    db::TxMode m{db::TxIsolation::repeatable_read, db::TxAccess::read_only};
    m.lock_timeout = 250ms;
    auto tx = c->admin(m);
    ASSERT_TRUE(tx);
    EXPECT_EQ((*tx)->exec("SHOW lock_timeout")->get(0, "lock_timeout"), "250ms");
    EXPECT_EQ((*tx)->exec("SHOW transaction_isolation")->get(0, "transaction_isolation"),
              "repeatable read");
  }
  // SET LOCAL: the session's own setting is untouched afterwards.
  EXPECT_EQ(c->exec("SHOW lock_timeout")->get(0, "lock_timeout"), "0");
}

TEST_F(RaceTest, TenantUpdateBehindARowLockEndsInAConflictNamingTheHolder) {
  auto t = create(spec("Locked Clinic"));
  auto holder = open("row-holder");
  ASSERT_TRUE(holder->exec_script("BEGIN; SELECT 1 FROM organizations WHERE id = '" + t.id +
                                  "' FOR UPDATE;"));
  db::TxMode m;
  m.lock_timeout = 300ms;
  tenant::UpdateSpec u;
  u.name = "Locked Clinic 2";
  auto started = std::chrono::steady_clock::now();
  {
    auto tx = c->admin(m);
    ASSERT_TRUE(tx);
    auto r = tenant::update(**tx, t, u, actor, DryRun::no);
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_LT(waited, 5s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::conflict);
    EXPECT_EQ(r.error().sqlstate, "55P03");
    std::string msg = r.error().full_message();
    EXPECT_NE(msg.find("cannot update tenant 'locked-clinic'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pid " + std::to_string(holder->backend_pid())), std::string::npos) << msg;
    EXPECT_NE(msg.find("row-holder"), std::string::npos) << msg;
    EXPECT_NE(msg.find("organizations"), std::string::npos) << msg;
    EXPECT_FALSE((*tx)->active()); // rolled back: nothing half-done is left to commit
  }
  ASSERT_TRUE(holder->exec_script("COMMIT"));
  auto done = update(t, u);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE name = 'Locked Clinic 2'"), 1);
}

TEST_F(RaceTest, ATenantScopeBehindARowLockNamesTheHolderToo) {
  auto t = create(spec("Scoped Clinic", db::Isolation::schema));
  auto holder = open("balance-job");
  ASSERT_TRUE(holder->exec_script("BEGIN; SELECT 1 FROM " + db::quote_ident(t.schema) +
                                  ".credit_accounts FOR UPDATE;"));
  db::TxMode m;
  m.lock_timeout = 200ms;
  auto tx = c->tenant(tenant::scope_of(t, tenancy), m);
  ASSERT_TRUE(tx);
  auto r = (*tx)->exec("UPDATE credit_accounts SET balance = balance + 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("pid " + std::to_string(holder->backend_pid())),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("balance-job"), std::string::npos) << r.error().message;
  ASSERT_TRUE(holder->exec_script("ROLLBACK"));
}
