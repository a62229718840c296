// Running `migrate status | plan | up | down | verify | repair | new` against migrated (and one
// empty) databases; lock waits and retries run on the FakeClock.
#include "cmd_harness.hpp"

#include <sstream>

using namespace crm;
namespace fs = std::filesystem;

namespace {

std::string canonical_dir() {
  return std::string(CRM_SOURCE_DIR) + "/templates/migrations";
}

const char* k_latest_tenant = "20261125000000";

} // namespace

// --- read-only verbs on an up-to-date database -------------------------------------------------

// `migrate VERB` against the fixture's database, with the migrations directory.
template <class Base> class MigrateFixture : public Base {
protected:
  test::CliRun migrate(std::vector<std::string> args, const std::string& dir = canonical_dir()) {
    // [global flags] migrate VERB --migrations-dir DIR [verb flags]: a trailing -q stays last.
    std::vector<std::string> full;
    std::size_t i = 0;
    while (i < args.size() && args[i].rfind("--", 0) == 0)
      full.push_back(args[i++]);
    full.push_back("migrate");
    if (i < args.size()) full.push_back(args[i++]);
    full.insert(full.end(), {"--migrations-dir", dir});
    full.insert(full.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    return this->run(full);
  }
};

class RunMigrate : public MigrateFixture<test::DbTest> {};

TEST_F(RunMigrate, StatusJsonShape) {
  ASSERT_FALSE(make_tenant("Status Schema", {"--isolation", "schema"}).empty());
  auto r = migrate({"status"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"global_version", "global_pending", "latest_tenant_version",
                        "tenant_schemas", "tenant_behind", "histogram", "failures"});
  EXPECT_EQ(j["global_pending"], nlohmann::json::array());
  EXPECT_EQ(j["latest_tenant_version"], k_latest_tenant);
  EXPECT_EQ(j["tenant_behind"], 0);
  EXPECT_GE(j["tenant_schemas"].get<int>(), 2) << j.dump(); // public + the schema tenant
  ASSERT_TRUE(j["histogram"].is_array());
  ASSERT_EQ(j["histogram"].size(), 1u) << j.dump();
  test::expect_keys(j["histogram"][0], {"version", "schemas", "current"});
  EXPECT_EQ(j["histogram"][0]["version"], k_latest_tenant);
  EXPECT_EQ(j["histogram"][0]["current"], true);
  EXPECT_EQ(j["failures"], nlohmann::json::array());
}

TEST_F(RunMigrate, PlanHasNothingPending) {
  auto r = migrate({"plan"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"pending", "findings"});
  EXPECT_EQ(j["pending"], nlohmann::json::array());
  EXPECT_EQ(j["findings"], nlohmann::json::array());
}

TEST_F(RunMigrate, UpWithNothingToDo) {
  auto before = snapshot();
  auto r = migrate({"up", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"run_id", "command", "schemas", "applied", "failed", "interrupted",
                        "failures", "not_attempted"});
  EXPECT_EQ(j["command"], "up");
  EXPECT_EQ(j["applied"], 0);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(j["failures"], nlohmann::json::array());
  // Nothing applied: the schema state is unchanged (the run itself is journalled).
  auto after = snapshot();
  for (const auto& t : test::diff(before, after))
    EXPECT_NE(t.find("migration_run"), std::string::npos) << t << " changed";
}

TEST_F(RunMigrate, VerifyFindsNoDrift) {
  auto r = migrate({"verify"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json(), nlohmann::json::array());
}

TEST_F(RunMigrate, UsageAndConfigFailures) {
  auto lock = migrate({"up", "--lock-timeout", "soon"});
  EXPECT_EQ(lock.code, 2) << lock;
  EXPECT_NE(lock.err.find("is not a duration"), std::string::npos) << lock;
  auto missing = migrate({"status"}, cli.home.file("no-migrations"));
  EXPECT_NE(missing.code, 0) << missing;
  EXPECT_NE(missing.err.find("no-migrations"), std::string::npos) << missing;
  // No database configured at all.
  test::Cli bare;
  auto nodb = bare({"-o", "json", "migrate", "status", "--migrations-dir", canonical_dir()});
  EXPECT_EQ(nodb.code, 10) << nodb;
  for (const char* verb : {"status", "plan", "verify"}) {
    auto unreachable = bare({"--db", "postgresql://127.0.0.1:1/x", "-o", "json", "migrate", verb,
                             "--migrations-dir", canonical_dir()});
    EXPECT_EQ(unreachable.code, 7) << verb << "\n" << unreachable;
    EXPECT_EQ(unreachable.error_json()["kind"], "db_unavailable") << verb;
  }
}

TEST_F(RunMigrate, UpWhileAnotherRunHoldsTheLockIsAConflict) {
  auto held = m_conn->exec("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok",
                           {"1129467185", "migrate:coordinator"}); // engine.cpp k_lock_space
  ASSERT_TRUE(held);
  ASSERT_EQ(held->get(0, "ok"), "t");
  auto r = migrate({"up", "--lock-timeout", "2s", "-q"});
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_EQ(r.error_json()["kind"], "conflict");
  EXPECT_NE(r.err.find("pid"), std::string::npos) << r;
  ASSERT_TRUE(m_conn->exec("SELECT pg_advisory_unlock($1::int, hashtext($2))",
                           {"1129467185", "migrate:coordinator"}));
  EXPECT_EQ(migrate({"up", "-q"}).code, 0);
}

TEST_F(RunMigrate, DownNeedsConfirmation) {
  auto r = migrate({"down"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r;
}

// --- new (no database) ------------------------------------------------------------------------

TEST(RunMigrateNew, WritesATimestampedFileFromTheClock) {
  test::Cli cli;
  std::string dir = cli.home.file("migrations");
  auto r = cli({"-o", "json", "migrate", "new", "add_call_tags", "--migrations-dir", dir});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"file"});
  EXPECT_EQ(j["file"], dir + "/tenant/20260921141320_add_call_tags.sql"); // FakeClock's time
  std::ifstream in(j["file"].get<std::string>());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("-- crmctl:down"), std::string::npos) << text.str();
  auto global = cli(
      {"-o", "json", "migrate", "new", "add_plan", "--track", "global", "--migrations-dir", dir});
  ASSERT_EQ(global.code, 0) << global;
  EXPECT_EQ(global.json()["file"], dir + "/global/20260921141320_add_plan.sql");
  // Same name, same second: the file exists.
  auto again = cli({"-o", "json", "migrate", "new", "add_call_tags", "--migrations-dir", dir});
  EXPECT_EQ(again.code, 4) << again;
  auto bad = cli({"-o", "json", "migrate", "new", "Add-Tags", "--migrations-dir", dir});
  EXPECT_EQ(bad.code, 2) << bad;
  EXPECT_NE(bad.err.find("lower-case letters, digits and underscores"), std::string::npos) << bad;
  // --dry-run names the directory and writes nothing.
  std::string dry_dir = cli.home.file("dry");
  auto dry = cli({"-o", "json", "--dry-run", "migrate", "new", "x", "--migrations-dir", dry_dir});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_FALSE(fs::exists(dry_dir));
}

// --- up on an empty database: dry run only ----------------------------------------------------

TEST(RunMigrateEmpty, UpDryRunPlansEveryFileAndCreatesNothing) {
  test::TempDatabase db(test::Start::empty);
  ASSERT_FALSE(db.url().empty());
  auto c = db.connect();
  ASSERT_TRUE(c);
  auto tables = [&] {
    auto r = c->exec("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema NOT "
                     "IN ('pg_catalog', 'information_schema')");
    return r ? r->get(0, "n") : "?";
  };
  std::string before = tables();
  test::Cli cli;
  auto r = cli({"--db", db.url(), "-o", "json", "--dry-run", "migrate", "up", "--migrations-dir",
                canonical_dir()});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"dry_run", "order", "sql"});
  EXPECT_EQ(j["dry_run"], true);
  ASSERT_TRUE(j["order"].is_array());
  EXPECT_GE(j["order"].size(), 6u) << j.dump(); // 3 global + 3 tenant files
  EXPECT_EQ(tables(), before);
  // status shows it all pending.
  auto s = cli(
      {"--db", db.url(), "-o", "json", "migrate", "status", "--migrations-dir", canonical_dir()});
  ASSERT_EQ(s.code, 0) << s;
  std::size_t global_files = 0; // the files in templates/migrations/global
  for (const auto& f : fs::directory_iterator(canonical_dir() + "/global"))
    global_files += f.path().extension() == ".sql" ? 1 : 0;
  EXPECT_GE(global_files, 5u);
  EXPECT_EQ(s.json()["global_pending"].size(), global_files) << s.out;
}

// --- changes: drift, repair, up and down of an extra file (own database) ----------------------

class RunMigrateChanges : public MigrateFixture<test::OwnDbTest> {
protected:
  void SetUp() override {
    MigrateFixture<test::OwnDbTest>::SetUp();
    fs::copy(canonical_dir(), dir, fs::copy_options::recursive);
  }
  std::string dir = cli.home.file("migrations");
};

TEST_F(RunMigrateChanges, DriftIsExit5ThenRepairAcceptsIt) {
  {
    std::ofstream f(dir + "/tenant/20260101000100_call_indexes.sql", std::ios::app);
    f << "\n-- reviewed: no change in behaviour\n";
  }
  auto v = migrate({"verify"}, dir);
  EXPECT_EQ(v.code, 5) << v;
  EXPECT_EQ(v.error_json()["kind"], "findings");
  auto j = v.json();
  ASSERT_EQ(j.size(), 1u) << j.dump();
  test::expect_keys(j[0], {"kind", "version", "file", "schema_count", "schemas"});
  EXPECT_EQ(j[0]["version"], "20260101000100");
  EXPECT_TRUE(j[0]["schemas"].is_array());
  // CRLF and a BOM are not drift.
  {
    std::ifstream in(dir + "/tenant/20260101000000_tenant_core.sql", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string crlf = "\xEF\xBB\xBF";
    for (char ch : ss.str())
      crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    std::ofstream(dir + "/tenant/20260101000000_tenant_core.sql", std::ios::binary) << crlf;
  }
  EXPECT_EQ(migrate({"verify"}, dir).json().size(), 1u);

  auto refused = migrate({"repair"}, dir);
  EXPECT_EQ(refused.code, 2) << refused;
  auto before = snapshot();
  auto dry = migrate({"--dry-run", "repair"}, dir);
  ASSERT_EQ(dry.code, 0) << dry;
  test::expect_keys(dry.json(), {"dry_run", "rows"});
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(migrate({"verify"}, dir).code, 5);
  auto fix = migrate({"--yes", "repair"}, dir);
  ASSERT_EQ(fix.code, 0) << fix;
  EXPECT_GE(fix.json()["rows"].get<int>(), 1);
  EXPECT_EQ(migrate({"verify"}, dir).code, 0);
  EXPECT_GE(count("SELECT count(*) FROM audit_events WHERE action LIKE 'migrate%'"), 1);
  // Back to the canonical files for the next test of this suite.
  ASSERT_EQ(migrate({"--yes", "repair"}).code, 0);
  EXPECT_EQ(migrate({"verify"}).code, 0);
}

TEST_F(RunMigrateChanges, UpThenDownOfAFileWithADownPart) {
  ASSERT_FALSE(make_tenant("Down Schema", {"--isolation", "schema"}).empty());
  std::ofstream(dir + "/tenant/20270201000000_service_note.sql")
      << "ALTER TABLE services ADD COLUMN note text;\n-- crmctl:down\n"
         "ALTER TABLE services DROP COLUMN note;\n";
  auto columns = [&] {
    return count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'services' "
                 "AND column_name = 'note'");
  };
  auto plan = migrate({"plan"}, dir);
  ASSERT_EQ(plan.code, 0) << plan;
  ASSERT_EQ(plan.json()["pending"].size(), 1u) << plan.out;
  test::expect_keys(plan.json()["pending"][0], {"track", "version", "file", "tx", "schemas"});

  auto up = migrate({"up", "-q"}, dir);
  ASSERT_EQ(up.code, 0) << up;
  EXPECT_GE(up.json()["applied"].get<int>(), 2) << up.out; // public and the schema tenant
  long applied = columns();
  EXPECT_GE(applied, 2);
  EXPECT_EQ(migrate({"status"}, dir).json()["latest_tenant_version"], "20270201000000");

  auto before = snapshot();
  auto dry = migrate({"--dry-run", "down"}, dir);
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_NE(dry.json()["order"].dump().find("20270201000000"), std::string::npos) << dry.out;
  EXPECT_EQ(columns(), applied);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());

  auto down = migrate({"--yes", "down", "-q"}, dir);
  ASSERT_EQ(down.code, 0) << down;
  EXPECT_EQ(down.json()["command"], "down");
  EXPECT_EQ(columns(), 0);
  EXPECT_EQ(migrate({"verify"}, dir).code, 0);
  // The next one down has no down part: production policy is fix-forward, nothing reverts.
  auto stuck = migrate({"--yes", "down", "-q"}, dir);
  EXPECT_NE(stuck.code, 0) << stuck;
  EXPECT_TRUE(stuck.mentions("fix-forward") || stuck.mentions("down part")) << stuck;
  EXPECT_EQ(migrate({"verify"}, dir).code, 0);
  EXPECT_GE(migrate({"status"}, dir).json()["tenant_behind"].get<int>(), 1)
      << "the reverted file is pending again";
}
