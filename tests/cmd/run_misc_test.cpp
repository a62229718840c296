// Running the local and read-only verbs with fakes: version, completion, config, context, doctor.
#include "cmd_harness.hpp"

#include <sys/stat.h>

using namespace crm;
using test::Cli;
using test::CliRun;

namespace {

const char* k_config = R"(default_profile: local
profiles:
  local:
    database_url: postgresql://app:pw-s3cret-77@db.internal:5432/crm
    master_key: env:CRMCTL_MASTER_KEY
    webhook_base_url: https://hooks.example.com
    providers:
      twilio: {base_url: http://sim:9000, account_sid: ACabc, auth_token: tok_literal_secret_9876}
      elevenlabs: {api_key: env:ELEVENLABS_API_KEY}
  prod:
    database_url: env:PROD_DATABASE_URL
    production: true
)";

} // namespace

// --- version ----------------------------------------------------------------------------------

TEST(RunVersion, JsonShapeWithoutConfigOrDatabase) {
  Cli cli;
  auto r = cli({"--config", "/nonexistent/crmctl.yaml", "--db", "postgresql://127.0.0.1:1/x", "-o",
                "json", "version"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"version", "git_sha", "build"});
  EXPECT_EQ(j["version"], cmd::version_string());
  EXPECT_EQ(j["git_sha"], cmd::git_sha());
  EXPECT_TRUE(r.err.empty()) << r;
  EXPECT_EQ(cli.http_clients_made, 0);
}

TEST(RunVersion, TableOnATerminal) {
  Cli cli;
  cli.stdout_tty = true;
  auto r = cli({"version"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out.rfind(std::string("crmctl ") + cmd::version_string() + " (", 0), 0u) << r;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST(RunVersion, PipedDefaultsToJson) {
  Cli cli; // stdout is not a TTY
  auto r = cli({"version"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["version"], cmd::version_string());
}

TEST(RunVersion, UnexpectedArgumentIsUsage) {
  Cli cli;
  auto r = cli({"-o", "json", "version", "--short"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.error_json()["kind"], "usage");
}

// --- completion -------------------------------------------------------------------------------

TEST(RunCompletion, EveryShellNamesEveryNoun) {
  struct Shell {
    const char* name;
    const char* marker;
  };
  for (const Shell& sh :
       {Shell{"bash", "complete"}, Shell{"zsh", "#compdef"}, Shell{"fish", "complete -c crmctl"}}) {
    Cli cli;
    auto r = cli({"--config", "/nonexistent.yaml", "completion", sh.name});
    ASSERT_EQ(r.code, 0) << sh.name << "\n" << r;
    EXPECT_NE(r.out.find(sh.marker), std::string::npos) << sh.name;
    for (const char* noun : {"version", "config", "context", "doctor", "completion", "migrate",
                             "tenant", "user", "apikey", "creds"})
      EXPECT_NE(r.out.find(noun), std::string::npos) << sh.name << " lacks " << noun;
    for (const char* verb : {"rotate-key", "suspend", "if-not-exists", "from-stdin"})
      EXPECT_NE(r.out.find(verb), std::string::npos) << sh.name << " lacks " << verb;
    EXPECT_EQ(r.out.find("__gendocs"), std::string::npos) << sh.name;
    EXPECT_TRUE(r.err.empty()) << r;
  }
}

TEST(RunCompletion, UnknownShellIsUsage) {
  Cli cli;
  auto r = cli({"completion", "powershell"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("powershell"), std::string::npos) << r;
  EXPECT_TRUE(r.out.empty());
}

// --- config -----------------------------------------------------------------------------------

TEST(RunConfig, ViewJsonShapeMasksSecretsAndNamesSources) {
  Cli cli;
  auto cfg = cli.home.write("crmctl.yaml", k_config);
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('k');
  auto r = cli({"--config", cfg, "-o", "json", "config", "view"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j,
                    {"config_file", "profile", "database_url", "database_url_source", "master_key",
                     "production", "webhook_base_url", "app_role", "guc", "providers"});
  EXPECT_EQ(j["config_file"], cfg);
  EXPECT_EQ(j["profile"], "local");
  EXPECT_EQ(j["database_url_source"], "profile local");
  EXPECT_EQ(j["master_key"], "env:CRMCTL_MASTER_KEY"); // a reference is shown as is
  EXPECT_EQ(j["production"], false);
  EXPECT_EQ(j["app_role"], "crm_app");
  EXPECT_EQ(j["guc"], "app.current_org_id");
  EXPECT_EQ(j["providers"]["twilio"]["base_url"], "http://sim:9000");
  EXPECT_EQ(j["providers"]["twilio"]["account_sid"], "ACabc");
  EXPECT_EQ(j["providers"]["elevenlabs"]["api_key"], "env:ELEVENLABS_API_KEY");
  for (const char* secret : {"pw-s3cret-77", "tok_literal_secret_9876", "kkkkkkkk"})
    EXPECT_FALSE(r.mentions(secret)) << secret << "\n" << r;
  EXPECT_NE(j["database_url"].get<std::string>().find("db.internal"), std::string::npos);
  // --db wins over the profile, and says so.
  auto flag =
      cli({"--config", cfg, "--db", "postgresql://h/other", "-o", "json", "config", "view"});
  ASSERT_EQ(flag.code, 0) << flag;
  EXPECT_EQ(flag.json()["database_url"], "postgresql://h/other");
  EXPECT_NE(flag.json()["database_url_source"].get<std::string>().find("--db"), std::string::npos)
      << flag.out;
}

TEST(RunConfig, ViewWithoutAConfigFile) {
  Cli cli;
  auto r = cli({"-o", "json", "config", "view"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_TRUE(j["config_file"].is_null()) << j.dump();
  EXPECT_TRUE(j["profile"].is_null()) << j.dump();
  EXPECT_EQ(j["database_url"], "");
}

TEST(RunConfig, UnknownProfileIsAConfigError) {
  Cli cli;
  auto cfg = cli.home.write("crmctl.yaml", k_config);
  auto r = cli({"--config", cfg, "--profile", "staging", "-o", "json", "config", "view"});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_EQ(r.error_json()["kind"], "config");
  EXPECT_NE(r.err.find("staging"), std::string::npos) << r;
  EXPECT_TRUE(r.out.empty());
}

TEST(RunConfig, ValidateListsFindingsWithoutTheSecrets) {
  Cli cli;
  auto cfg = cli.home.write("crmctl.yaml", k_config);
  auto r = cli({"--config", cfg, "-o", "json", "config", "validate"});
  ASSERT_EQ(r.code, 0) << r; // warnings only
  auto j = r.json();
  ASSERT_TRUE(j.is_array()) << j.dump();
  bool literal_secret = false, literal_password = false, unset_env = false;
  for (const auto& f : j) {
    test::expect_keys(f, {"level", "message"});
    EXPECT_EQ(f["level"], "warning") << f.dump();
    std::string m = f["message"];
    literal_secret |= m.find("profiles.local.providers.twilio.auth_token holds a literal secret") !=
                      std::string::npos;
    literal_password |= m.find("database_url contains a literal password") != std::string::npos;
    unset_env |= m.find("ELEVENLABS_API_KEY") != std::string::npos;
  }
  EXPECT_TRUE(literal_secret) << j.dump();
  EXPECT_TRUE(literal_password) << j.dump();
  EXPECT_TRUE(unset_env) << j.dump();
  EXPECT_FALSE(r.mentions("tok_literal_secret_9876")) << r;
  EXPECT_FALSE(r.mentions("pw-s3cret-77")) << r;
}

TEST(RunConfig, ValidateLooseModeWarnsAndErrorsExit10) {
  Cli cli;
  auto loose = cli.home.write("loose.yaml", "profiles:\n  p: {database_url: env:DB}\n");
  ::chmod(loose.c_str(), 0644);
  cli.env["DB"] = "postgresql://h/db";
  auto w = cli({"--config", loose, "-o", "json", "config", "validate"});
  ASSERT_EQ(w.code, 0) << w;
  ASSERT_EQ(w.json().size(), 1u) << w.out;
  EXPECT_EQ(w.json()[0]["message"],
            loose + " is readable by group or others: run chmod 600 " + loose);
  // An undefined default profile is an error: exit 10 after listing it.
  auto bad = cli.home.write("bad.yaml", "default_profile: nope\nprofiles:\n  p: {}\n");
  auto e = cli({"--config", bad, "-o", "json", "config", "validate"});
  EXPECT_EQ(e.code, 10) << e;
  EXPECT_NE(e.out.find("default_profile 'nope' is not defined"), std::string::npos) << e;
  EXPECT_EQ(e.error_json()["kind"], "config");
  // No config file at all: one warning, exit 0.
  auto none = cli({"-o", "json", "config", "validate"});
  ASSERT_EQ(none.code, 0) << none;
  EXPECT_EQ(none.json()[0]["message"],
            "no config file found: crmctl uses flags and environment only");
  // A clean file: ok, an empty JSON array.
  auto ok = cli.home.write("ok.yaml", "profiles:\n  p: {database_url: env:DB}\n");
  auto c = cli({"--config", ok, "-o", "json", "config", "validate"});
  ASSERT_EQ(c.code, 0) << c;
  EXPECT_EQ(c.json(), nlohmann::json::array());
  EXPECT_NE(c.err.find(ok + ": ok"), std::string::npos) << c;
}

TEST(RunConfig, ProfilesJsonShape) {
  Cli cli;
  auto cfg = cli.home.write("crmctl.yaml", k_config);
  auto r = cli({"--config", cfg, "-o", "json", "config", "profiles"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& p : j) {
    test::expect_keys(p, {"name", "default", "database_url", "production"});
    by_name[p["name"]] = p;
  }
  EXPECT_EQ(by_name["local"]["default"], true);
  EXPECT_EQ(by_name["prod"]["default"], false);
  EXPECT_EQ(by_name["prod"]["production"], true);
  EXPECT_EQ(by_name["prod"]["database_url"], "env:PROD_DATABASE_URL");
  EXPECT_FALSE(r.mentions("pw-s3cret-77")) << r;
  // A config file that is not YAML: configuration error.
  auto broken = cli.home.write("broken.yaml", "profiles: [unclosed\n");
  auto b = cli({"--config", broken, "config", "profiles"});
  EXPECT_EQ(b.code, 10) << b;
}

// --- context (needs a tenant in the database) ---------------------------------------------------

class RunContext : public test::DbTest {};

TEST_F(RunContext, UseShowClear) {
  auto slug = make_tenant("Context Clinic");
  ASSERT_FALSE(slug.empty());
  auto use = run({"context", "use", slug});
  ASSERT_EQ(use.code, 0) << use;
  auto u = use.json();
  test::expect_keys(u, {"profile", "tenant", "tenant_id", "set_at", "file"});
  EXPECT_EQ(u["profile"], "default");
  EXPECT_EQ(u["tenant"], slug);
  EXPECT_EQ(u["tenant_id"], tenant_id(slug));
  EXPECT_TRUE(test::is_rfc3339_utc(u["set_at"])) << u.dump();
  EXPECT_NE(use.err.find("acting as " + slug + " (default)"), std::string::npos) << use;
  // The state file: in the scratch HOME, owner-only.
  std::string file = u["file"];
  EXPECT_EQ(file.rfind(cli.home.path.string(), 0), 0u) << file;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto show = run({"context", "show"});
  ASSERT_EQ(show.code, 0) << show;
  test::expect_keys(show.json(), {"profile", "tenant", "tenant_id", "set_at"});
  EXPECT_EQ(show.json()["tenant"], slug);

  // Tenant-scoped verbs now default to it, and say so on stderr.
  auto list = run({"user", "list"});
  ASSERT_EQ(list.code, 0) << list;
  EXPECT_NE(list.err.find("acting as " + slug + " (default)"), std::string::npos) << list;
  EXPECT_TRUE(list.json().is_array());

  auto clear = run({"context", "clear"});
  ASSERT_EQ(clear.code, 0) << clear;
  test::expect_keys(clear.json(), {"profile", "cleared"});
  EXPECT_EQ(clear.json()["cleared"], true);
  auto again = run({"context", "clear"});
  EXPECT_EQ(again.json()["cleared"], false);
  auto none = run({"context", "show"});
  EXPECT_TRUE(none.json()["tenant"].is_null()) << none;
  auto after = run({"user", "list"});
  EXPECT_EQ(after.code, 2) << after;
}

TEST(RunContextOffline, ShowAndClearPerProfileWithoutADatabase) {
  Cli cli;
  auto cfg = cli.home.write("crmctl.yaml", k_config);
  // A known profile without a context: show says so, clear clears nothing.
  auto show = cli({"--config", cfg, "--profile", "prod", "-o", "json", "context", "show"});
  ASSERT_EQ(show.code, 0) << show;
  test::expect_keys(show.json(), {"profile", "tenant", "tenant_id"});
  EXPECT_EQ(show.json()["profile"], "prod");
  EXPECT_TRUE(show.json()["tenant"].is_null());
  auto clear = cli({"--config", cfg, "-o", "json", "context", "clear"});
  ASSERT_EQ(clear.code, 0) << clear;
  EXPECT_EQ(clear.json()["profile"], "local");
  EXPECT_EQ(clear.json()["cleared"], false);
}

TEST(RunContextOffline, AnUnknownProfileIsAConfigErrorAndClearsNothing) {
  Cli cli;
  cli.home.write(".config/crmctl/context.json",
                 R"({"contexts":{"default":{"tenant_id":"6f1c2b3a-0000-4000-8000-000000000001",)"
                 R"("slug":"acme","set_at":"2026-11-21T00:00:00Z"}}})");
  for (const char* verb : {"show", "clear"}) {
    auto r = cli({"--profile", "nope", "-o", "json", "context", verb});
    EXPECT_EQ(r.code, 10) << verb << "\n" << r;
  }
  auto kept = cli({"-o", "json", "context", "show"});
  EXPECT_EQ(kept.json()["tenant"], "acme") << kept;
}

TEST_F(RunContext, UseOfAnUnknownTenantIsNotFoundAndStoresNothing) {
  auto r = run({"context", "use", "no-such-clinic"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(r.error_json()["kind"], "not_found");
  EXPECT_NE(r.err.find("no-such-clinic"), std::string::npos) << r;
  EXPECT_TRUE(run({"context", "show"}).json()["tenant"].is_null());
}

// --- doctor -----------------------------------------------------------------------------------

class RunDoctor : public test::DbTest {};

TEST_F(RunDoctor, JsonShapeOnAHealthyDatabase) {
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('d');
  auto r = run({"doctor"});
  auto j = r.json();
  ASSERT_TRUE(j.is_array()) << r;
  ASSERT_GE(j.size(), 4u) << j.dump();
  std::map<std::string, std::string> status;
  for (const auto& c : j) {
    test::expect_keys(c, {"check", "status", "detail", "hint"});
    std::string s = c["status"];
    EXPECT_TRUE(s == "ok" || s == "warn" || s == "fail") << c.dump();
    status[c["check"]] = s;
  }
  EXPECT_EQ(status["master_key"], "ok") << j.dump();
  for (const auto& [name, s] : status)
    EXPECT_NE(s, "fail") << name << ": " << j.dump();
  EXPECT_EQ(r.code, 0) << r;
}

TEST_F(RunDoctor, MissingMasterKeyExits10) {
  auto r = run({"doctor"});
  EXPECT_EQ(r.code, 10) << r;
  bool named = false;
  for (const auto& c : r.json())
    if (c["check"] == "master_key") {
      named = true;
      EXPECT_EQ(c["status"], "fail");
      EXPECT_NE(c["detail"].get<std::string>().find("CRMCTL_MASTER_KEY"), std::string::npos);
    }
  EXPECT_TRUE(named) << r;
}

TEST(RunDoctorOffline, UnreachableDatabaseExits7) {
  Cli cli;
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('d');
  auto r = cli({"--db", "postgresql://127.0.0.1:1/nowhere", "-o", "json", "doctor"});
  EXPECT_EQ(r.code, 7) << r;
  EXPECT_TRUE(r.json().is_array()) << r; // the checks are still listed
}

// --- global flags -----------------------------------------------------------------------------

TEST(RunGlobal, QuietAndVerboseBeforeAnotherOptionAreFlags) {
  // A regression seen during development: the argv pre-check took -q/--quiet for an option
  // with a value, and `crmctl -q -o json ...` (the test template build) exited 2.
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{"-q", "-o", "json", "version"},
                                             {"--quiet", "-o", "json", "version"},
                                             {"-v", "-o", "json", "version"},
                                             {"-q", "--no-color", "-o", "json", "version"}}) {
    Cli cli;
    auto r = cli(argv);
    EXPECT_EQ(r.code, 0) << argv[0] << "\n" << r;
    EXPECT_EQ(r.json()["version"], cmd::version_string());
  }
}

TEST(RunServe, BadFlagsAreUsageErrorsBeforeAnythingStarts) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"serve", "--listen", "8080"},
           {"serve", "--listen", "127.0.0.1:99999"},
           {"serve", "--listen", "127.0.0.1:"},
           {"serve", "--threads", "0"},
           {"serve", "--max-body", "12 parsecs"},
           {"serve", "--max-body", "1GiB"},
           {"serve", "--batch-max", "0"},
           {"serve", "--batch-wait", "5s"},
           {"serve", "--read-timeout", "10s", "--request-timeout", "1s"},
           {"serve", "--committers", "99"}}) {
    Cli cli;
    std::vector<std::string> full = {"-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = cli(full);
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_EQ(r.error_json()["kind"], "usage") << r;
  }
  // No database configured: a configuration error naming what to set (exit 10).
  Cli cli;
  auto r = cli({"-o", "json", "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 10) << r;
}
