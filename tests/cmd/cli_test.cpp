#include "cmd/cli.hpp"
#include "support/fakes.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace crm;

namespace {
struct Run {
  int code;
  std::string out, err;
};
Run run(std::vector<std::string> args, std::map<std::string, std::string> env = {},
        std::string input = "", bool tty = false) {
  test::TestIO tio(input);
  tio.io.stdin_tty = tio.io.stdout_tty = tty;
  test::FakeClock clock;
  cmd::Interrupt intr;
  int code = cmd::run_cli(args, tio.io, clock, env_from_map(env), intr);
  return {code, tio.out.str(), tio.err.str()};
}
} // namespace

TEST(Cli, VersionNeedsNoConfigOrDatabase) {
  // A broken config path would fail any command that loaded it: version must not.
  auto r =
      run({"--config", "/nonexistent.yaml", "--db", "postgresql://x:1/y", "version", "-o", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], cmd::version_string());
  EXPECT_TRUE(j.contains("git_sha"));
}

TEST(Cli, UsageErrorsExit2WithOneLine) {
  auto r = run({"tenantz"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_NE(r.err.find("--help"), std::string::npos);
  EXPECT_EQ(run({"-o", "xml", "version"}).code, 2);
  EXPECT_EQ(run({"migrate", "up", "--jobs", "0"}).code, 2);
  EXPECT_EQ(run({"completion", "tcsh"}).code, 2);
}

TEST(Cli, JsonErrorsOnStderr) {
  auto r = run({"-o", "json", "bogus"});
  EXPECT_EQ(r.code, 2);
  auto j = nlohmann::json::parse(r.err);
  EXPECT_EQ(j["error"]["kind"], "usage");
}

TEST(Cli, HelpShowsExamples) {
  auto r = run({"migrate", "up", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("crmctl migrate up --jobs 8"), std::string::npos);
}

TEST(Cli, CompletionScripts) {
  for (const char* sh : {"bash", "zsh", "fish"}) {
    auto r = run({"completion", sh});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("migrate"), std::string::npos) << sh;
    EXPECT_EQ(r.out.find("__gendocs"), std::string::npos) << sh;
  }
}

TEST(Cli, ConfigViewMasksSecrets) {
  auto p = std::filesystem::temp_directory_path() / "crmctl-cli-view.yaml";
  std::ofstream(p)
      << "default_profile: p\nprofiles:\n  p:\n    database_url: postgresql://u:pw1234567@h/db\n"
         "    master_key: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n"
         "    providers:\n      twilio: {base_url: http://sim, auth_token: tok_abcdefghijkl9876}\n"
         "    tools: {backend_url: https://api.example.com}\n"
         "    recordings: {signing_secret: literal_signing_secret_42, base_url: https://r.example}\n";
  auto r = run({"--config", p.string(), "config", "view", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("pw1234567"), std::string::npos);
  EXPECT_EQ(r.out.find("tok_abcdefghijkl9876"), std::string::npos);
  EXPECT_EQ(r.out.find("c2VjcmV0c2Vj"), std::string::npos);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["providers"]["twilio"]["auth_token"], "tok_\u20269876");
  EXPECT_EQ(j["database_url_source"], "profile p");
  EXPECT_EQ(j["tools"]["backend_url"], "https://api.example.com");
  EXPECT_EQ(j["recordings"]["base_url"], "https://r.example");
  EXPECT_EQ(r.out.find("literal_signing_secret_42"), std::string::npos) << r.out;
  auto v = run({"--config", p.string(), "config", "validate", "-o", "json"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("literal secret"), std::string::npos);
  EXPECT_EQ(v.out.find("tok_abcdefghijkl9876"), std::string::npos);
  auto prof = run({"--config", p.string(), "config", "profiles", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(prof.out)[0]["name"], "p");
  std::filesystem::remove(p);
}

TEST(Cli, UnknownProfileIsConfigError) {
  auto r = run({"--profile", "nope", "config", "view"}, {{"CRMCTL_CONFIG", "/dev/null"}});
  EXPECT_EQ(r.code, 10);
}

TEST(Cli, NoDatabaseConfiguredIsConfigError) {
  auto r = run({"migrate", "status", "--migrations-dir",
                std::string(CRM_SOURCE_DIR) + "/templates/migrations"});
  EXPECT_EQ(r.code, 10) << r.err;
  EXPECT_NE(r.err.find("--db"), std::string::npos);
}

TEST(Cli, DestructiveWithoutTtyNeedsYes) {
  auto r = run({"--db", "postgresql://127.0.0.1:1/x", "migrate", "down", "--migrations-dir",
                std::string(CRM_SOURCE_DIR) + "/templates/migrations"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--yes"), std::string::npos);
}

TEST(Cli, MigrateNewWritesFileFromClock) {
  auto dir = std::filesystem::temp_directory_path() / "crmctl-new-test";
  std::filesystem::remove_all(dir);
  auto r = run({"migrate", "new", "add_tags", "--migrations-dir", dir.string(), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string file = nlohmann::json::parse(r.out)["file"];
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_NE(file.find("/tenant/20260921"), std::string::npos) << file; // FakeClock's date
  EXPECT_EQ(run({"migrate", "new", "Bad-Name", "--migrations-dir", dir.string()}).code, 2);
  std::filesystem::remove_all(dir);
}

TEST(Cli, MissingSubcommandNamesTheChoices) {
  auto r = run({"tenant"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("`crmctl tenant` needs a subcommand: create, list, show"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}
