// Running `tenant create | list | show | update | suspend | resume | delete | export` against the
// suite's migrated database, with TestIO (switchable TTY), FakeClock and an env map.
#include "cmd_harness.hpp"

using namespace crm;
using test::CliRun;

class RunTenant : public test::DbTest {
protected:
  std::string status_of(const std::string& slug) {
    return scalar("SELECT status FROM organizations WHERE slug = $1", {slug});
  }
};

// --- create -----------------------------------------------------------------------------------

TEST_F(RunTenant, CreateJsonShapeAndMoneyAsDecimalStrings) {
  std::string name = unique("O'Brien Dental");
  auto r =
      run({"tenant", "create", name, "--cogs-per-minute", "0.07", "--markup", "2", "--free-minutes",
           "5", "--timezone", "Europe/London", "--admin-email", "owner@obrien.example"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"id", "slug", "name", "isolation", "schema", "rate_per_minute", "created",
                        "dry_run", "admin_user_id"});
  EXPECT_EQ(j["name"], name);
  EXPECT_EQ(j["slug"].get<std::string>().rfind("o-brien-dental-", 0), 0u) << j.dump();
  EXPECT_EQ(j["isolation"], "row");
  EXPECT_EQ(j["schema"], "");
  EXPECT_TRUE(test::is_decimal_string(j["rate_per_minute"])) << j.dump();
  EXPECT_TRUE(test::money_eq(j["rate_per_minute"], "0.14")) << j.dump();
  EXPECT_EQ(j["created"], true);
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["id"], tenant_id(j["slug"]));
  EXPECT_EQ(scalar("SELECT timezone || ' ' || free_minutes FROM organizations WHERE slug = $1",
                   {j["slug"].get<std::string>()}),
            "Europe/London 5");
  // One audit row for the creation.
  EXPECT_GE(count("SELECT count(*) FROM audit_events WHERE org_id = $1::uuid",
                  {j["id"].get<std::string>()}),
            1);
}

TEST_F(RunTenant, CreateSchemaIsolationMakesTheSchema) {
  auto r = run({"tenant", "create", unique("Schema Spa"), "--isolation", "schema"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["isolation"], "schema");
  std::string schema = j["schema"];
  EXPECT_EQ(schema.rfind("org_", 0), 0u) << schema;
  EXPECT_EQ(count("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {schema}), 1);
}

TEST_F(RunTenant, CreateAgainIsIdempotentOnlyWithIdenticalAttributes) {
  std::string name = unique("Twice Clinic");
  ASSERT_EQ(run({"tenant", "create", name, "--free-minutes", "10"}).code, 0);
  auto same = run({"tenant", "create", name, "--free-minutes", "10", "--if-not-exists"});
  ASSERT_EQ(same.code, 0) << same;
  EXPECT_EQ(same.json()["created"], false);
  EXPECT_NE(same.err.find("already exists with identical attributes"), std::string::npos) << same;
  auto other = run({"tenant", "create", name, "--free-minutes", "20", "--if-not-exists"});
  EXPECT_EQ(other.code, 4) << other;
  EXPECT_EQ(other.error_json()["kind"], "conflict");
  auto plain = run({"tenant", "create", name, "--free-minutes", "10"});
  EXPECT_EQ(plain.code, 4) << plain;
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE name = $1", {name}), 1);
}

TEST_F(RunTenant, CreateDryRunWritesNothingAndShowsThePlan) {
  auto before = snapshot();
  auto r = run({"--dry-run", "tenant", "create", unique("Dry Clinic"), "--isolation", "schema",
                "--admin-email", "owner@dry.example"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["dry_run"], true);
  ASSERT_TRUE(j["plan"].is_array()) << j.dump();
  EXPECT_FALSE(j["plan"].empty());
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  // On a terminal the plan is a list.
  cli.stdout_tty = true;
  auto t = run_raw({"--dry-run", "tenant", "create", unique("Dry Clinic")});
  ASSERT_EQ(t.code, 0) << t;
  EXPECT_EQ(t.out.rfind("dry run: nothing written. Plan:\n  - ", 0), 0u) << t;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunTenant, CreateBadValuesAreUsageErrors) {
  auto before = snapshot();
  auto money = run({"tenant", "create", unique("Bad Money"), "--cogs-per-minute", "seven"});
  EXPECT_EQ(money.code, 2) << money;
  EXPECT_EQ(money.error_json()["kind"], "usage");
  EXPECT_NE(money.err.find("--cogs-per-minute"), std::string::npos) << money;
  auto pw = run({"tenant", "create", unique("No Email"), "--admin-password-stdin"}, "secret-pw\n");
  EXPECT_EQ(pw.code, 2) << pw;
  EXPECT_NE(pw.err.find("--admin-email"), std::string::npos) << pw;
  auto settings =
      run({"tenant", "create", unique("No File"), "--settings", cli.home.file("missing.yaml")});
  EXPECT_EQ(settings.code, 2) << settings;
  EXPECT_NE(settings.err.find("missing.yaml"), std::string::npos) << settings;
  auto tmpl = cli.home.write("dup.yaml", "services:\n  - {name: A, price: \"1\"}\n"
                                         "  - {name: A, price: \"2\"}\n");
  auto dup = run({"tenant", "create", unique("Dup Services"), "--settings", tmpl});
  EXPECT_EQ(dup.code, 2) << dup;
  EXPECT_NE(dup.err.find("service 'A' is listed twice"), std::string::npos) << dup;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunTenant, CreateAdminPasswordFromStdinNeverEchoed) {
  std::string pw = "correct-horse-battery-9";
  auto r = run({"tenant", "create", unique("Password Clinic"), "--admin-email", "admin@pw.example",
                "--admin-password-stdin"},
               pw + "\n");
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(r.mentions(pw)) << r;
  EXPECT_EQ(scalar("SELECT left(password_hash, 4) FROM users WHERE email = 'admin@pw.example'"),
            "$2b$");
}

// --- list, show -------------------------------------------------------------------------------

TEST_F(RunTenant, ListJsonShapeAndFilters) {
  std::string word = "zebra" + std::to_string(::getpid());
  auto a = make_tenant(word + " Row");
  auto b = make_tenant(word + " Schema", {"--isolation", "schema"});
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  auto r = run({"tenant", "list", "--search", word});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array()) << r;
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& t : j) {
    test::expect_keys(t, {"id", "slug", "name", "status", "isolation", "schema", "timezone",
                          "currency", "created_at"});
    EXPECT_EQ(t["status"], "active");
    EXPECT_TRUE(test::is_rfc3339_utc(t["created_at"])) << t.dump();
  }
  auto schema_only = run({"tenant", "list", "--search", word, "--isolation", "schema"});
  ASSERT_EQ(schema_only.json().size(), 1u) << schema_only;
  EXPECT_EQ(schema_only.json()[0]["slug"], b);
  ASSERT_EQ(run({"--yes", "tenant", "suspend", a}).code, 0);
  auto suspended = run({"tenant", "list", "--search", word, "--status", "suspended"});
  ASSERT_EQ(suspended.json().size(), 1u) << suspended;
  EXPECT_EQ(suspended.json()[0]["slug"], a);
  EXPECT_EQ(run({"tenant", "list", "--search", "no-tenant-matches-this"}).json(),
            nlohmann::json::array());
}

TEST_F(RunTenant, ShowJsonShapeCountsAndMoney) {
  auto slug =
      make_tenant("Show Clinic", {"--cogs-per-minute", "0.07", "--rate-per-minute", "0.25",
                                  "--free-minutes", "30", "--admin-email", "owner@show.example"});
  ASSERT_FALSE(slug.empty());
  auto r = run({"tenant", "show", slug});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j,
                    {"id", "slug", "name", "status", "isolation", "schema", "timezone", "currency",
                     "cogs_per_minute", "rate_per_minute", "free_minutes", "rounding", "settings",
                     "modules", "created_at", "suspended_at", "counts", "credit_balance"});
  EXPECT_EQ(j["slug"], slug);
  EXPECT_TRUE(test::money_eq(j["cogs_per_minute"], "0.07")) << j.dump();
  EXPECT_TRUE(test::money_eq(j["rate_per_minute"], "0.25")) << j.dump();
  EXPECT_TRUE(test::is_decimal_string(j["credit_balance"])) << j.dump();
  EXPECT_EQ(j["free_minutes"], 30);
  EXPECT_EQ(j["rounding"], "per_call_ceil_minute");
  EXPECT_TRUE(j["suspended_at"].is_null());
  test::expect_keys(j["counts"], {"numbers", "agents", "calls", "users", "services", "api_keys"});
  EXPECT_EQ(j["counts"]["users"], 1);
  EXPECT_EQ(j["counts"]["services"], 7); // templates/tenant/default.yaml
  EXPECT_EQ(j["counts"]["calls"], 0);
  // By UUID and through --tenant too.
  EXPECT_EQ(run({"tenant", "show", tenant_id(slug)}).json()["slug"], slug);
  EXPECT_EQ(run({"--tenant", slug, "tenant", "show"}).json()["slug"], slug);
}

TEST_F(RunTenant, ShowUnknownIsNotFound) {
  auto r = run({"tenant", "show", "nobody-here"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(r.error_json()["kind"], "not_found");
  EXPECT_NE(r.err.find("nobody-here"), std::string::npos) << r;
  auto none = run({"tenant", "show"});
  EXPECT_EQ(none.code, 2) << none; // no tenant at all
}

// --- update -----------------------------------------------------------------------------------

TEST_F(RunTenant, UpdateChangesOnlyWhatIsGiven) {
  auto slug = make_tenant("Update Clinic", {"--cogs-per-minute", "0.07", "--markup", "2"});
  ASSERT_FALSE(slug.empty());
  auto r = run({"tenant", "update", slug, "--timezone", "America/Chicago", "--free-minutes", "0",
                "--rate-per-minute", "0.30"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"id", "slug", "changed", "dry_run"});
  EXPECT_EQ(j["dry_run"], false);
  ASSERT_TRUE(j["changed"].is_object());
  EXPECT_TRUE(j["changed"].contains("timezone")) << j.dump();
  EXPECT_TRUE(j["changed"].contains("free_minutes")) << j.dump();
  EXPECT_TRUE(j["changed"].contains("rate_per_minute")) << j.dump();
  EXPECT_FALSE(j["changed"].contains("name")) << j.dump();
  auto shown = run({"tenant", "show", slug}).json();
  EXPECT_EQ(shown["timezone"], "America/Chicago");
  EXPECT_EQ(shown["free_minutes"], 0);
  EXPECT_TRUE(test::money_eq(shown["rate_per_minute"], "0.30")) << shown.dump();
  EXPECT_TRUE(test::money_eq(shown["cogs_per_minute"], "0.07")) << shown.dump();
}

TEST_F(RunTenant, UpdateDryRunAndFailures) {
  auto slug = make_tenant("Update Dry");
  auto other = make_tenant("Update Taken");
  ASSERT_FALSE(slug.empty());
  ASSERT_FALSE(other.empty());
  auto before = snapshot();
  auto dry =
      run({"--dry-run", "tenant", "update", slug, "--name", "Renamed", "--timezone", "Asia/Tokyo"});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(dry.json()["changed"].contains("timezone")) << dry.out;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(run({"tenant", "update", "no-such-tenant", "--timezone", "UTC"}).code, 3);
  auto money = run({"tenant", "update", slug, "--markup", "lots"});
  EXPECT_EQ(money.code, 2) << money;
  EXPECT_NE(money.err.find("--markup"), std::string::npos) << money;
  auto taken = run({"tenant", "update", slug, "--slug", other});
  EXPECT_EQ(taken.code, 4) << taken;
  EXPECT_EQ(taken.error_json()["kind"], "conflict");
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

// --- suspend, resume --------------------------------------------------------------------------

TEST_F(RunTenant, SuspendNeedsYesWithoutATerminal) {
  auto slug = make_tenant("Suspend Clinic");
  ASSERT_FALSE(slug.empty());
  auto r = run({"tenant", "suspend", slug});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("pass --yes"), std::string::npos) << r;
  EXPECT_EQ(status_of(slug), "active");
}

TEST_F(RunTenant, SuspendPromptsOnATerminal) {
  auto slug = make_tenant("Prompt Clinic");
  ASSERT_FALSE(slug.empty());
  cli.stdin_tty = true;
  auto no = run({"tenant", "suspend", slug}, "n\n");
  EXPECT_EQ(no.code, 2) << no;
  EXPECT_NE(no.err.find("suspend tenant '" + slug + "' [y/N]"), std::string::npos) << no;
  EXPECT_NE(no.err.find("not confirmed"), std::string::npos) << no;
  EXPECT_EQ(status_of(slug), "active");
  auto yes = run({"tenant", "suspend", slug}, "y\n");
  ASSERT_EQ(yes.code, 0) << yes;
  EXPECT_NE(yes.err.find("[y/N]"), std::string::npos) << yes;
  EXPECT_EQ(status_of(slug), "suspended");
}

TEST_F(RunTenant, SuspendResumeJsonShapeAndEffects) {
  auto slug = make_tenant("Lifecycle Clinic");
  ASSERT_FALSE(slug.empty());
  auto before = snapshot();
  auto dry = run({"--dry-run", "tenant", "suspend", slug});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());

  auto s = run({"--yes", "tenant", "suspend", slug});
  ASSERT_EQ(s.code, 0) << s;
  test::expect_keys(s.json(), {"id", "slug", "status", "changed", "dry_run"});
  EXPECT_EQ(s.json()["status"], "suspended");
  EXPECT_EQ(s.json()["changed"], true);
  EXPECT_EQ(status_of(slug), "suspended");
  // Tenant-scoped verbs refuse a suspended tenant (conflict).
  auto refused = run({"--tenant", slug, "user", "list"});
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_NE(refused.err.find("resume"), std::string::npos) << refused;
  auto again = run({"--yes", "tenant", "suspend", slug});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["changed"], false);
  EXPECT_NE(again.err.find("already suspended"), std::string::npos) << again;

  auto resume_before = snapshot();
  auto dry_resume = run({"--dry-run", "tenant", "resume", slug});
  ASSERT_EQ(dry_resume.code, 0) << dry_resume;
  EXPECT_EQ(dry_resume.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(resume_before, snapshot()).empty());
  EXPECT_EQ(status_of(slug), "suspended");

  auto r = run({"tenant", "resume", slug}); // not destructive: no --yes needed
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["status"], "active");
  EXPECT_EQ(r.json()["changed"], true);
  EXPECT_EQ(status_of(slug), "active");
  EXPECT_EQ(run({"tenant", "resume", "no-such-tenant"}).code, 3);
}

// --- delete -----------------------------------------------------------------------------------

TEST_F(RunTenant, DeleteNeedsConfirmationAndDryRunChangesNothing) {
  auto slug = make_tenant("Delete Clinic");
  ASSERT_FALSE(slug.empty());
  auto before = snapshot();
  auto r = run({"tenant", "delete", slug});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r;
  auto purge = run({"tenant", "delete", slug, "--purge"});
  EXPECT_EQ(purge.code, 2) << purge;
  auto dry = run({"--dry-run", "tenant", "delete", slug, "--purge"});
  ASSERT_EQ(dry.code, 0) << dry;
  test::expect_keys(dry.json(), {"id", "slug", "purge", "dry_run", "steps"});
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_FALSE(dry.json().contains("deleted_rows"));
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  // At a terminal the purge still wants --yes (a prompt is not enough for data loss).
  cli.stdin_tty = true;
  auto tty = run({"tenant", "delete", slug, "--purge"}, "y\n");
  EXPECT_EQ(tty.code, 2) << tty;
  EXPECT_NE(tty.err.find("add --yes"), std::string::npos) << tty;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(run({"--yes", "tenant", "delete", "no-such-tenant"}).code, 3);
}

TEST_F(RunTenant, SoftDeleteThenPurge) {
  auto slug = make_tenant("Gone Clinic", {"--admin-email", "owner@gone.example"});
  ASSERT_FALSE(slug.empty());
  std::string id = tenant_id(slug);
  auto soft = run({"--yes", "tenant", "delete", slug});
  ASSERT_EQ(soft.code, 0) << soft;
  EXPECT_EQ(soft.json()["purge"], false);
  EXPECT_EQ(status_of(slug), "deleted");
  EXPECT_EQ(run({"tenant", "show", slug}).json()["status"], "deleted");
  auto purge = run({"--yes", "tenant", "delete", slug, "--purge"});
  ASSERT_EQ(purge.code, 0) << purge;
  auto j = purge.json();
  EXPECT_EQ(j["purge"], true);
  ASSERT_TRUE(j["deleted_rows"].is_object()) << j.dump();
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id = $1::uuid", {id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM memberships WHERE org_id = $1::uuid", {id}), 0);
  EXPECT_EQ(run({"tenant", "show", id}).code, 3);
}

// --- export -----------------------------------------------------------------------------------

TEST_F(RunTenant, ExportWritesFilesAndPrintsTheManifest) {
  auto slug = make_tenant("Export Clinic", {"--admin-email", "owner@export.example"});
  ASSERT_FALSE(slug.empty());
  test::ScratchDir out;
  std::string dir = (out.path / "acme").string();
  auto r = run({"tenant", "export", slug, "--out", dir});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"format", "tenant", "exported_at", "schema_version", "tables"});
  EXPECT_EQ(j["tenant"]["slug"], slug);
  EXPECT_TRUE(test::is_rfc3339_utc(j["exported_at"])) << j.dump();
  EXPECT_EQ(j["exported_at"], format_rfc3339(cli.clock.now())); // the FakeClock's time
  ASSERT_TRUE(j["tables"].is_array());
  ASSERT_FALSE(j["tables"].empty());
  bool services = false;
  for (const auto& t : j["tables"]) {
    test::expect_keys(t, {"table", "file", "rows", "bytes", "sha256"});
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / t["file"].get<std::string>()))
        << t.dump();
    if (t["table"] == "services") {
      services = true;
      EXPECT_EQ(t["rows"], 7);
    }
  }
  EXPECT_TRUE(services) << j.dump();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "manifest.json"));
  EXPECT_EQ(run({"tenant", "export", "no-such-tenant", "--out", dir + "-x"}).code, 3);
}

TEST_F(RunTenant, ExportDryRunWritesNoFiles) {
  auto slug = make_tenant("Export Dry");
  ASSERT_FALSE(slug.empty());
  test::ScratchDir out;
  std::string dir = (out.path / "dry").string();
  auto r = run({"--dry-run", "tenant", "export", slug, "--out", dir});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"dry_run", "out", "tables"});
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_FALSE(std::filesystem::exists(dir));
}
