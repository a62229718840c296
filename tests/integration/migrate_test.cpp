// The migration engine against a real PostgreSQL: canonical schema, fan-out, failures, drift,
// locks.
#include "cmd/system_clock.hpp"
#include "core/ids.hpp"
#include "migrate/migrate.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace crm;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  explicit Fixture(const std::string& tag) {
    dir = fs::temp_directory_path() / ("crmctl-mig-" + tag + "-" + uuid_v4().substr(0, 8));
    fs::create_directories(dir / "global");
    fs::create_directories(dir / "tenant");
  }
  ~Fixture() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(dir / rel, std::ios::binary) << text;
  }
};

const char* k_global = "CREATE TABLE organizations (id uuid PRIMARY KEY, slug text UNIQUE, "
                       "isolation text NOT NULL DEFAULT 'row',\n"
                       "  schema_name text, status text NOT NULL DEFAULT 'active', created_at "
                       "timestamptz NOT NULL DEFAULT now());\n";

class MigrateTest : public ::testing::Test {
protected:
  test::TempDatabase db;
  test::FakeClock clock;
  std::atomic<bool> stop{false};
  migrate::ConnectionFactory factory() {
    return [this]() -> Result<std::unique_ptr<db::Connection>> {
      return db::Connection::open(db.url());
    };
  }
  // n schema tenants, registered in organizations with their schemas created.
  std::vector<std::string> add_schema_tenants(db::Connection& c, int n) {
    std::vector<std::string> schemas;
    for (int i = 0; i < n; ++i) {
      std::string id = uuid_v4(), schema = "org_" + id.substr(0, 8) + id.substr(9, 4);
      EXPECT_TRUE(c.exec("INSERT INTO organizations (id, slug, isolation, schema_name) VALUES ($1, "
                         "$2, 'schema', $3)",
                         {id, "t" + std::to_string(i), schema}));
      EXPECT_TRUE(c.exec_script("CREATE SCHEMA " + db::quote_ident(schema)));
      schemas.push_back(schema);
    }
    return schemas;
  }
  migrate::RunReport up(const fs::path& dir, migrate::RunOptions o = {}) {
    auto set = migrate::load_migrations(dir.string());
    EXPECT_TRUE(set) << set.error().message;
    auto r = migrate::up(*set, o, factory(), clock, {}, stop);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : migrate::RunReport{};
  }
  long count(db::Connection& c, const std::string& sql, const db::Params& p = {}) {
    auto r = c.exec(sql, p);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::stol(r->get(0, r->columns[0])) : -1;
  }
};

} // namespace

TEST_F(MigrateTest, CanonicalSchemaKeepsTheFiveInvariants) {
  auto rep = up(fs::path(CRM_SOURCE_DIR) / "templates/migrations");
  ASSERT_EQ(rep.failed_count(), 0u) << rep.schemas.front().error;
  auto c = db.connect();
  // 1+3: every tenant table (public, with org_id, not marked global) has RLS enabled and forced
  // and a policy for crm_app.
  long bad = count(*c, R"(
    SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_id'
    WHERE n.nspname = 'public' AND t.relkind = 'r'
      AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%'
      AND (NOT t.relrowsecurity OR NOT t.relforcerowsecurity OR NOT a.attnotnull
           OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid
                          AND pg_get_expr(p.polqual, p.polrelid) LIKE '%org_id = crm.current_org_id()%'
                          AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%org_id = crm.current_org_id()%')))");
  EXPECT_EQ(bad, 0);
  long tenant_tables = count(*c, R"(
    SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_id'
    WHERE n.nspname = 'public' AND t.relkind = 'r'
      AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%')");
  EXPECT_GE(tenant_tables, 17);
  // 2: every unique/primary key and every FK between tenant tables includes org_id.
  long keys_without_org = count(*c, R"(
    SELECT count(*) FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND k.contype IN ('p', 'u', 'f')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'org_id')
      AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%'
      AND NOT (k.contype = 'f' AND k.confrelid IN ('public.organizations'::regclass, 'public.users'::regclass, 'public.tools'::regclass))
      AND NOT EXISTS (SELECT 1 FROM unnest(k.conkey) col JOIN pg_attribute a
                      ON a.attrelid = t.oid AND a.attnum = col WHERE a.attname = 'org_id'))");
  EXPECT_EQ(keys_without_org, 0);
  // 4: the guard trigger on each; 5: the first key column is org_id (PK leads with it).
  long no_trigger = count(*c, R"(
    SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_id'
    WHERE n.nspname = 'public' AND t.relkind = 'r'
      AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%'
      AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.oid AND g.tgname = 'org_id_immutable')
      AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute f ON f.attrelid = t.oid AND f.attnum = i.indkey[0]
                      WHERE i.indrelid = t.oid AND f.attname = 'org_id'))");
  EXPECT_EQ(no_trigger, 0);
  // Roles: app role without BYPASSRLS and LOGIN.
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_roles WHERE rolname IN ('crm_app','crm_readonly') "
                      "AND NOT rolbypassrls AND NOT rolcanlogin"),
            2);
  // Immutable org_id.
  std::string org = uuid_v4();
  ASSERT_TRUE(
      c->exec("INSERT INTO organizations (id, slug, name) VALUES ($1, 'acme', 'Acme')", {org}));
  ASSERT_TRUE(
      c->exec("INSERT INTO services (org_id, name, price) VALUES ($1, 'Botox', 400)", {org}));
  auto moved = c->exec("UPDATE services SET org_id = gen_random_uuid()");
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().sqlstate, "42501");
  // Rerun is a no-op.
  auto again = up(fs::path(CRM_SOURCE_DIR) / "templates/migrations");
  EXPECT_EQ(again.applied_count(), 0u);
}

TEST_F(MigrateTest, FansOutOverSchemaTenantsAndResumes) {
  Fixture f("fan");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  auto schemas = add_schema_tenants(*c, 12);
  migrate::RunOptions o;
  o.jobs = 4;
  auto rep = up(f.dir, o);
  EXPECT_EQ(rep.failed_count(), 0u);
  EXPECT_EQ(rep.applied_count(), 12u);
  for (const auto& s : schemas)
    EXPECT_EQ(
        count(*c, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'a'", {s}),
        1);
  f.write("tenant/20260101000100_b.sql", "CREATE TABLE b (org_id uuid NOT NULL);\n");
  f.write("tenant/20260101000200_c.sql", "CREATE TABLE c (org_id uuid NOT NULL);\n");
  auto rep2 = up(f.dir, o);
  EXPECT_EQ(rep2.applied_count(), 13u * 2);
  auto set = migrate::load_migrations(f.dir.string());
  auto st = migrate::status(*c, *set);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->tenant_schemas, 13u);
  EXPECT_EQ(st->tenant_behind, 0u);
  EXPECT_EQ(st->tenant_histogram.at("20260101000200"), 13u);
  // Each (schema, version) applied exactly once.
  EXPECT_EQ(
      count(*c,
            "SELECT count(*) FROM crm.schema_migrations WHERE track = 'tenant' AND attempt <> 1"),
      0);
}

TEST_F(MigrateTest, FailingTenantStaysAtPreviousVersionOthersContinue) {
  Fixture f("fail");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  auto schemas = add_schema_tenants(*c, 5);
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  std::string bad = schemas[2];
  // Fails half-way, only in one schema: the first statement must be rolled back with it.
  f.write("tenant/20260101000100_b.sql",
          "CREATE TABLE b (org_id uuid NOT NULL);\n"
          "DO $$ BEGIN IF current_schema() = '" +
              bad + "' THEN RAISE EXCEPTION 'boom in %', current_schema(); END IF; END $$;\n");
  migrate::RunOptions o;
  o.stop_on_error = false;
  o.jobs = 2;
  auto rep = up(f.dir, o);
  ASSERT_EQ(rep.failed_count(), 1u);
  auto failed =
      std::find_if(rep.schemas.begin(), rep.schemas.end(), [](auto& s) { return s.failed; });
  EXPECT_EQ(failed->schema, bad);
  EXPECT_EQ(failed->failed_version, "20260101000100");
  EXPECT_NE(failed->error.find("boom"), std::string::npos);
  EXPECT_EQ(
      count(*c, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'b'", {bad}),
      0);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), 5); // public + 4
  EXPECT_EQ(
      count(
          *c,
          "SELECT count(*) FROM crm.schema_migrations WHERE schema_name = $1 AND status = 'failed'",
          {bad}),
      1);
  // Fix the file; a rerun finishes the job and touches only the failed schema.
  f.write("tenant/20260101000100_b.sql", "CREATE TABLE b (org_id uuid NOT NULL);\n");
  auto fixed = up(f.dir, o);
  EXPECT_EQ(fixed.failed_count(), 0u);
  EXPECT_EQ(fixed.applied_count(), 1u);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), 6);
}

TEST_F(MigrateTest, StopOnErrorLeavesTheRestPending) {
  Fixture f("stop");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  add_schema_tenants(*c, 6);
  f.write("tenant/20260101000100_b.sql", "SELECT 1/0;\n");
  migrate::RunOptions o;
  o.jobs = 1;
  o.canary = 0;
  auto rep = up(f.dir, o);
  EXPECT_EQ(rep.failed_count(), 1u); // public fails first; stop
  EXPECT_EQ(rep.schemas.size(), 2u); // global + public
}

TEST_F(MigrateTest, VerifyFindsEditsButNotLineEndings) {
  Fixture f("verify");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\r\n");
  auto clean = migrate::verify(*c, *migrate::load_migrations(f.dir.string()));
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->empty());
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL, extra int);\n");
  auto set = *migrate::load_migrations(f.dir.string());
  auto drift = migrate::verify(*c, set);
  ASSERT_TRUE(drift);
  ASSERT_EQ(drift->size(), 1u);
  EXPECT_EQ((*drift)[0].kind, "changed");
  EXPECT_NE((*drift)[0].file.find("20260101000000_a.sql"), std::string::npos);
  EXPECT_EQ((*drift)[0].schemas, std::vector<std::string>{"public"});
  // repair accepts the edit; verify is clean again.
  ASSERT_EQ(*migrate::repair(*c, set, "test", false), 1);
  EXPECT_TRUE(migrate::verify(*c, set)->empty());
  fs::remove(f.dir / "tenant/20260101000000_a.sql");
  auto missing = migrate::verify(*c, *migrate::load_migrations(f.dir.string()));
  ASSERT_EQ(missing->size(), 1u);
  EXPECT_EQ((*missing)[0].kind, "missing");
}

TEST_F(MigrateTest, SecondRunnerWaitsThenNamesTheHolder) {
  Fixture f("lock");
  f.write("global/20260101000000_orgs.sql", k_global);
  auto holder = db.connect();
  ASSERT_TRUE(*db::try_lock(*holder, migrate::coordinator_key()));
  migrate::RunOptions o;
  o.lock_timeout = std::chrono::milliseconds(400);
  auto set = *migrate::load_migrations(f.dir.string());
  auto r = migrate::up(set, o, factory(), clock, {}, stop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("pid " + std::to_string(holder->backend_pid())),
            std::string::npos);
  auto c = db.connect();
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'organizations'"), 0);
}

TEST_F(MigrateTest, NonTransactionalFileResumesAndRebuildsInvalidIndex) {
  Fixture f("cic");
  f.write("global/20260101000000_orgs.sql",
          k_global +
              std::string(
                  "CREATE TABLE items (org_id uuid, v int);\n"
                  "INSERT INTO items VALUES (gen_random_uuid(), 1), (gen_random_uuid(), 1);\n"));
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  // A unique CIC fails on duplicates and leaves an INVALID index behind.
  f.write(
      "global/20260101000100_idx.sql",
      "-- crmctl:tx=none\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_org ON items (org_id);\n"
      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_v ON items (v);\n");
  auto rep = up(f.dir);
  ASSERT_EQ(rep.failed_count(), 1u);
  auto c = db.connect();
  EXPECT_EQ(
      count(*c,
            "SELECT statements_done FROM crm.schema_migrations WHERE version = '20260101000100'"),
      1);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                      "WHERE i.relname = 'items_v' AND NOT x.indisvalid"),
            1);
  ASSERT_TRUE(c->exec("UPDATE items SET v = 2 WHERE ctid = (SELECT min(ctid) FROM items)"));
  auto again = up(f.dir);
  EXPECT_EQ(again.failed_count(), 0u);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                      "WHERE i.relname = 'items_v' AND x.indisvalid"),
            1);
}

TEST_F(MigrateTest, DryRunChangesNothing) {
  Fixture f("dry");
  f.write("global/20260101000000_orgs.sql", k_global);
  migrate::RunOptions o;
  o.dry_run = true;
  auto rep = up(f.dir, o);
  ASSERT_EQ(rep.plan.size(), 1u);
  EXPECT_NE(rep.plan_sql.at(0).find("CREATE TABLE organizations"), std::string::npos);
  auto c = db.connect();
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'crm'"), 0);
}

TEST_F(MigrateTest, DownRevertsOnlyDeclaredDownParts) {
  Fixture f("down");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql",
          "CREATE TABLE a (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE a;\n");
  f.write("tenant/20260101000100_b.sql", "CREATE TABLE b (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto set = *migrate::load_migrations(f.dir.string());
  migrate::RunOptions o;
  auto r = migrate::down(set, migrate::Track::tenant, o, factory(), clock, {}, stop);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failed_count(), 1u); // b has no down part
  EXPECT_NE(r->schemas[0].error.find("fix-forward"), std::string::npos);
  fs::remove(f.dir / "tenant/20260101000100_b.sql");
  f.write("tenant/20260101000100_b.sql",
          "CREATE TABLE b (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE b;\n");
  set = *migrate::load_migrations(f.dir.string());
  r = migrate::down(set, migrate::Track::tenant, o, factory(), clock, {}, stop);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failed_count(), 0u);
  auto c = db.connect();
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"), 0);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'"), 1);
}

TEST_F(MigrateTest, DownToRevertsNothingWhenAFileOnTheWayHasNoDownPart) {
  Fixture f("downto");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql",
          "CREATE TABLE a (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE a;\n");
  f.write("tenant/20260101000100_b.sql", "CREATE TABLE b (org_id uuid NOT NULL);\n");
  f.write("tenant/20260101000200_c.sql",
          "CREATE TABLE c (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE c;\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  auto schemas = add_schema_tenants(*c, 2);
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto applied = [&] { return count(*c, "SELECT count(*) FROM crm.schema_migrations"); };
  long before = applied();
  auto set = *migrate::load_migrations(f.dir.string());
  migrate::RunOptions o;
  o.to_version = "20260101000000";
  for (bool dry : {true, false}) {
    o.dry_run = dry;
    auto r = migrate::down(set, migrate::Track::tenant, o, factory(), clock, {}, stop);
    ASSERT_FALSE(r) << "dry " << dry;
    EXPECT_EQ(r.error().kind, ErrorKind::conflict);
    EXPECT_NE(r.error().message.find("20260101000100_b.sql"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(schemas[0]), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("Nothing was reverted"), std::string::npos);
    EXPECT_EQ(r.error().message.find("_c.sql"), std::string::npos) << r.error().message;
  }
  // Nothing reverted anywhere: c (newest, with a down part) is still in public and every schema.
  EXPECT_EQ(applied(), before);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'c'"), 3);
  // A file whose state is recorded but which is gone from disk blocks the way too.
  fs::remove(f.dir / "tenant/20260101000100_b.sql");
  auto gone = migrate::down(*migrate::load_migrations(f.dir.string()), migrate::Track::tenant, o,
                            factory(), clock, {}, stop);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("20260101000100_*.sql (file missing)"), std::string::npos)
      << gone.error().message;
  // With a down part on the way, down --to reverts b and c everywhere and keeps a.
  f.write("tenant/20260101000100_b.sql",
          "CREATE TABLE b (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE b;\n");
  auto ok = migrate::down(*migrate::load_migrations(f.dir.string()), migrate::Track::tenant, o,
                          factory(), clock, {}, stop);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->failed_count(), 0u);
  EXPECT_EQ(ok->applied_count(), 6u); // b and c in public and two schemas
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename IN ('b', 'c')"), 0);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'"), 3);
}

TEST_F(MigrateTest, LockTimeoutIsRetriedWhenTheTableFreesUp) {
  Fixture f("55p03");
  f.write("global/20260101000000_orgs.sql", k_global + std::string("CREATE TABLE busy (x int);\n"));
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  f.write("global/20260101000100_alter.sql",
          "-- crmctl:lock_timeout=200ms\nALTER TABLE busy ADD COLUMN y int;\n");
  auto blocker = db.connect();
  ASSERT_TRUE(blocker->exec_script("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE;"));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    (void)blocker->exec_script("COMMIT");
  });
  auto set = *migrate::load_migrations(f.dir.string());
  cmd::SystemClock real; // real sleeping: the retry must outlast the blocker
  auto r = migrate::up(set, {}, factory(), real, {}, stop);
  release.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failed_count(), 0u) << r->schemas.front().error;
  auto c = db.connect();
  EXPECT_EQ(count(*c, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' "
                      "AND column_name = 'y'"),
            1);
}

TEST_F(MigrateTest, CanaryStopsTheRolloutAndTenantsSelectsASubset) {
  Fixture f("canary");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql", "CREATE TABLE a (org_id uuid NOT NULL);\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  auto schemas = add_schema_tenants(*c, 8);
  // --tenants: only two schemas (by schema name and by slug).
  migrate::RunOptions only;
  only.tenants = {schemas[0], "t5"};
  auto sub = up(f.dir, only);
  EXPECT_EQ(sub.applied_count(), 2u);
  EXPECT_EQ(
      count(*c,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'a' AND schemaname LIKE 'org\\_%'"),
      2);
  // --canary 2 with a file that fails in the first canary: the rest is never touched.
  f.write("tenant/20260101000100_b.sql",
          "DO $$ BEGIN IF current_schema() = '" + schemas[1] +
              "' THEN RAISE EXCEPTION 'canary fails'; END IF; END $$;\n");
  migrate::RunOptions canary;
  canary.canary = 2;
  canary.stop_on_error = false;
  canary.jobs = 1;
  auto rep = up(f.dir, canary);
  EXPECT_EQ(rep.failed_count(), 1u);
  EXPECT_LE(rep.schemas.size(), 1u + 1u + 2u); // global, public, two canaries
  EXPECT_EQ(
      count(*c, "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000100'"), 3);
}

TEST_F(MigrateTest, RepeatableFilesRerunOnlyWhenTheirChecksumChanges) {
  Fixture f("repeatable");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("global/R__org_view.sql",
          "CREATE OR REPLACE VIEW org_slugs AS SELECT slug FROM organizations;\n");
  auto first = up(f.dir);
  EXPECT_EQ(first.applied_count(), 2u);
  EXPECT_EQ(up(f.dir).applied_count(), 0u); // unchanged: not re-applied
  f.write("global/R__org_view.sql",
          "CREATE OR REPLACE VIEW org_slugs AS SELECT slug, status FROM organizations;\n");
  EXPECT_EQ(up(f.dir).applied_count(), 1u);
  auto c = db.connect();
  EXPECT_EQ(
      count(*c, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'org_slugs'"),
      2);
  EXPECT_TRUE(migrate::verify(*c, *migrate::load_migrations(f.dir.string()))->empty()); // not drift
}

TEST_F(MigrateTest, RunsLeftRunningByADeadSessionAreClosedOnTheNextRun) {
  Fixture f("stale");
  f.write("global/20260101000000_orgs.sql", k_global);
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  std::string dead = uuid_v4(), legacy = uuid_v4(), alive = uuid_v4();
  // A run killed with -9 (its pid is gone), one from before pids were recorded, and one whose
  // session is still connected (left alone).
  ASSERT_TRUE(c->exec("INSERT INTO crm.migration_runs (run_id, command, actor, status, "
                      "backend_pid, backend_start) VALUES ($1::uuid, 'up', 't', 'running', "
                      "2147483647, now())",
                      {dead}));
  ASSERT_TRUE(c->exec("INSERT INTO crm.migration_runs (run_id, command, actor, status) VALUES "
                      "($1::uuid, 'up', 't', 'running')",
                      {legacy}));
  ASSERT_TRUE(c->exec("INSERT INTO crm.migration_runs (run_id, command, actor, status, "
                      "backend_pid, backend_start) SELECT $1::uuid, 'up', 't', 'running', pid, "
                      "backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                      {alive}));
  auto rep = up(f.dir);
  std::vector<std::string> closed = rep.abandoned_runs;
  std::sort(closed.begin(), closed.end());
  std::vector<std::string> expected{dead, legacy};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(closed, expected);
  EXPECT_EQ(count(*c,
                  "SELECT count(*) FROM crm.migration_runs WHERE status = 'abandoned' AND "
                  "finished_at IS NOT NULL AND run_id IN ($1::uuid, $2::uuid)",
                  {dead, legacy}),
            2);
  EXPECT_EQ(count(*c,
                  "SELECT count(*) FROM crm.migration_runs WHERE status = 'running' AND run_id = "
                  "$1::uuid",
                  {alive}),
            1);
  // This run itself finished and recorded its session.
  EXPECT_EQ(count(*c,
                  "SELECT count(*) FROM crm.migration_runs WHERE run_id = $1::uuid AND status = "
                  "'ok' AND backend_pid IS NOT NULL AND finished_at IS NOT NULL",
                  {rep.run_id}),
            1);
}

TEST_F(MigrateTest, DownFansOutWithProgressEventsLikeUp) {
  Fixture f("downevents");
  f.write("global/20260101000000_orgs.sql", k_global);
  f.write("tenant/20260101000000_a.sql",
          "CREATE TABLE a (org_id uuid NOT NULL);\n-- crmctl:down\nDROP TABLE a;\n");
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto c = db.connect();
  add_schema_tenants(*c, 3);
  ASSERT_EQ(up(f.dir).failed_count(), 0u);
  auto set = *migrate::load_migrations(f.dir.string());
  std::vector<FanOutEvent> events;
  migrate::RunOptions o;
  o.jobs = 2;
  auto r = migrate::down(
      set, migrate::Track::tenant, o, factory(), clock,
      [&](const FanOutEvent& e) { events.push_back(e); }, stop);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->failed_count(), 0u);
  EXPECT_EQ(r->applied_count(), 4u); // public + 3 schemas, one version each
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, FanOutEvent::Kind::run_start);
  EXPECT_EQ(events.front().total, 4u);
  EXPECT_EQ(events.back().kind, FanOutEvent::Kind::run_done);
  EXPECT_EQ(events.back().done, 4u);
  auto done = std::count_if(events.begin(), events.end(), [](const auto& e) {
    return e.kind == FanOutEvent::Kind::item_done && e.detail == "reverted 20260101000000";
  });
  EXPECT_EQ(done, 4);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'"), 0);
}
