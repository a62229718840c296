// `crmctl audit rls | data` run as a whole command: JSON output, --fail-on (exit 5), --baseline,
// missing configuration (exit 10), SARIF/JUnit/table, --fix-sql, the production refusal.
#include "cmd_harness.hpp"
#include "core/text.hpp"

#include <sys/stat.h>

using namespace crm;
using test::CliRun;

namespace {

std::string fixture_sql(const std::string& name) {
  auto t = read_file(std::string(CRM_SOURCE_DIR) + "/tests/fixtures/audit/" + name);
  EXPECT_TRUE(t);
  return t ? *t : std::string();
}

// A database of its own holding one fixture schema, and the CLI pointed at it.
class AuditFixtureCmd : public ::testing::Test {
protected:
  void load(const std::string& fixture) {
    m_conn = m_db.connect();
    ASSERT_TRUE(m_conn);
    ASSERT_TRUE(m_conn->exec_script(fixture_sql(fixture)));
  }
  CliRun run(std::vector<std::string> args) {
    std::vector<std::string> full = {"--db", m_db.url(), "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    return cli(full);
  }
  test::TempDatabase m_db{test::Start::empty};
  std::unique_ptr<db::Connection> m_conn;
  test::Cli cli;
};

const std::vector<std::string> k_ringly = {"--tenant-column", "client_id", "--app-role",
                                           "aud_rp_app",      "--guc",     "app.current_client_id"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

class AuditCmd : public test::OwnDbTest {};

TEST_F(AuditCmd, TheCanonicalSchemaAuditsCleanInJson) {
  make_tenant("Audit Cmd Clinic");
  auto r = run({"audit", "rls", "--fail-on", "info"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"audit", "database", "server_version", "login_role", "configuration",
                        "summary", "findings", "suppressed", "notes", "fail_on", "failing"});
  EXPECT_EQ(j["audit"], "rls");
  EXPECT_TRUE(j["findings"].empty()) << j["findings"].dump(2);
  EXPECT_EQ(j["failing"], 0);
  EXPECT_EQ(j["configuration"]["app_roles"]["value"], nlohmann::json::array({"crm_app"}));
  EXPECT_EQ(j["configuration"]["app_roles"]["source"], "profile tenancy.app_role");
  EXPECT_GE(j["summary"]["tenant_tables"].get<int>(), 17);
  EXPECT_GT(j["summary"]["round_trips"].get<int>(), 0);

  auto d = run({"audit", "data", "--fail-on", "info"});
  ASSERT_EQ(d.code, 0) << d;
  EXPECT_EQ(d.json()["audit"], "data");
}

TEST_F(AuditCmd, ProbeIsRefusedOnAProductionProfileUnlessAllowed) {
  make_tenant("Audit Probe One");
  make_tenant("Audit Probe Two");
  std::string cfg = cli.home.write("crmctl.yaml", "default_profile: prod\nprofiles:\n  prod:\n"
                                                  "    production: true\n");
  cli.env["CRMCTL_CONFIG"] = cfg;
  auto refused = run({"audit", "rls", "--probe"});
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_NE(refused.err.find("--allow-production"), std::string::npos) << refused;
  auto allowed = run({"audit", "rls", "--probe", "--allow-production", "--jobs", "2"});
  ASSERT_EQ(allowed.code, 0) << allowed;
  auto j = allowed.json();
  ASSERT_TRUE(j.contains("probe"));
  EXPECT_EQ(j["probe"]["leaks"], 0);
  EXPECT_EQ(j["probe"]["inconclusive"], 0);
  EXPECT_GT(j["probe"]["denied"].get<int>(), 0);
  EXPECT_LE(j["probe"]["jobs"].get<int>(), 2);
  EXPECT_FALSE(j["probe"]["writes"].get<bool>());
  auto writes_alone = run({"audit", "rls", "--probe-writes"});
  EXPECT_EQ(writes_alone.code, 2) << writes_alone;
  auto read_only =
      run({"--read-only", "audit", "rls", "--probe", "--probe-writes", "--allow-production"});
  EXPECT_EQ(read_only.code, 4) << read_only;
  // Reading stays allowed under --read-only.
  EXPECT_EQ(run({"--read-only", "audit", "rls"}).code, 0);
}

TEST_F(AuditFixtureCmd, FailOnExits5AndTheBaselineOnlyFailsNewFindings) {
  load("ringlypro.sql");
  auto first = run(with({"audit", "rls", "--fail-on", "high"}, k_ringly));
  EXPECT_EQ(first.code, 5) << first;
  EXPECT_EQ(first.error_json()["kind"], "findings");
  auto j = first.json();
  EXPECT_EQ(j["failing"], 3); // critical RLS_DISABLED, high cast and foreign key
  EXPECT_EQ(j["findings"].size(), 4u);
  for (const auto& f : j["findings"])
    EXPECT_EQ(f["baseline"], "new");
  // RLS_DISABLED is critical; without --fail-on findings never fail the run.
  EXPECT_EQ(run(with({"audit", "rls", "--fail-on", "critical"}, k_ringly)).code, 5);
  EXPECT_EQ(run(with({"audit", "rls"}, k_ringly)).code, 0);

  std::string baseline = cli.home.write("baseline.json", first.out);
  auto known = run(with({"audit", "rls", "--fail-on", "info", "--baseline", baseline}, k_ringly));
  EXPECT_EQ(known.code, 0) << known;
  for (const auto& f : known.json()["findings"])
    EXPECT_EQ(f["baseline"], "known");

  ASSERT_TRUE(m_conn->exec("ALTER TABLE appointments DISABLE ROW LEVEL SECURITY"));
  auto fresh = run(with({"audit", "rls", "--fail-on", "high", "--baseline", baseline}, k_ringly));
  EXPECT_EQ(fresh.code, 5) << fresh;
  auto fj = fresh.json();
  EXPECT_EQ(fj["failing"], 1);
  std::size_t news = 0;
  for (const auto& f : fj["findings"])
    if (f["baseline"] == "new") {
      ++news;
      EXPECT_EQ(f["object"], "public.appointments");
    }
  EXPECT_EQ(news, 1u);
  auto bad =
      run(with({"audit", "rls", "--baseline", cli.home.write("x.json", "[1, 2]")}, k_ringly));
  EXPECT_EQ(bad.code, 2) << bad;
}

TEST_F(AuditFixtureCmd, MissingConfigurationExits10) {
  load("ringlypro.sql");
  auto no_role = run({"audit", "rls", "--tenant-column", "client_id", "--app-role", "nope_role"});
  EXPECT_EQ(no_role.code, 10) << no_role;
  EXPECT_NE(no_role.err.find("nope_role"), std::string::npos);
  // The default GUC is read by no policy of this database.
  auto wrong_guc =
      run({"audit", "rls", "--tenant-column", "client_id", "--app-role", "aud_rp_app"});
  EXPECT_EQ(wrong_guc.code, 10) << wrong_guc;
  auto no_tables = run({"audit", "rls", "--app-role", "aud_rp_app", "--tenant-column", "org_id"});
  EXPECT_EQ(no_tables.code, 10) << no_tables;
  EXPECT_TRUE(no_tables.out.empty()) << "no report when nothing was looked at";
  std::string cfg =
      cli.home.write("crmctl.yaml", "profiles:\n  p:\n    audit:\n      severity: {NOPE: high}\n");
  cli.env["CRMCTL_CONFIG"] = cfg;
  auto bad_cfg = run(with({"--profile", "p", "audit", "rls"}, k_ringly));
  EXPECT_EQ(bad_cfg.code, 10) << bad_cfg;
  auto unknown_key =
      cli.home.write("typo.yaml", "profiles:\n  p:\n    audit:\n      gucz: [a.b]\n");
  cli.env["CRMCTL_CONFIG"] = unknown_key;
  auto typo = run(with({"--profile", "p", "audit", "rls"}, k_ringly));
  EXPECT_EQ(typo.code, 10) << typo;
  EXPECT_NE(typo.err.find("did you mean 'gucs'?"), std::string::npos) << typo;
}

TEST_F(AuditFixtureCmd, SarifJunitTableAndFixSql) {
  load("ringlypro.sql");
  auto sarif = run(with({"audit", "rls", "--format", "sarif"}, k_ringly));
  ASSERT_EQ(sarif.code, 0) << sarif;
  auto sj = nlohmann::json::parse(sarif.out, nullptr, false);
  ASSERT_FALSE(sj.is_discarded()) << sarif.out;
  EXPECT_EQ(sj["version"], "2.1.0");
  EXPECT_EQ(sj["runs"][0]["results"].size(), 4u);

  auto junit = run(with({"audit", "rls", "--format", "junit", "--fail-on", "critical"}, k_ringly));
  EXPECT_EQ(junit.code, 5) << junit;
  EXPECT_EQ(junit.out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 0), 0u)
      << junit.out;
  EXPECT_NE(junit.out.find("failures=\"1\""), std::string::npos) << junit.out;

  std::vector<std::string> args = {"--db", m_db.url(), "-o", "table", "audit", "rls"};
  auto table = cli(with(args, k_ringly));
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_NE(table.out.find("configured: tenant columns client_id (flag)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("RLS_DISABLED"), std::string::npos);
  EXPECT_NE(table.out.find("4 finding(s)"), std::string::npos) << table.out;

  std::string path = cli.home.file("fix.sql");
  auto fix = run(with({"audit", "rls", "--fix-sql", path}, k_ringly));
  ASSERT_EQ(fix.code, 0) << fix;
  auto text = read_file(path);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("ALTER TABLE \"public\".\"messages\" ENABLE ROW LEVEL SECURITY;"),
            std::string::npos)
      << *text;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditFixtureCmd, AuditDataFailsOnCrossTenantRows) {
  load("data.sql");
  auto r = run({"audit", "data", "--app-role", "aud_dt_app", "--fail-on", "high"});
  EXPECT_EQ(r.code, 5) << r;
  auto j = r.json();
  EXPECT_EQ(j["audit"], "data");
  std::set<std::string> ids;
  for (const auto& f : j["findings"])
    ids.insert(f["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"ORPHAN_ROWS", "XTENANT_DUPLICATE_PHONE",
                                        "XTENANT_REFERENCE", "DELETED_TENANT_REFERENCE"}));
  // No phone column of that name: that family finds nothing.
  auto other = run({"audit", "data", "--app-role", "aud_dt_app", "--phone-column", "fax"});
  ASSERT_EQ(other.code, 0) << other;
  for (const auto& f : other.json()["findings"])
    EXPECT_NE(f["id"], "XTENANT_DUPLICATE_PHONE");
}
