// TenantTx against a real PostgreSQL: a tiny fixture table with the canonical RLS policy.
#include "core/ids.hpp"
#include "db/db.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <tuple>

using namespace crm;

namespace {
db::TenantScope scope(const std::string& org) {
  db::TenantScope s;
  s.org_id = org;
  return s;
}

class TenantTxTest : public ::testing::Test {
protected:
  void SetUp() override {
    c = db.connect();
    ASSERT_TRUE(c);
    auto r = c->exec_script(R"SQL(
      DO $$ BEGIN CREATE ROLE crm_app NOLOGIN NOBYPASSRLS;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
      CREATE SCHEMA crm;
      GRANT USAGE ON SCHEMA crm TO crm_app;
      CREATE FUNCTION crm.current_org_id() RETURNS uuid LANGUAGE sql STABLE AS
        $$ SELECT nullif(current_setting('app.current_org_id', true), '')::uuid $$;
      CREATE TABLE notes (org_id uuid NOT NULL, id int NOT NULL, body text, PRIMARY KEY (org_id, id));
      ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
      ALTER TABLE notes FORCE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON notes TO crm_app
        USING (org_id = crm.current_org_id()) WITH CHECK (org_id = crm.current_org_id());
      GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO crm_app;
    )SQL");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(
        c->exec("INSERT INTO notes VALUES ($1, 1, 'a1'), ($1, 2, 'a2'), ($2, 1, 'b1')", {a, b}));
  }
  test::TempDatabase db;
  std::unique_ptr<db::Connection> c;
  std::string a = uuid_v4(), b = uuid_v4();
};
} // namespace

TEST_F(TenantTxTest, SeesOnlyItsOwnRows) {
  auto tx = c->tenant(scope(a));
  ASSERT_TRUE(tx) << tx.error().message;
  auto rows = (*tx)->exec("SELECT org_id::text AS org, body FROM notes ORDER BY body");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->get(0, "org"), a);
  auto other = (*tx)->exec("SELECT count(*) AS n FROM notes WHERE org_id = $1", {b});
  EXPECT_EQ(other->get(0, "n"), "0");
  auto who = (*tx)->exec("SELECT current_user AS u");
  EXPECT_EQ(who->get(0, "u"), "crm_app");
}

TEST_F(TenantTxTest, CannotWriteAnotherTenantsRows) {
  {
    auto tx = *c->tenant(scope(a));
    auto ins = tx->exec("INSERT INTO notes VALUES ($1, 9, 'forged')", {b});
    ASSERT_FALSE(ins);
    EXPECT_EQ(ins.error().sqlstate, "42501");
  }
  {
    auto tx = *c->tenant(scope(a));
    auto upd = tx->exec("UPDATE notes SET body = 'x' WHERE org_id = $1", {b});
    ASSERT_TRUE(upd);
    EXPECT_EQ(upd->affected, 0);
    auto del = tx->exec("DELETE FROM notes WHERE org_id = $1", {b});
    EXPECT_EQ(del->affected, 0);
    ASSERT_TRUE(tx->commit());
  }
  auto n = c->exec("SELECT count(*) AS n FROM notes WHERE org_id = $1 AND body = 'b1'", {b});
  EXPECT_EQ(n->get(0, "n"), "1");
}

TEST_F(TenantTxTest, ScopeEndsWithTheTransaction) {
  {
    auto tx = *c->tenant(scope(a));
    ASSERT_TRUE(tx->commit());
  }
  auto who = c->exec(
      "SELECT current_user AS u, coalesce(current_setting('app.current_org_id', true), '') AS g");
  EXPECT_NE(who->get(0, "u"), "crm_app");
  EXPECT_EQ(who->get(0, "g"), "");
  // With no tenant set, the application role sees nothing.
  auto tx = *c->admin();
  ASSERT_TRUE(tx->exec("SET LOCAL ROLE crm_app"));
  EXPECT_EQ(tx->exec("SELECT count(*) AS n FROM notes")->get(0, "n"), "0");
}

TEST_F(TenantTxTest, RollbackOnDestructionLeavesNothing) {
  {
    auto tx = *c->tenant(scope(a));
    ASSERT_TRUE(tx->exec("INSERT INTO notes VALUES ($1, 3, 'uncommitted')", {a}));
  }
  EXPECT_EQ(c->exec("SELECT count(*) AS n FROM notes WHERE id = 3")->get(0, "n"), "0");
}

TEST_F(TenantTxTest, ParametersAreDataNeverSql) {
  std::string evil = "x'); DROP TABLE notes; --\xF0\x9F\xA6\xB7";
  auto tx = *c->tenant(scope(a));
  ASSERT_TRUE(tx->exec("INSERT INTO notes VALUES ($1, 4, $2)", {a, evil}));
  EXPECT_EQ(tx->exec("SELECT body FROM notes WHERE id = 4")->get(0, "body"), evil);
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(db::quote_ident("we\"ird"), "\"we\"\"ird\"");
}

TEST_F(TenantTxTest, AdvisoryLockReportsHolder) {
  test::FakeClock clock;
  auto other = db.connect();
  db::LockKey key{42, "test:lock"};
  ASSERT_TRUE(*db::try_lock(*other, key));
  auto r = db::acquire_lock(*c, key, std::chrono::milliseconds(300), clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("pid " + std::to_string(other->backend_pid())),
            std::string::npos)
      << r.error().message;
  ASSERT_TRUE(db::release_lock(*other, key));
  EXPECT_TRUE(db::acquire_lock(*c, key, std::chrono::milliseconds(300), clock));
}

TEST_F(TenantTxTest, LeaveTenantClearsTheConfiguredGuc) {
  auto tx = *c->admin();
  db::TenantScope s = scope(a);
  s.guc = "app.other_org";
  ASSERT_TRUE(db::enter_tenant(*tx, s));
  EXPECT_EQ(tx->exec("SELECT current_setting('app.other_org', true) AS g")->get(0, "g"), a);
  ASSERT_TRUE(db::leave_tenant(*tx, s));
  auto after = tx->exec("SELECT current_user AS u, current_setting('app.other_org', true) AS g");
  EXPECT_EQ(after->get(0, "g"), "");
  EXPECT_NE(after->get(0, "u"), "crm_app");
}

TEST(Database, UnreachableIsDbUnavailableWithHost) {
  auto c = db::Connection::open("postgresql://u:pw@127.0.0.1:1/x");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::db_unavailable);
  EXPECT_NE(c.error().message.find("127.0.0.1:1"), std::string::npos);
  EXPECT_EQ(c.error().message.find("pw"), std::string::npos);
}

TEST_F(TenantTxTest, ScopedTenantTxComposesInsideTheParentTransaction) {
  ASSERT_TRUE(c->exec("CREATE TABLE log (msg text)"));
  {
    auto tx = *c->admin();
    ASSERT_TRUE(tx->exec("INSERT INTO log VALUES ('admin step')"));
    {
      auto in_a = db::scoped(*tx, scope(a));
      ASSERT_TRUE(in_a) << in_a.error().message;
      EXPECT_TRUE((*in_a)->borrowed());
      // Under the tenant's RLS inside the parent's transaction.
      EXPECT_EQ((*in_a)->exec("SELECT count(*) AS n FROM notes")->get(0, "n"), "2");
      EXPECT_EQ((*in_a)->exec("SELECT current_user AS u")->get(0, "u"), "crm_app");
      ASSERT_TRUE((*in_a)->exec("INSERT INTO notes VALUES ($1, 10, 'composed')", {a}));
      EXPECT_FALSE((*in_a)->exec("INSERT INTO notes VALUES ($1, 11, 'foreign')", {b}));
    }
    // The failed insert aborted the whole transaction: nothing of it survives a rollback.
  }
  EXPECT_EQ(c->exec("SELECT count(*) AS n FROM notes WHERE id = 10")->get(0, "n"), "0");
  EXPECT_EQ(c->exec("SELECT count(*) AS n FROM log")->get(0, "n"), "0");

  auto tx = *c->admin();
  ASSERT_TRUE(tx->exec("INSERT INTO log VALUES ('admin step')"));
  {
    auto in_a = *db::scoped(*tx, scope(a));
    ASSERT_TRUE(in_a->exec("INSERT INTO notes VALUES ($1, 10, 'composed')", {a}));
    auto commit = in_a->commit();
    ASSERT_FALSE(commit); // a borrowed scope commits with its parent
    EXPECT_NE(commit.error().message.find("parent"), std::string::npos);
  }
  // Leaving the scope returned to the login role and cleared the tenant.
  auto after = tx->exec("SELECT current_user AS u, current_setting('app.current_org_id', true) g");
  EXPECT_NE(after->get(0, "u"), "crm_app");
  EXPECT_EQ(after->get(0, "g"), "");
  {
    auto in_b = *db::scoped(*tx, scope(b));
    ASSERT_TRUE(in_b->exec("INSERT INTO notes VALUES ($1, 10, 'b too')", {b}));
  }
  ASSERT_TRUE(tx->commit());
  EXPECT_FALSE(tx->active());
  EXPECT_EQ(c->exec("SELECT count(*) AS n FROM notes WHERE id = 10")->get(0, "n"), "2");
  EXPECT_EQ(c->exec("SELECT count(*) AS n FROM log")->get(0, "n"), "1");
}

TEST_F(TenantTxTest, ScopeOfAFinishedTransactionIsRefused) {
  auto tx = *c->admin();
  ASSERT_TRUE(tx->commit());
  auto s = db::scoped(*tx, scope(a));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("finished"), std::string::npos);
}

// ---- prepared statements (db::Statement) ------------------------------------------------------

namespace {
long long prepared_count(db::Connection& c, const db::Statement& st) {
  auto r = c.exec("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = $1", {st.name()});
  return r ? std::stoll(r->get(0, "n")) : -1;
}
} // namespace

TEST_F(TenantTxTest, PreparedStatementsRunUnderEachTenantsScopeAndArePreparedOnce) {
  static const db::Statement count("SELECT count(*) AS n, min(body) AS first FROM notes");
  static const db::Statement insert("INSERT INTO notes VALUES ($1::uuid, $2::int, $3) RETURNING id");
  EXPECT_EQ(count.name().rfind("crm_", 0), 0u);
  EXPECT_EQ(count.name().size(), 20u);
  EXPECT_NE(count.name(), insert.name());
  // Alternating tenants on one session, more often than PostgreSQL's five custom plans before
  // a generic one: RLS is applied per run, whatever plan is cached.
  for (int round = 0; round < 8; ++round) {
    for (const auto& [org, n, first] :
         {std::tuple{a, "2", "a1"}, std::tuple{b, "1", "b1"}}) {
      auto tx = c->tenant(scope(org));
      ASSERT_TRUE(tx) << tx.error().message;
      auto r = (*tx)->exec(count);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->get(0, "n"), n) << round;
      EXPECT_EQ(r->get(0, "first"), first) << round;
    }
  }
  EXPECT_EQ(prepared_count(*c, count), 1);
  {
    auto tx = *c->tenant(scope(a));
    auto ins = tx->exec(insert, {a, "3", "a3 'quoted' \xc3\xa9"});
    ASSERT_TRUE(ins) << ins.error().message;
    EXPECT_EQ(ins->get(0, "id"), "3");
    EXPECT_EQ(ins->affected, 1);
    auto forged = tx->exec(insert, {b, "9", "forged"}); // another tenant's row: refused by RLS
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().sqlstate, "42501");
    // the failure ended the transaction: nothing more runs in it, the insert is gone
    EXPECT_FALSE(tx->active());
    EXPECT_FALSE(tx->exec(count));
    EXPECT_FALSE(tx->commit());
  }
  auto n = c->exec("SELECT count(*) AS n FROM notes WHERE id = 3");
  EXPECT_EQ(n->get(0, "n"), "0");
  // the session is fine afterwards; the statement survived the rollback (prepared once)
  auto tx = *c->tenant(scope(a));
  ASSERT_TRUE(tx->exec(insert, {a, "3", "a3"}));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(prepared_count(*c, insert), 1);
}

TEST_F(TenantTxTest, PreparedStatementsSurviveASessionThatForgetsThem) {
  static const db::Statement st("SELECT $1::int + 1 AS n");
  {
    auto tx = *c->admin();
    ASSERT_EQ(tx->exec(st, {"1"})->get(0, "n"), "2");
    ASSERT_TRUE(tx->commit());
  }
  ASSERT_TRUE(c->discard_session()); // what the pool does to a session an error left behind
  EXPECT_EQ(prepared_count(*c, st), 0);
  {
    auto tx = *c->admin();
    auto r = tx->exec(st, {"2"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->get(0, "n"), "3");
  }
  EXPECT_EQ(prepared_count(*c, st), 1); // prepared again after DISCARD ALL
  // Dropped behind the library's back (as a transaction-mode pooler does when the next
  // transaction lands on another backend): the one run that finds it missing fails and says so;
  // from then on the session runs every db::Statement unnamed, and nothing fails any more.
  static const db::Statement other("SELECT $1::int * 2 AS n");
  ASSERT_TRUE(c->exec_script("DEALLOCATE ALL"));
  {
    auto t = *c->admin();
    auto r = t->exec(st, {"3"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sqlstate, "26000");
  }
  for (int i = 0; i < 3; ++i) {
    auto t = *c->admin();
    auto r = t->exec(st, {"4"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->get(0, "n"), "5");
    EXPECT_EQ(t->exec(other, {"4"})->get(0, "n"), "8");
    ASSERT_TRUE(t->exec_script("DEALLOCATE ALL")); // nothing to lose any more
  }
  EXPECT_EQ(prepared_count(*c, st), 0);
  // NULL parameters and a statement with no rows
  auto last = *c->admin();
  static const db::Statement null_st("SELECT $1::text IS NULL AS isnull WHERE $2::bool");
  EXPECT_EQ(last->exec(null_st, {std::nullopt, "true"})->get(0, "isnull"), "t");
  EXPECT_TRUE(last->exec(null_st, {"x", "false"})->empty());
}

TEST_F(TenantTxTest, AStatementPreparedByAnotherHandUnderOurNameSwitchesToUnnamed) {
  // A name already taken on the server (42P05: a pooler's backend where another client session
  // prepared it): that run fails, the session goes on with unnamed statements.
  static const db::Statement st("SELECT $1::int * 3 AS n");
  ASSERT_TRUE(c->exec_script("PREPARE " + st.name() + " AS SELECT 'not ours'"));
  {
    auto t = *c->admin();
    auto clash = t->exec(st, {"2"});
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().sqlstate, "42P05");
  }
  auto t = *c->admin();
  auto r = t->exec(st, {"7"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->get(0, "n"), "21"); // our text, not the other statement under that name
}

TEST_F(TenantTxTest, APreparedStatementWaitingTooLongForALockNamesTheHolder) {
  static const db::Statement upd("UPDATE notes SET body = $2 WHERE id = $1::int");
  auto holder = db.connect();
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->exec_script("SET application_name = 'lock-holder'"));
  auto h = *holder->admin();
  ASSERT_TRUE(h->exec("UPDATE notes SET body = 'held' WHERE id = 2"));
  auto tx = *c->admin({db::TxIsolation::read_committed, db::TxAccess::read_write,
                       std::chrono::milliseconds(200)});
  auto r = tx->exec(upd, {"2", "mine"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(r.error().sqlstate, "55P03");
  EXPECT_NE(r.error().message.find("lock-holder"), std::string::npos) << r.error().message;
  EXPECT_FALSE(tx->active());
}
