// The live probe of `audit rls --probe` against real PostgreSQL: a leaky helper (operator
// precedence bug) that only the probe finds, a fail-open policy only a fresh session exposes, a
// probe that must come out inconclusive, write probes, and the canonical schema (all denied).
#include "db/pool.hpp"
#include "support/audit_fixture.hpp"
#include "support/tenant_fixture.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

using namespace crm;
using test::AuditDatabase;
using test::Found;

namespace {

struct ProbeRun {
  audit::Report report;
  Status status;
};

ProbeRun probe_run(db::Connection& conn, const std::string& url, const audit::Config& cfg,
                   bool writes, std::size_t jobs = 4, FanOutEventSink events = {}) {
  test::FakeClock clock;
  auto run = audit::run_static(conn, cfg, false, clock);
  EXPECT_TRUE(run) << (run ? "" : run.error().message);
  if (!run) return {};
  db::FactorySource scoped(db::url_opener(url)), fresh(db::url_opener(url));
  audit::ProbeOptions o;
  o.writes = writes;
  o.jobs = jobs;
  std::atomic<bool> cancel{false};
  ProbeRun out{std::move(run->report), {}};
  out.status = audit::probe(out.report, run->catalog, cfg, o, scoped, fresh, clock, cancel, events);
  audit::finalize(out.report, std::nullopt);
  return out;
}

audit::Config probe_config() {
  audit::Flags f;
  f.app_roles = {"aud_pr_app"};
  f.gucs = {"app.current_org_id"};
  return test::audit_config(f);
}

const Found k_static = {
    {"POLICY_FAIL_OPEN", "public.pr_fail_open/tenant"},
    {"NO_ISOLATION_POLICY", "public.pr_fail_open"},
    {"POLICY_ALWAYS_TRUE", "public.pr_insert_leak/tenant"},
};

std::vector<const audit::ProbeResult*> results_of(const audit::Report& r, const std::string& t) {
  std::vector<const audit::ProbeResult*> out;
  for (const auto& x : r.probe->results)
    if (x.table == t) out.push_back(&x);
  return out;
}

} // namespace

TEST(AuditProbe, StaticAnalysisMissesTheLeakyHelperTheProbeFindsIt) {
  AuditDatabase db("probe.sql");
  ASSERT_TRUE(db.ok());
  auto cfg = probe_config();
  auto statics = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(statics) << statics.error().message;
  EXPECT_EQ(test::found(statics->report), k_static)
      << test::describe(k_static, test::found(statics->report));

  auto p = probe_run(db.conn(), db.db().url(), cfg, false);
  ASSERT_TRUE(p.status) << p.status.error().message;
  Found want = k_static;
  want.insert({"PROBE_XTENANT_READ", "public.pr_helper_leak"});
  want.insert({"PROBE_UNSET_GUC", "public.pr_helper_leak"});
  want.insert({"PROBE_UNSET_GUC", "public.pr_fail_open"});
  want.insert({"PROBE_INCONCLUSIVE", "public.pr_inconclusive"});
  Found got = test::found(p.report);
  EXPECT_EQ(got, want) << test::describe(want, got);

  ASSERT_TRUE(p.report.probe);
  const auto& s = *p.report.probe;
  EXPECT_EQ(s.tables, 7u);
  EXPECT_FALSE(s.writes);
  EXPECT_GE(s.leaks, 3u);
  // The inconclusive table: every probe errored (the helper raises), none counted as a pass.
  auto inc = results_of(p.report, "public.pr_inconclusive");
  ASSERT_FALSE(inc.empty());
  for (const auto* r : inc) {
    EXPECT_EQ(r->outcome, audit::Outcome::inconclusive) << r->probe << ": " << r->detail;
    EXPECT_NE(r->detail.find("P0001"), std::string::npos) << r->detail;
  }
  // The correct twin: every probe denied; one tenant or none: skipped, not passed.
  for (const auto* r : results_of(p.report, "public.pr_good"))
    EXPECT_EQ(r->outcome, audit::Outcome::denied) << r->probe << ": " << r->detail;
  for (const char* t : {"public.pr_single", "public.pr_empty"}) {
    auto rs = results_of(p.report, t);
    ASSERT_FALSE(rs.empty()) << t;
    EXPECT_EQ(rs.front()->outcome, audit::Outcome::skipped) << t;
  }
  // The fail-open policy is denied with the GUC set (or empty), leaks only when never set.
  for (const auto* r : results_of(p.report, "public.pr_fail_open"))
    EXPECT_EQ(r->outcome == audit::Outcome::leak, r->probe == "unset_guc") << r->probe;
}

TEST(AuditProbe, WriteProbesAreRolledBack) {
  AuditDatabase db("probe.sql");
  ASSERT_TRUE(db.ok());
  auto snapshot = [&] {
    auto r = db.conn().exec(
        "SELECT string_agg(t || ':' || n, ',' ORDER BY t) AS s FROM (SELECT 'good' AS t, "
        "count(*) || md5(string_agg(x::text, '' ORDER BY x::text)) AS n FROM pr_good x UNION ALL "
        "SELECT 'helper', count(*) || md5(string_agg(x::text, '' ORDER BY x::text)) FROM "
        "pr_helper_leak x UNION ALL SELECT 'insert', count(*) || md5(string_agg(x::text, '' "
        "ORDER BY x::text)) FROM pr_insert_leak x) s");
    EXPECT_TRUE(r);
    return r ? r->get(0, "s") : std::string();
  };
  std::string before = snapshot();
  auto cfg = probe_config();
  auto p = probe_run(db.conn(), db.db().url(), cfg, true, 2);
  ASSERT_TRUE(p.status) << p.status.error().message;
  Found want = k_static;
  want.insert({"PROBE_XTENANT_READ", "public.pr_helper_leak"});
  want.insert({"PROBE_UNSET_GUC", "public.pr_helper_leak"});
  want.insert({"PROBE_XTENANT_INSERT", "public.pr_helper_leak"});
  want.insert({"PROBE_XTENANT_UPDATE", "public.pr_helper_leak"});
  want.insert({"PROBE_XTENANT_DELETE", "public.pr_helper_leak"});
  want.insert({"PROBE_UNSET_GUC", "public.pr_fail_open"});
  want.insert({"PROBE_XTENANT_INSERT", "public.pr_insert_leak"});
  want.insert({"PROBE_INCONCLUSIVE", "public.pr_inconclusive"});
  Found got = test::found(p.report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_TRUE(p.report.probe->writes);
  EXPECT_LE(p.report.probe->jobs, 2u);
  for (const auto* r : results_of(p.report, "public.pr_good"))
    EXPECT_EQ(r->outcome, audit::Outcome::denied) << r->probe << ": " << r->detail;
  // Nothing the probe wrote survived.
  EXPECT_EQ(snapshot(), before);
}

TEST(AuditProbe, TheLoginMustBeAbleToBecomeTheApplicationRole) {
  AuditDatabase db("probe.sql");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db.conn().exec_script(
      "DO $$ BEGIN CREATE ROLE aud_pr_login LOGIN NOBYPASSRLS; EXCEPTION WHEN others THEN NULL; "
      "END $$"));
  std::string url = db.db().url();
  url.replace(url.find("postgres@"), 9, "aud_pr_login@");
  auto login = db::Connection::open(url);
  ASSERT_TRUE(login) << login.error().message;
  auto cfg = probe_config();
  test::FakeClock clock;
  auto run = audit::run_static(**login, cfg, false, clock);
  ASSERT_TRUE(run) << run.error().message;
  db::FactorySource scoped(db::url_opener(url)), fresh(db::url_opener(url));
  std::atomic<bool> cancel{false};
  auto st = audit::probe(run->report, run->catalog, cfg, {}, scoped, fresh, clock, cancel, {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::config);
  EXPECT_NE(st.error().message.find("GRANT aud_pr_app TO aud_pr_login"), std::string::npos)
      << st.error().message;
}

class AuditCanonicalProbe : public test::TenantFixture {};

TEST_F(AuditCanonicalProbe, EveryProbeOfTheCanonicalSchemaIsDenied) {
  create(spec("Probe Row One"));
  create(spec("Probe Row Two"));
  create(spec("Probe Schema", db::Isolation::schema));
  auto cfg = test::audit_config({});
  std::mutex m;
  std::size_t events = 0;
  auto p = probe_run(*c, db.url(), cfg, true, 3, [&](const FanOutEvent&) {
    std::lock_guard<std::mutex> lock(m);
    ++events;
  });
  ASSERT_TRUE(p.status) << p.status.error().message;
  EXPECT_TRUE(p.report.findings.empty()) << test::describe({}, test::found(p.report));
  ASSERT_TRUE(p.report.probe);
  EXPECT_EQ(p.report.probe->leaks, 0u);
  EXPECT_EQ(p.report.probe->inconclusive, 0u);
  EXPECT_GT(p.report.probe->denied, 10u);
  EXPECT_GT(events, 0u);
  // services has rows of both row tenants: read, insert, update, delete and move were denied.
  std::set<std::string> denied;
  for (const auto& r : p.report.probe->results)
    if (r.table == "public.services" && r.outcome == audit::Outcome::denied) denied.insert(r.probe);
  EXPECT_EQ(denied, (std::set<std::string>{"read", "empty_guc", "insert", "update", "delete",
                                           "move", "unset_guc"}));
}
