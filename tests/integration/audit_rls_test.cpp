// `audit rls` against real PostgreSQL with real roles: one fixture schema per family of checks
// (tests/fixtures/audit/*.sql) plants each defect next to a correct twin, and every test asserts
// the exact set of findings: no missing finding, no false positive on a twin.
#include "core/config.hpp"
#include "support/audit_fixture.hpp"
#include "support/tenant_fixture.hpp"

#include <gtest/gtest.h>

using namespace crm;
using test::AuditDatabase;
using test::Found;

namespace {

audit::Severity severity_of(const audit::Report& r, const std::string& check,
                            const std::string& object) {
  for (const auto& f : r.findings)
    if (f.check == check && f.object == object) return f.severity;
  ADD_FAILURE() << "no finding " << check << " " << object;
  return audit::Severity::info;
}

} // namespace

TEST(AuditRls, TablesFamily) {
  AuditDatabase db("tables.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.app_roles = {"aud_tb_app"};
  f.gucs = {"app.current_org_id"};
  f.global_tables = {"public.ledger"};
  auto run = test::audit_static(db.conn(), test::audit_config(f));
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"RLS_DISABLED", "public.rls_off"},
      {"RLS_NOT_FORCED", "public.not_forced"},
      {"RLS_NO_POLICY", "public.no_policy"},
      {"RLS_NOT_FORCED", "public.app_owned"},
      {"OWNER_REACHABLE_BYPASS", "public.app_owned"},
      {"RLS_NOT_FORCED", "public.lead_owned"},
      {"OWNER_REACHABLE_BYPASS", "public.lead_owned"},
      {"PARTITION_CHILD_RLS_OFF", "public.events_1"},
      {"ORG_ID_NULLABLE", "public.nullable"},
      {"ORG_ID_MUTABLE", "public.mutable"},
      {"TENANT_FK_NOT_SCOPED", "public.child_bad/child_bad_parent_id_fkey"},
      {"GLOBAL_TABLE_READABLE", "public.routes"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_EQ(run->report.stats.global_tables, 3u); // routes, inbox (comment), ledger (config)
  for (const auto& x : run->report.findings) {
    EXPECT_FALSE(x.message.empty());
    EXPECT_FALSE(x.fix.empty());
    EXPECT_EQ(x.fingerprint.size(), 16u);
  }

  // Without --global-table, ledger is a tenant table like any other.
  f.global_tables.clear();
  auto plain = test::audit_static(db.conn(), test::audit_config(f));
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_TRUE(test::found(plain->report).count({"RLS_DISABLED", "public.ledger"}));
}

TEST(AuditRls, PoliciesFamily) {
  AuditDatabase db("policies.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.app_roles = {"aud_pol_app"};
  f.gucs = {"app.current_org_id"};
  f.bypass_roles = {"aud_pol_svc"};
  auto run = test::audit_static(db.conn(), test::audit_config(f));
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"NO_ISOLATION_POLICY", "public.p_no_iso"},
      {"POLICY_ALWAYS_TRUE", "public.p_true/leak"},
      {"POLICY_ALWAYS_TRUE", "public.p_one_eq_one/leak"},
      {"POLICY_ALWAYS_TRUE", "public.p_or_true/tenant"},
      {"NO_ISOLATION_POLICY", "public.p_or_true"},
      {"POLICY_ALWAYS_TRUE", "public.p_check_true/ins"},
      {"POLICY_FAIL_OPEN", "public.p_fail_open/fail_open"},
      {"POLICY_UNKNOWN_GUC", "public.p_unknown_guc/other"},
      {"POLICY_TENANT_COL_CAST", "public.p_cast/tenant"},
      {"GUC_EMPTY_STRING_CAST", "public.p_empty_cast/tenant"},
      {"WITH_CHECK_WEAKER", "public.p_check_weaker/tenant"},
      {"POLICY_TO_PUBLIC", "public.p_public/tenant"},
      {"POLICY_TARGETS_BYPASS_ROLE", "public.p_bypass_role/svc"},
      {"RESTRICTIVE_ONLY", "public.p_restrictive_only"},
      {"CMD_COVERAGE_GAP", "public.p_gap"},
      {"POLICY_NOT_TENANT_SCOPED", "public.p_not_scoped/mine"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
}

TEST(AuditRls, BypassFamily) {
  AuditDatabase db("bypass.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.app_roles = {"aud_bp_app"};
  f.gucs = {"app.current_org_id"};
  f.bypass_roles = {"aud_bp_svc"};
  auto run = test::audit_static(db.conn(), test::audit_config(f));
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"VIEW_BYPASSES_RLS", "public.v_leak"},
      {"VIEW_BYPASSES_RLS", "public.v_nested"},
      {"MATVIEW_OVER_TENANT", "public.mv_calls"},
      {"SECDEF_SEARCH_PATH", "public.secdef_read()"},
      {"SECDEF_READS_TENANT", "public.secdef_read()"},
      {"ROLE_BYPASSRLS", "aud_bp_admin"},
      {"ROLE_BYPASSRLS", "aud_bp_etl"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_EQ(severity_of(run->report, "ROLE_BYPASSRLS", "aud_bp_admin"), audit::Severity::critical);
  EXPECT_EQ(severity_of(run->report, "ROLE_BYPASSRLS", "aud_bp_etl"), audit::Severity::medium);
}

TEST(AuditRls, SupabaseProjectConfiguredInTheProfile) {
  AuditDatabase db("supabase.sql");
  ASSERT_TRUE(db.ok());
  auto cf = parse_config_text(R"(profiles:
  supabase:
    audit:
      tenant_columns: [tenant_id]
      app_roles: [authenticated]
      gucs: [request.jwt.claims, "request.jwt.claim*"]
      bypass_roles: [service_role]
      schemas: [public]
      severity: {RLS_NOT_FORCED: "off", ORG_ID_MUTABLE: "off", POLICY_TARGETS_BYPASS_ROLE: high}
      allow:
        - {check: GUC_EMPTY_STRING_CAST, object: "public.nothing*", reason: "matches nothing"}
)",
                              "crmctl.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  auto cfg = test::audit_config({}, cf->profiles.at("supabase"));
  EXPECT_EQ(cfg.tenant_columns.source, "config");
  auto run = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"POLICY_NOT_TENANT_SCOPED", "public.contacts/employee_access"},
      {"POLICY_TARGETS_BYPASS_ROLE", "public.invoices/service_all"},
      {"GUC_EMPTY_STRING_CAST", "public.members/tenant"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_EQ(severity_of(run->report, "POLICY_TARGETS_BYPASS_ROLE", "public.invoices/service_all"),
            audit::Severity::high); // overridden from medium
  std::set<std::string> off;
  for (const auto& s : run->report.suppressed)
    off.insert(s.finding.check);
  EXPECT_EQ(off, (std::set<std::string>{"RLS_NOT_FORCED", "ORG_ID_MUTABLE"}));
  // The header says what was configured.
  auto text = audit::to_text(run->report, std::nullopt, false);
  EXPECT_NE(text.find("tenant columns tenant_id (config)"), std::string::npos) << text;
  EXPECT_NE(text.find("app roles authenticated (config)"), std::string::npos) << text;
  EXPECT_NE(text.find("bypass roles service_role (config)"), std::string::npos) << text;
}

TEST(AuditRls, AllowlistSuppressesWithItsReason) {
  AuditDatabase db("supabase.sql");
  ASSERT_TRUE(db.ok());
  Profile p;
  p.audit.tenant_columns = {"tenant_id"};
  p.audit.app_roles = {"authenticated"};
  p.audit.gucs = {"request.jwt.claims", "request.jwt.claim*"};
  p.audit.bypass_roles = {"service_role"};
  p.audit.severity = {{"RLS_NOT_FORCED", "off"}, {"ORG_ID_MUTABLE", "off"}};
  p.audit.allow = {{"POLICY_NOT_TENANT_SCOPED", "public.contacts/*", "owners see their own"}};
  auto run = test::audit_static(db.conn(), test::audit_config({}, p));
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_FALSE(test::found(run->report)
                   .count({"POLICY_NOT_TENANT_SCOPED", "public.contacts/employee_access"}));
  bool listed = false;
  for (const auto& s : run->report.suppressed)
    listed = listed || (s.finding.check == "POLICY_NOT_TENANT_SCOPED" &&
                        s.reason == "allowlisted: owners see their own");
  EXPECT_TRUE(listed);
}

TEST(AuditRls, RinglyProIntegerClientId) {
  AuditDatabase db("ringlypro.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.tenant_columns = {"client_id"};
  f.app_roles = {"aud_rp_app"};
  f.gucs = {"app.current_client_id"};
  auto run = test::audit_static(db.conn(), test::audit_config(f));
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"RLS_DISABLED", "public.messages"},
      {"POLICY_TENANT_COL_CAST", "public.contacts/tenant"},
      {"TENANT_FK_NOT_SCOPED", "public.calls/calls_contact_id_fkey"},
      {"GUC_EMPTY_STRING_CAST", "public.credit_accounts/tenant"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_EQ(run->report.stats.tenant_tables, 5u); // clients has no client_id
}

TEST(AuditRls, MissingConfigurationIsAnErrorNeverACleanReport) {
  AuditDatabase db("ringlypro.sql");
  ASSERT_TRUE(db.ok());
  auto expect_config_error = [&](const audit::Flags& f, const std::string& needle) {
    auto run = test::audit_static(db.conn(), test::audit_config(f));
    ASSERT_FALSE(run) << needle;
    EXPECT_EQ(run.error().kind, ErrorKind::config) << run.error().message;
    EXPECT_NE(run.error().message.find(needle), std::string::npos) << run.error().message;
  };
  audit::Flags f;
  f.tenant_columns = {"client_id"};
  f.app_roles = {"aud_rp_app"};
  f.gucs = {"app.current_client_id"};
  audit::Flags no_role = f;
  no_role.app_roles = {"aud_no_such_role"};
  expect_config_error(no_role, "aud_no_such_role");
  audit::Flags no_tables = f;
  no_tables.tenant_columns = {"org_id"};
  expect_config_error(no_tables, "no tenant table found");
  // The default GUC (app.current_org_id) is read by no policy here: a configuration error.
  audit::Flags wrong_guc = f;
  wrong_guc.gucs.clear();
  expect_config_error(wrong_guc, "app.current_client_id");
  audit::Flags no_schema = f;
  no_schema.schemas = {"nope"};
  expect_config_error(no_schema, "nope");
  audit::Flags no_bypass = f;
  no_bypass.bypass_roles = {"aud_no_such_svc"};
  expect_config_error(no_bypass, "aud_no_such_svc");
  audit::Flags bad_guc = f;
  bad_guc.gucs = {"nodot"};
  auto cfg = audit::resolve_config(bad_guc, {});
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().kind, ErrorKind::config);
  Profile p;
  p.audit.severity = {{"RLS_DISABLD", "high"}};
  auto typo = audit::resolve_config({}, p);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("did you mean RLS_DISABLED?"), std::string::npos)
      << typo.error().message;
}

TEST(AuditRls, FixSqlRepairsTheMechanicalFindings) {
  AuditDatabase db("tables.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.app_roles = {"aud_tb_app"};
  f.gucs = {"app.current_org_id"};
  f.global_tables = {"public.ledger"};
  auto cfg = test::audit_config(f);
  auto before = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(before) << before.error().message;
  std::string sql = audit::fix_sql(before->report);
  EXPECT_NE(sql.find("BEGIN;"), std::string::npos);
  EXPECT_NE(sql.find("Needs a human"), std::string::npos) << sql; // the foreign key
  ASSERT_TRUE(db.conn().exec_script(sql)) << sql;
  auto after = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(after) << after.error().message;
  Found want = {{"TENANT_FK_NOT_SCOPED", "public.child_bad/child_bad_parent_id_fkey"}};
  Found got = test::found(after->report);
  EXPECT_EQ(got, want) << test::describe(want, got) << "\n" << sql;
}

TEST(AuditRls, FingerprintsAreStableAndTheBaselineMarksKnownFindings) {
  AuditDatabase db("ringlypro.sql");
  ASSERT_TRUE(db.ok());
  audit::Flags f;
  f.tenant_columns = {"client_id"};
  f.app_roles = {"aud_rp_app"};
  f.gucs = {"app.current_client_id"};
  auto cfg = test::audit_config(f);
  auto first = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(first);
  auto baseline = audit::parse_baseline(audit::to_json(first->report).dump(), "b.json");
  ASSERT_TRUE(baseline) << baseline.error().message;
  EXPECT_EQ(baseline->size(), first->report.findings.size());
  // A new defect appears; the known ones stay known.
  ASSERT_TRUE(db.conn().exec("ALTER TABLE appointments NO FORCE ROW LEVEL SECURITY"));
  test::FakeClock clock;
  auto second = audit::run_static(db.conn(), cfg, false, clock);
  ASSERT_TRUE(second);
  audit::finalize(second->report, *baseline);
  std::size_t known = 0;
  for (const auto& x : second->report.findings) {
    if (x.known) ++known;
    EXPECT_EQ(x.known, baseline->count(x.fingerprint) == 1);
  }
  EXPECT_EQ(known, first->report.findings.size());
  EXPECT_EQ(audit::failing(second->report, audit::Severity::info), 1u);
  EXPECT_EQ(audit::failing(second->report, audit::Severity::critical), 0u);
  // A SARIF report is a baseline too.
  auto from_sarif = audit::parse_baseline(audit::to_sarif(first->report, "test"), "b.sarif");
  ASSERT_TRUE(from_sarif);
  EXPECT_EQ(*from_sarif, *baseline);
  EXPECT_FALSE(audit::parse_baseline("{\"x\": 1}", "b.json"));
}

TEST(AuditRls, NamesWithQuotesAndUnicodeAreData) {
  AuditDatabase db("");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db.conn().exec_script(R"(
    DO $$ BEGIN CREATE ROLE "aud_odd app" NOLOGIN; EXCEPTION WHEN others THEN NULL; END $$;
    CREATE SCHEMA "Tenant ""Q"" é";
    CREATE TABLE "Tenant ""Q"" é"."Calls 🦷" (org_id uuid NOT NULL, id int PRIMARY KEY);
    GRANT SELECT ON "Tenant ""Q"" é"."Calls 🦷" TO "aud_odd app";
  )"));
  audit::Flags f;
  f.app_roles = {"aud_odd app"};
  f.gucs = {"app.current_org_id"};
  auto cfg = test::audit_config(f);
  auto run = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(run) << run.error().message;
  Found want = {{"RLS_DISABLED", "Tenant \"Q\" é.Calls 🦷"},
                {"ORG_ID_MUTABLE", "Tenant \"Q\" é.Calls 🦷"}};
  EXPECT_EQ(test::found(run->report), want);
  ASSERT_TRUE(db.conn().exec_script(audit::fix_sql(run->report)));
  auto after = test::audit_static(db.conn(), cfg);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->report.findings.empty()) << test::describe({}, test::found(after->report));
}

// The canonical schema of the migrations, with row and schema tenants, audits clean: this test
// keeps it so (and catches a migration that breaks isolation).
class AuditCanonical : public test::TenantFixture {};

TEST_F(AuditCanonical, TheMigratedSchemaAuditsClean) {
  create(spec("Audit Clean Row"));
  create(spec("Audit Clean Row Two"));
  create(spec("Audit Clean Schema", db::Isolation::schema));
  auto cfg = test::audit_config({});
  auto run = test::audit_static(*c, cfg, true);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_TRUE(run->report.findings.empty()) << test::describe({}, test::found(run->report)) << "\n"
                                            << audit::to_text(run->report, std::nullopt, false);
  EXPECT_GE(run->report.stats.tenant_tables, 2 * 17u);
  EXPECT_GE(run->report.stats.global_tables, 4u); // routes x2, webhook inbox, audit trail
  // Set-based: a fixed number of statements, whatever the number of tables.
  EXPECT_LE(run->report.stats.round_trips, 20u);
  auto again = test::audit_static(*c, cfg, true);
  ASSERT_TRUE(again);
  create(spec("Audit Clean Schema Two", db::Isolation::schema));
  auto more = test::audit_static(*c, cfg, true);
  ASSERT_TRUE(more);
  EXPECT_GT(more->report.stats.tenant_tables, run->report.stats.tenant_tables);
  EXPECT_EQ(more->report.stats.round_trips, run->report.stats.round_trips);
  EXPECT_TRUE(more->report.findings.empty());
}

TEST_F(AuditCanonical, DoctorAndTheAuditShareTheCatalogQuery) {
  create(spec("Audit Doctor Row"));
  // Breaking isolation shows up in both readings of the same catalog rows.
  ASSERT_TRUE(c->exec("ALTER TABLE services NO FORCE ROW LEVEL SECURITY"));
  auto tx = *c->admin();
  db::RlsExpectation want;
  auto rls = db::tenant_table_rls(*tx, want);
  ASSERT_TRUE(rls);
  bool doctor_sees = false;
  for (const auto& t : *rls)
    doctor_sees =
        doctor_sees || (t.table == "services" && t.schema == "public" && !t.problems.empty());
  EXPECT_TRUE(doctor_sees);
  tx.reset();
  auto run = test::audit_static(*c, test::audit_config({}));
  ASSERT_TRUE(run);
  EXPECT_EQ(test::found(run->report), (Found{{"RLS_NOT_FORCED", "public.services"}}));
  ASSERT_TRUE(c->exec("ALTER TABLE services FORCE ROW LEVEL SECURITY"));
}
