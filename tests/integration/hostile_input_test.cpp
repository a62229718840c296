// Hostile input is refused at the edge (usage error, nothing written) and text stored before the
// edge existed never reaches a terminal raw: tenants, users, CSV import, credentials, API keys,
// --tenants, settings files, and `crmctl user list` over a real PostgreSQL.
#include "cmd/cli.hpp"
#include "core/input.hpp"
#include "support/tenant_fixture.hpp"
#include "tenant/template.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

using namespace crm;

namespace {

// One sample per class of bad text, with the code point (or fault) its message names.
struct Bad {
  std::string text, needle;
};
const std::vector<Bad>& bad_texts() {
  static const std::vector<Bad> k = {
      {"Evil\x1b[31mRed", "control character (U+001B)"},
      {std::string("Nul\0Byte", 8), "NUL character (U+0000)"},
      {"Del\x7f", "control character (U+007F)"},
      {"C1\u009b31m", "control character (U+009B)"},
      {"Bidi\u202Etxt", "bidirectional control character (U+202E)"},
      {"Isolate\u2066x", "bidirectional control character (U+2066)"},
      {"Over\xC0\xAFlong", "overlong encoding"},
      {"Surr\xED\xA0\x80", "UTF-16 surrogate (U+D800)"},
      {"Trunc\xE2\x82", "truncated multi-byte sequence"},
      {"Stray\xFF", "invalid byte 0xFF"},
  };
  return k;
}

class HostileInput : public test::TenantFixture {
protected:
  long users() { return count("SELECT count(*) FROM users"); }
  long orgs() { return count("SELECT count(*) FROM organizations"); }
  long members(const tenant::TenantRef& t) {
    return count("SELECT count(*) FROM memberships WHERE org_id = $1::uuid", {t.id});
  }
  static void expect_usage(const Error& e, const std::string& needle) {
    EXPECT_EQ(e.kind, ErrorKind::usage) << e.message;
    EXPECT_NE(e.message.find(needle), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\x1b'), std::string::npos) << e.message;
  }
  // The CLI as a user at a terminal runs it.
  struct Run {
    int code;
    std::string out, err;
  };
  Run cli(std::vector<std::string> args, const std::string& input = "", bool tty = true) {
    test::TestIO tio(input);
    tio.io.stdout_tty = tty;
    tio.io.stdin_tty = false;
    cmd::Interrupt intr;
    std::map<std::string, std::string> env = {
        {"CRMCTL_DATABASE_URL", db.url()}, {"NO_COLOR", "1"}, {"USER", "test"}};
    int code = cmd::run_cli(args, tio.io, clock, env_from_map(env), intr);
    return {code, tio.out.str(), tio.err.str()};
  }
};

} // namespace

TEST_F(HostileInput, TenantCreateRefusesEveryBadClassAndWritesNothing) {
  long o = orgs(), u = users();
  for (const auto& b : bad_texts()) {
    auto name = spec(b.text);
    name.slug = "bad-name";
    auto r = try_create(name);
    ASSERT_FALSE(r) << b.needle;
    expect_usage(r.error(), "tenant name: ");
    expect_usage(r.error(), b.needle);

    auto admin = spec("Admin Name Clinic");
    admin.admin_name = b.text;
    auto a = try_create(admin);
    ASSERT_FALSE(a) << b.needle;
    expect_usage(a.error(), "admin name: ");
    expect_usage(a.error(), b.needle);

    auto mail = spec("Admin Mail Clinic");
    mail.admin_email = "own" + b.text + "er@clinic.example";
    auto m = try_create(mail);
    ASSERT_FALSE(m) << b.needle;
    expect_usage(m.error(), b.needle);
  }
  auto pw = spec("Password Clinic");
  pw.admin_password = std::string("short\0but-long-after-the-nul", 28);
  auto p = try_create(pw);
  ASSERT_FALSE(p);
  expect_usage(p.error(), "admin password: contains a NUL character (U+0000) at position 6");
  EXPECT_EQ(p.error().message.find("but-long"), std::string::npos); // a secret is never quoted
  auto longname = try_create(spec(std::string(5000, 'x') + "TAIL"));
  ASSERT_FALSE(longname);
  expect_usage(longname.error(), "is 5004 characters long: at most 200");
  EXPECT_EQ(longname.error().message.find("TAIL"), std::string::npos);
  EXPECT_EQ(orgs(), o);
  EXPECT_EQ(users(), u);

  // Unicode, quotes and SQL metacharacters stay valid data; accented names get an ASCII slug.
  auto t = create(spec("Café Zürich \"Ørsted\" 🦷 東京"));
  EXPECT_EQ(t.slug, "cafe-zurich-orsted");
  EXPECT_EQ(t.name, "Café Zürich \"Ørsted\" 🦷 東京");
}

TEST_F(HostileInput, TenantUpdateRefusesBadNames) {
  auto t = create(spec("Update Clinic"));
  for (const auto& b : bad_texts()) {
    tenant::UpdateSpec u;
    u.name = b.text;
    auto r = update(t, u);
    ASSERT_FALSE(r) << b.needle;
    expect_usage(r.error(), "--name: ");
    expect_usage(r.error(), b.needle);
  }
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE name = 'Update Clinic'"), 1);
}

TEST_F(HostileInput, MoneyBeyondTheColumnIsAUsageErrorNotAnOverflow) {
  long o = orgs();
  auto big = spec("Big Cost Clinic");
  big.cogs_per_minute = *Decimal::parse("99999999999999"); // fits; x2 does not
  auto r = try_create(big);
  ASSERT_FALSE(r);
  expect_usage(r.error(), "numeric(20,6)");
  auto markup = spec("Big Markup Clinic");
  markup.markup = *Decimal::parse("5000");
  auto m = try_create(markup);
  ASSERT_FALSE(m);
  expect_usage(m.error(), "--markup 5000 is too large");
  EXPECT_EQ(orgs(), o);
  // A template price with more decimals than services.price (numeric(20,2)) keeps.
  auto tp = tenant::parse_template("services:\n  - {name: Botox, price: \"19.999\"}\n", "t.yaml");
  ASSERT_FALSE(tp);
  expect_usage(tp.error(), "t.yaml: service 'Botox' price: '19.999' has 3 decimal places: at "
                           "most 2 are kept (numeric(20,2))");
  // --markup alone on update: the database computes the rate; an overflow is a usage error.
  auto t = create(spec("Markup Update Clinic"));
  ASSERT_TRUE(update(t, [] {
    tenant::UpdateSpec u;
    u.cogs_per_minute = *Decimal::parse("999999999999"); // x 1000 has 15 digits
    return u;
  }()));
  tenant::UpdateSpec u;
  u.markup = *Decimal::parse("1000");
  auto up = update(t, u);
  ASSERT_FALSE(up);
  expect_usage(up.error(), "does not fit numeric(20,6)");
}

TEST_F(HostileInput, UserCreateRefusesEveryBadClassAndWritesNothing) {
  auto t = create(spec("Users Clinic"));
  long u = users(), m = members(t);
  for (const auto& b : bad_texts()) {
    auto name = create_user(t, {"ok@users.example", b.text, "viewer", std::nullopt});
    ASSERT_FALSE(name) << b.needle;
    expect_usage(name.error(), "--name: ");
    expect_usage(name.error(), b.needle);
    auto mail = create_user(t, {"a" + b.text + "@users.example", "", "viewer", std::nullopt});
    ASSERT_FALSE(mail) << b.needle;
    expect_usage(mail.error(), "email: ");
    expect_usage(mail.error(), b.needle);
  }
  // A NUL in a password used to truncate it for bcrypt (and so bypass the 8-character rule).
  auto pw = create_user(t, {"pw@users.example", "", "viewer", std::string("pw\0restXYZ", 10)});
  ASSERT_FALSE(pw);
  expect_usage(pw.error(), "password: contains a NUL character (U+0000) at position 3");
  EXPECT_EQ(pw.error().message.find("rest"), std::string::npos);
  EXPECT_EQ(users(), u);
  EXPECT_EQ(members(t), m);
  auto ok =
      create_user(t, {"zoe@users.example", "Zoë 'Z' \"O'Brien\" 🦷", "viewer", std::nullopt});
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
}

TEST_F(HostileInput, CsvImportRefusesEveryBadFieldWithItsLineAndWritesNothing) {
  auto t = create(spec("Csv Clinic"));
  long u = users(), m = members(t);
  for (const auto& b : bad_texts()) {
    for (const char* column : {"email", "name", "role"}) {
      std::string row = std::string(column) == "email"  ? "x" + b.text + "@csv.example,X,viewer"
                        : std::string(column) == "name" ? "x@csv.example," + b.text + ",viewer"
                                                        : "x@csv.example,X,view" + b.text;
      auto rows =
          tenant::parse_users_csv("email,name,role\nok@csv.example,Ok,viewer\n" + row + "\n");
      ASSERT_TRUE(rows) << rows.error().message;
      ASSERT_EQ(rows->size(), 2u);
      EXPECT_EQ((*rows)[1].result, "error") << b.needle << " in " << column;
      EXPECT_NE((*rows)[1].error.find("line 3: " + std::string(column) + ": "), std::string::npos)
          << (*rows)[1].error;
      EXPECT_NE((*rows)[1].error.find(b.needle), std::string::npos) << (*rows)[1].error;
      auto res = import_users(t, *rows);
      ASSERT_TRUE(res);
      EXPECT_EQ((*res)[0].result, "not_imported");
      EXPECT_EQ((*res)[1].result, "error");
    }
  }
  // Rows built without the parser go through the same validator.
  tenant::ImportRow direct;
  direct.line = 7;
  direct.email = "d@csv.example";
  direct.name = "Evil\x1b]0;title\x07";
  direct.role = "viewer";
  auto res = import_users(t, {direct});
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[0].result, "error");
  EXPECT_NE((*res)[0].error.find("line 7: name: contains a control character (U+001B)"),
            std::string::npos)
      << (*res)[0].error;
  EXPECT_EQ(users(), u);
  EXPECT_EQ(members(t), m);
}

TEST_F(HostileInput, CsvWithByteOrderMarkIsAccepted) {
  auto t = create(spec("Bom Clinic"));
  auto rows = tenant::parse_users_csv("\xEF\xBB\xBF"
                                      "email,name,role\r\nbom@csv.example,Bom,viewer\r\n");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].email, "bom@csv.example");
  auto res = import_users(t, *rows);
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[0].result, "created");
}

TEST_F(HostileInput, CsvImportTreatsAnotherRoleAsAConflictUnlessUpdateRoles) {
  auto t = create(spec("Roles Clinic"));
  ASSERT_TRUE(create_user(t, {"ana@roles.example", "Ana", "manager", std::nullopt}));
  ASSERT_TRUE(create_user(t, {"dis@roles.example", "Dis", "viewer", std::nullopt}));
  ASSERT_TRUE(disable_user(t, "dis@roles.example"));
  auto rows =
      tenant::parse_users_csv("email,name,role\nnew@roles.example,New,viewer\n"
                              "ana@roles.example,Ana,viewer\ndis@roles.example,Dis,viewer\n");
  ASSERT_TRUE(rows);
  long m = members(t);
  auto conflict = import_users(t, *rows);
  ASSERT_TRUE(conflict);
  EXPECT_EQ((*conflict)[0].result, "not_imported");
  EXPECT_EQ((*conflict)[1].result, "conflict");
  EXPECT_EQ((*conflict)[1].error,
            "line 3: ana@roles.example is already a member of tenant 'roles-clinic' with role "
            "manager, the file says viewer: pass --update-roles to change it");
  EXPECT_EQ((*conflict)[2].result, "disabled");
  EXPECT_EQ(members(t), m);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email = 'new@roles.example'"), 0);

  auto updated = admin([&](db::AdminTx& tx) {
    return tenant::import_users(tx, t, tenancy, *rows, actor, DryRun::no, tenant::UpdateRoles::yes);
  });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ((*updated)[0].result, "created");
  EXPECT_EQ((*updated)[1].result, "updated");
  EXPECT_EQ((*updated)[2].result, "disabled");
  EXPECT_EQ(count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE "
                  "u.email = 'ana@roles.example' AND m.role = 'viewer' AND m.org_id = $1::uuid",
                  {t.id}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE "
                  "u.email = 'dis@roles.example' AND m.status = 'disabled'"),
            1);
  // Through the CLI: exit 4 naming the row and the roles, then --update-roles.
  ASSERT_TRUE(create_user(t, {"bo@roles.example", "Bo", "admin", std::nullopt}));
  auto path = std::filesystem::temp_directory_path() / ("roles-" + uuid_v4() + ".csv");
  std::ofstream(path) << "email,name,role\nbo@roles.example,Bo,employee\n";
  auto r = cli({"-o", "json", "user", "import", path.string(), "--tenant", t.slug});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(
      r.err.find(
          "line 2: bo@roles.example is already a member of tenant 'roles-clinic' with role admin"),
      std::string::npos)
      << r.err;
  auto r2 =
      cli({"-o", "json", "user", "import", path.string(), "--tenant", t.slug, "--update-roles"});
  EXPECT_EQ(r2.code, 0) << r2.err;
  EXPECT_NE(r2.out.find("\"updated\""), std::string::npos) << r2.out;
  std::filesystem::remove(path);
}

TEST_F(HostileInput, CredentialsRefuseNulControlsAndDeepJson) {
  auto t = create(spec("Creds Clinic"));
  auto bad_line = tenant::parse_credential_text(
      "twilio", std::string("account_sid=AC123\nauth_token=sec\0ret\n", 36));
  ASSERT_FALSE(bad_line);
  expect_usage(bad_line.error(), "credential field 'auth_token': contains a NUL character "
                                 "(U+0000) at position 4");
  EXPECT_EQ(bad_line.error().message.find("ret"), std::string::npos);
  auto bad_json = tenant::parse_credential_text("elevenlabs", "{\"api_key\": \"sk\\u0000x\"}");
  ASSERT_FALSE(bad_json);
  expect_usage(bad_json.error(), "NUL character (U+0000)");
  auto esc = tenant::parse_credential_text("elevenlabs", "{\"api_key\": \"sk\\u001b[31m\"}");
  ASSERT_FALSE(esc);
  expect_usage(esc.error(), "control character (U+001B)");
  auto deep = tenant::parse_credential_text("elevenlabs", std::string(1'000'000, '['));
  ASSERT_FALSE(deep);
  expect_usage(deep.error(), "credential input: JSON nests deeper than 64 levels");
  auto env = tenant::credential_from_env("elevenlabs",
                                         env_from_map({{"ELEVENLABS_API_KEY", "sk_\u202Eabc"}}));
  ASSERT_FALSE(env);
  expect_usage(env.error(), "ELEVENLABS_API_KEY: contains a bidirectional control character");
  // The library refuses it too, whatever the caller parsed: nothing is written.
  auto set = set_credentials(t, "elevenlabs", {{"api_key", std::string("sk\0tail", 7)}},
                             test::key_of('k'));
  ASSERT_FALSE(set);
  expect_usage(set.error(), "NUL character");
  EXPECT_EQ(count("SELECT count(*) FROM org_credentials WHERE org_id = $1::uuid", {t.id}), 0);
}

TEST_F(HostileInput, ApiKeyNamesAndEveryUnknownScopeAreChecked) {
  auto t = create(spec("Keys Clinic"));
  tenant::ApiKeySpec s;
  s.name = "ci\x1b[2J";
  s.scopes = {"calls:read"};
  auto r = create_api_key(t, s, clock.now());
  ASSERT_FALSE(r);
  expect_usage(r.error(), "--name: contains a control character (U+001B) at position 3");
  s.name = "ci";
  s.scopes = {"calls:read", "nope:one", "admin", "nope:two"};
  auto u = create_api_key(t, s, clock.now());
  ASSERT_FALSE(u);
  expect_usage(u.error(), "unknown scopes 'nope:one', 'nope:two'");
  EXPECT_EQ(count("SELECT count(*) FROM api_keys WHERE org_id = $1::uuid", {t.id}), 0);
  auto e = cli({"apikey", "create", "--tenant", t.slug, "--name", "x", "--scopes", ""});
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("--scopes is empty"), std::string::npos) << e.err;
}

TEST_F(HostileInput, SettingsFilesWithRecursiveAliasesOrDeepNestingAreUsageErrors) {
  for (std::string text :
       {std::string("settings: &a [*a]\n"), std::string("settings: &m {x: *m}\n"),
        "settings: {a: " + std::string(10000, '[') + std::string(10000, ']') + "}\n",
        "settings: {a: " + std::string(100, '[') + std::string(100, ']') + "}\n"}) {
    auto r = tenant::parse_template(text, "evil.yaml");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_EQ(r.error().message.rfind("evil.yaml: ", 0), 0u) << r.error().message;
  }
  auto ctl = tenant::parse_template("settings: {greeting: \"hi\\e[31m\"}\n", "evil.yaml");
  ASSERT_FALSE(ctl);
  expect_usage(ctl.error(), "evil.yaml: settings.greeting: contains a control character (U+001B)");
  auto multi = tenant::parse_template("settings: {prompt: \"line one\\nline two\"}\n", "ok.yaml");
  EXPECT_TRUE(multi) << (multi ? "" : multi.error().message);
}

TEST_F(HostileInput, MigrateTenantsNamesEveryUnknownEntryBeforeApplyingAnything) {
  test::TempDatabase fresh;
  std::atomic<bool> stop{false};
  migrate::ConnectionFactory factory = [&]() -> Result<std::unique_ptr<db::Connection>> {
    return db::Connection::open(fresh.url());
  };
  migrate::RunOptions o;
  o.tenants = {"public", "no-such-tenant", "org_0000"};
  auto r = migrate::up(set, o, factory, clock, {}, stop);
  ASSERT_FALSE(r);
  expect_usage(r.error(), "'no-such-tenant', 'org_0000'");
  auto fc = fresh.connect();
  auto applied = fc->exec("SELECT to_regclass('public.organizations') IS NULL AND "
                          "to_regclass('crm.schema_migrations') IS NULL AS nothing");
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->get(0, "nothing"), "t");
  // On the migrated fixture: a row tenant's slug selects public; unknown entries are named.
  auto t = create(spec("Row Tenant"));
  migrate::ConnectionFactory here = [&]() -> Result<std::unique_ptr<db::Connection>> {
    return db::Connection::open(db.url());
  };
  migrate::RunOptions row;
  row.tenants = {t.slug};
  auto ok = migrate::up(set, row, here, clock, {}, stop);
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
  // Through the CLI: an empty list is an error, never "all".
  for (std::string list : {"", ",", "public,,x"}) {
    auto e = cli({"migrate", "up", "--tenants", list});
    EXPECT_EQ(e.code, 2) << list << ": " << e.err;
    EXPECT_NE(e.err.find("--tenants"), std::string::npos) << e.err;
  }
}

TEST_F(HostileInput, StoredEscapesAreListedEscapedNeverRaw) {
  auto t = create(spec("Escape Clinic"));
  // Stored before the edge existed (or by another tool): straight into the tables as superuser.
  std::string evil = "\x1b[31mMallory\x1b[0m \u202Egpj.exe \u009b2J";
  std::string id = uuid_v4();
  ASSERT_TRUE(c->exec("INSERT INTO users (id, email, name) VALUES ($1::uuid, $2, $3)",
                      {id, "mallory@escape.example", evil}));
  ASSERT_TRUE(c->exec("INSERT INTO memberships (org_id, user_id, role) VALUES ($1::uuid, "
                      "$2::uuid, 'viewer')",
                      {t.id, id}));
  auto table = cli({"user", "list", "--tenant", t.slug});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.find('\x1b'), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("\u202E"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("\u009b"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\\x1b[31mMallory\\x1b[0m \\u202egpj.exe \\u009b2J"), std::string::npos)
      << table.out;
  auto json = cli({"-o", "json", "user", "list", "--tenant", t.slug});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out.find('\x1b'), std::string::npos);
  auto parsed = nlohmann::json::parse(json.out);
  bool found = false;
  for (const auto& m : parsed)
    found = found || m.value("name", "") == evil;
  EXPECT_TRUE(found) << json.out;
  // Error messages go through the same escaper.
  auto err = cli({"tenant", "show", "no\x1b[2Jsuch\u202E"});
  EXPECT_NE(err.code, 0);
  EXPECT_EQ(err.err.find('\x1b'), std::string::npos) << err.err;
  EXPECT_EQ(err.err.find("\u202E"), std::string::npos) << err.err;
  auto parse_err = cli({"tenantz\x1b[31m"});
  EXPECT_EQ(parse_err.code, 2);
  EXPECT_EQ(parse_err.err.find('\x1b'), std::string::npos) << parse_err.err;
  EXPECT_NE(parse_err.err.find("\\x1b[31m"), std::string::npos) << parse_err.err;
}
