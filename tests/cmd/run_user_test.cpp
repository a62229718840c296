// Running `user create | list | disable | import` against the suite's migrated database.
#include "cmd_harness.hpp"

using namespace crm;

class RunUser : public test::DbTest {
protected:
  void SetUp() override {
    DbTest::SetUp();
    slug = make_tenant("User Clinic");
    ASSERT_FALSE(slug.empty());
  }
  /// `-o json --tenant <slug> <args>`.
  test::CliRun in_tenant(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--tenant", slug});
    return run(args, stdin_text);
  }
  long members() {
    return count("SELECT count(*) FROM memberships WHERE org_id = $1::uuid", {tenant_id(slug)});
  }
  std::string slug;
};

// --- create -----------------------------------------------------------------------------------

TEST_F(RunUser, CreateJsonShape) {
  auto r = in_tenant(
      {"user", "create", "Ana@Clinic.example", "--role", "manager", "--name", "Ana Lopez"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"id", "email", "tenant", "role", "created", "dry_run"});
  EXPECT_EQ(j["email"], "ana@clinic.example");
  EXPECT_EQ(j["tenant"], slug);
  EXPECT_EQ(j["role"], "manager");
  EXPECT_EQ(j["created"], true);
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["id"], scalar("SELECT id::text FROM users WHERE email = 'ana@clinic.example'"));
  EXPECT_EQ(members(), 1);
}

TEST_F(RunUser, CreateAgainSameRoleIsANoticeOtherRoleAConflict) {
  ASSERT_EQ(in_tenant({"user", "create", "bo@clinic.example", "--role", "viewer"}).code, 0);
  auto same = in_tenant({"user", "create", "bo@clinic.example", "--role", "viewer"});
  ASSERT_EQ(same.code, 0) << same;
  EXPECT_EQ(same.json()["created"], false);
  EXPECT_NE(same.err.find("already a viewer"), std::string::npos) << same;
  auto other = in_tenant({"user", "create", "bo@clinic.example", "--role", "admin"});
  EXPECT_EQ(other.code, 4) << other;
  EXPECT_EQ(other.error_json()["kind"], "conflict");
  EXPECT_EQ(members(), 1);
}

TEST_F(RunUser, CreateBadInputAndUnknownTenant) {
  auto role = in_tenant({"user", "create", "cy@clinic.example", "--role", "owner"});
  EXPECT_EQ(role.code, 2) << role;
  EXPECT_NE(role.err.find("unknown role 'owner'"), std::string::npos) << role;
  auto email = in_tenant({"user", "create", "not-an-email", "--role", "viewer"});
  EXPECT_EQ(email.code, 2) << email;
  EXPECT_NE(email.err.find("invalid email"), std::string::npos) << email;
  auto pw = in_tenant(
      {"user", "create", "cy@clinic.example", "--role", "viewer", "--password-stdin"}, "short\n");
  EXPECT_EQ(pw.code, 2) << pw;
  EXPECT_FALSE(pw.mentions("short\n")) << pw;
  auto empty =
      in_tenant({"user", "create", "cy@clinic.example", "--role", "viewer", "--password-stdin"});
  EXPECT_EQ(empty.code, 2) << empty;
  auto missing = run(
      {"--tenant", "no-such-clinic", "user", "create", "cy@clinic.example", "--role", "viewer"});
  EXPECT_EQ(missing.code, 3) << missing;
  auto none = run({"user", "create", "cy@clinic.example", "--role", "viewer"});
  EXPECT_EQ(none.code, 2) << none; // no --tenant, no context
  EXPECT_NE(none.err.find("--tenant"), std::string::npos) << none;
  EXPECT_EQ(members(), 0);
}

TEST_F(RunUser, CreateWithPasswordFromStdinStoresBcryptOnly) {
  const std::string pw = "tr0ub4dor&3-long";
  auto r = in_tenant(
      {"user", "create", "dee@clinic.example", "--role", "admin", "--password-stdin"}, pw + "\n");
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(r.mentions(pw)) << r;
  EXPECT_EQ(scalar("SELECT left(password_hash, 7) FROM users WHERE email = 'dee@clinic.example'"),
            "$2b$12$");
  EXPECT_EQ(
      count("SELECT count(*) FROM audit_events WHERE arguments::text LIKE $1", {"%" + pw + "%"}),
      0);
}

TEST_F(RunUser, CreateDryRunWritesNothing) {
  auto before = snapshot();
  auto r = in_tenant({"--dry-run", "user", "create", "eve@clinic.example", "--role", "employee"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["dry_run"], true);
  EXPECT_EQ(r.json()["created"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

// --- list -------------------------------------------------------------------------------------

TEST_F(RunUser, ListJsonShape) {
  ASSERT_EQ(
      in_tenant({"user", "create", "fay@clinic.example", "--role", "employee", "--name", "Fay"})
          .code,
      0);
  ASSERT_EQ(in_tenant({"user", "create", "gus@clinic.example", "--role", "viewer"}).code, 0);
  auto r = in_tenant({"user", "list"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& m : j) {
    test::expect_keys(m, {"id", "email", "name", "role", "status", "password", "member_since"});
    EXPECT_EQ(m["status"], "active");
    EXPECT_EQ(m["password"], false);
    EXPECT_TRUE(test::is_rfc3339_utc(m["member_since"])) << m.dump();
  }
  EXPECT_EQ(j[0]["email"], "fay@clinic.example");
  EXPECT_EQ(j[0]["name"], "Fay");
  EXPECT_EQ(j[0]["role"], "employee");
  // Another tenant sees none of them.
  auto other = make_tenant("Other Clinic");
  EXPECT_EQ(run({"--tenant", other, "user", "list"}).json(), nlohmann::json::array());
  EXPECT_EQ(run({"--tenant", "no-such-clinic", "user", "list"}).code, 3);
}

// --- disable ----------------------------------------------------------------------------------

TEST_F(RunUser, DisableJsonShapeIdempotentAndNotFound) {
  ASSERT_EQ(in_tenant({"user", "create", "hal@clinic.example", "--role", "viewer"}).code, 0);
  auto before = snapshot();
  auto dry = in_tenant({"--dry-run", "user", "disable", "hal@clinic.example"});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());

  auto r = in_tenant({"user", "disable", "HAL@clinic.example"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"email", "tenant", "status", "changed", "dry_run"});
  EXPECT_EQ(j["email"], "hal@clinic.example");
  EXPECT_EQ(j["status"], "disabled");
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(in_tenant({"user", "list"}).json()[0]["status"], "disabled");
  EXPECT_EQ(in_tenant({"user", "disable", "hal@clinic.example"}).json()["changed"], false);

  auto unknown = in_tenant({"user", "disable", "nobody@clinic.example"});
  EXPECT_EQ(unknown.code, 3) << unknown;
  EXPECT_EQ(unknown.error_json()["kind"], "not_found");
  // A user of another tenant is not a member of this one.
  auto other = make_tenant("Disable Other");
  ASSERT_EQ(
      run({"--tenant", other, "user", "create", "ivy@other.example", "--role", "viewer"}).code, 0);
  auto foreign = in_tenant({"user", "disable", "ivy@other.example"});
  EXPECT_EQ(foreign.code, 3) << foreign;
  EXPECT_NE(foreign.err.find("not a member"), std::string::npos) << foreign;
}

// --- import -----------------------------------------------------------------------------------

TEST_F(RunUser, ImportFromFileJsonShape) {
  auto csv = cli.home.write("users.csv", "email,name,role\r\n"
                                         "jo@clinic.example,\"Jo, the First\",admin\r\n"
                                         "kai@clinic.example,Kai,viewer\r\n");
  auto r = in_tenant({"user", "import", csv});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& row : j) {
    test::expect_keys(row, {"line", "email", "role", "result", "error"});
    EXPECT_EQ(row["result"], "created") << row.dump();
    EXPECT_EQ(row["error"], "");
  }
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[1]["line"], 3);
  EXPECT_EQ(members(), 2);
  EXPECT_EQ(scalar("SELECT name FROM users WHERE email = 'jo@clinic.example'"), "Jo, the First");
  EXPECT_NE(r.err.find("import into '" + slug + "': 2 created"), std::string::npos) << r;
  // Again: every row exists now.
  auto again = in_tenant({"user", "import", csv});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()[0]["result"], "exists");
  EXPECT_EQ(members(), 2);
}

TEST_F(RunUser, ImportFromStdinAndDryRun) {
  std::string csv = "email,role\nlee@clinic.example,manager\n";
  auto before = snapshot();
  auto dry = in_tenant({"--dry-run", "user", "import", "-"}, csv);
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()[0]["result"], "would_import");
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  auto r = in_tenant({"user", "import", "-"}, csv);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()[0]["result"], "created");
  EXPECT_EQ(members(), 1);
}

TEST_F(RunUser, ImportIsAllOrNothingAndReportsEveryRow) {
  auto csv = cli.home.write("bad.csv", "email,name,role\n"
                                       "max@clinic.example,Max,admin\n"
                                       "not-an-email,Nope,viewer\n"
                                       "ned@clinic.example,Ned,overlord\n"
                                       "max@clinic.example,Max again,admin\n"
                                       "oz@clinic.example,Oz\n");
  auto before = snapshot();
  auto r = in_tenant({"user", "import", csv});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.error_json()["kind"], "usage");
  EXPECT_NE(r.err.find("4 bad row(s), first on line 3"), std::string::npos) << r;
  EXPECT_NE(r.err.find("nothing imported"), std::string::npos) << r;
  auto j = r.json();
  ASSERT_EQ(j.size(), 5u) << j.dump();
  EXPECT_EQ(j[0]["result"], "not_imported");
  EXPECT_EQ(j[1]["result"], "error");
  EXPECT_EQ(j[1]["line"], 3);
  EXPECT_NE(j[1]["error"].get<std::string>().find("invalid email"), std::string::npos);
  EXPECT_NE(j[2]["error"].get<std::string>().find("unknown role 'overlord'"), std::string::npos);
  EXPECT_EQ(j[3]["error"], "duplicate of an earlier row");
  EXPECT_EQ(j[4]["error"], "expected 3 fields, found 2");
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunUser, ImportFileProblemsAreUsageErrors) {
  auto missing = in_tenant({"user", "import", cli.home.file("nope.csv")});
  EXPECT_EQ(missing.code, 2) << missing;
  EXPECT_NE(missing.err.find("nope.csv"), std::string::npos) << missing;
  auto header = in_tenant({"user", "import", "-"}, "mail,role\nx@clinic.example,admin\n");
  EXPECT_EQ(header.code, 2) << header;
  EXPECT_NE(header.err.find("CSV header must name the columns email and role"), std::string::npos)
      << header;
  auto empty = in_tenant({"user", "import", "-"}, "");
  EXPECT_EQ(empty.code, 2) << empty;
  EXPECT_EQ(members(), 0);
}
