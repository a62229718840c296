// `audit data` against real PostgreSQL: orphans, a number held by two tenants, a row pointing at
// another tenant's row, a number of a deleted tenant; the clean twins stay clean.
#include "support/audit_fixture.hpp"

#include <gtest/gtest.h>

using namespace crm;
using test::AuditDatabase;
using test::Found;

namespace {

audit::Config data_config() {
  audit::Flags f;
  f.app_roles = {"aud_dt_app"};
  return test::audit_config(f);
}

Result<audit::Run> data_run(db::Connection& conn, const audit::Config& cfg) {
  test::FakeClock clock;
  auto run = audit::run_data(conn, cfg, clock);
  if (run) audit::finalize(run->report, std::nullopt);
  return run;
}

} // namespace

TEST(AuditData, FindsRowsThatCrossedATenantBoundary) {
  AuditDatabase db("data.sql");
  ASSERT_TRUE(db.ok());
  auto run = data_run(db.conn(), data_config());
  ASSERT_TRUE(run) << run.error().message;
  Found want = {
      {"ORPHAN_ROWS", "public.notes"},
      {"XTENANT_DUPLICATE_PHONE", "e164"},
      {"XTENANT_REFERENCE", "public.calls/calls_contact_id_fkey"},
      {"DELETED_TENANT_REFERENCE", "public.phone_numbers"},
  };
  Found got = test::found(run->report);
  EXPECT_EQ(got, want) << test::describe(want, got);
  EXPECT_EQ(run->report.kind, "data");
  for (const auto& f : run->report.findings) {
    if (f.check == "ORPHAN_ROWS") {
      EXPECT_NE(f.message.find("2 row(s)"), std::string::npos);
    }
    if (f.check == "XTENANT_DUPLICATE_PHONE") {
      EXPECT_NE(f.message.find("1 number(s)"), std::string::npos) << f.message;
      // The number is shown by its last digits only.
      EXPECT_EQ(f.message.find("+14155550100"), std::string::npos) << f.message;
    }
    if (f.check == "XTENANT_REFERENCE") {
      EXPECT_NE(f.message.find("1 row(s)"), std::string::npos);
    }
  }
}

TEST(AuditData, TheLoginMustSeeEveryTenantsRows) {
  AuditDatabase db("data.sql");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db.conn().exec_script(
      "DO $$ BEGIN CREATE ROLE aud_dt_login LOGIN NOBYPASSRLS; EXCEPTION WHEN others THEN NULL; "
      "END $$"));
  std::string url = db.db().url();
  url.replace(url.find("postgres@"), 9, "aud_dt_login@");
  auto login = db::Connection::open(url);
  ASSERT_TRUE(login) << login.error().message;
  auto run = data_run(**login, data_config());
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().kind, ErrorKind::config);
  EXPECT_NE(run.error().message.find("BYPASSRLS"), std::string::npos) << run.error().message;
}

TEST(AuditData, TenantsTable) {
  AuditDatabase db("data.sql");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db.conn().exec("ALTER TABLE organizations RENAME TO tenants"));
  // The default table is missing: the check is skipped with a note, not silently clean.
  auto run = data_run(db.conn(), data_config());
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_FALSE(
      test::found(run->report).count({"DELETED_TENANT_REFERENCE", "public.phone_numbers"}));
  ASSERT_EQ(run->report.notes.size(), 1u);
  EXPECT_NE(run->report.notes[0].find("public.organizations"), std::string::npos);
  // Configured: found again; configured but missing: a configuration error.
  Profile p;
  p.audit.app_roles = {"aud_dt_app"};
  p.audit.tenants_table = "public.tenants";
  auto named = data_run(db.conn(), test::audit_config({}, p));
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_TRUE(
      test::found(named->report).count({"DELETED_TENANT_REFERENCE", "public.phone_numbers"}));
  p.audit.tenants_table = "public.nope";
  auto missing = data_run(db.conn(), test::audit_config({}, p));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::config);
}
