// The read-only guard, the production confirmation and the current context, checked over the
// whole command tree: a new verb cannot forget to declare what it does.
#include "cmd/cli.hpp"
#include "support/fakes.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace crm;
namespace fs = std::filesystem;

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

void leaves(const CLI::App* app, std::vector<const CLI::App*>& out) {
  auto subs = app->get_subcommands([](const CLI::App*) { return true; });
  if (subs.empty() && app->get_parent()) out.push_back(app);
  for (const auto* s : subs)
    leaves(s, out);
}

// A config file in a temp directory; removed with the fixture.
struct ConfigDir {
  fs::path dir = fs::temp_directory_path() / ("crmctl-guard-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(++counter()));
  std::string file;
  explicit ConfigDir(const std::string& yaml) {
    fs::create_directories(dir);
    file = (dir / "config.yaml").string();
    std::ofstream(file) << yaml;
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  }
  ~ConfigDir() { fs::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

const char* k_profiles = R"(default_profile: ops
profiles:
  ops:
    database_url: postgresql://127.0.0.1:1/nowhere
  prod:
    database_url: postgresql://127.0.0.1:1/nowhere
    read_only: true
  live:
    database_url: postgresql://127.0.0.1:1/nowhere
    production: true
)";

} // namespace

TEST(Guard, EveryVerbDeclaresItsEffect) {
  cmd::GlobalOptions g;
  cmd::Context ctx;
  CLI::App root{"crmctl", "crmctl"};
  cmd::build_root(root, ctx, g);
  std::vector<const CLI::App*> all;
  leaves(&root, all);
  ASSERT_GT(all.size(), 30u);
  int mutating = 0;
  for (const auto* leaf : all) {
    auto it = ctx.effects.find(leaf);
    ASSERT_NE(it, ctx.effects.end()) << cmd::command_path(leaf) << " has no declared effect";
    mutating += it->second != cmd::Effect::reads;
  }
  EXPECT_GE(mutating, 15);
}

TEST(Guard, EveryMutatingVerbRefusesUnderReadOnlyBeforeConnecting) {
  cmd::GlobalOptions g;
  g.read_only = true;
  cmd::Context ctx;
  CLI::App root{"crmctl", "crmctl"};
  cmd::build_root(root, ctx, g);
  std::vector<const CLI::App*> all;
  leaves(&root, all);
  for (const auto* leaf : all) {
    test::TestIO tio;
    test::FakeClock clock;
    cmd::Interrupt intr;
    // No database URL at all: a verb that got past the guard and connected would fail otherwise.
    cmd::Deps d(tio.io, clock, env_from_map({}), g, intr);
    ctx.selected_app = leaf;
    auto r = cmd::before_run(ctx, d);
    std::string path = cmd::command_path(leaf);
    if (ctx.effects.at(leaf) == cmd::Effect::reads) {
      EXPECT_TRUE(r) << path << ": " << r.error().message;
      continue;
    }
    ASSERT_FALSE(r) << path << " ran under --read-only";
    EXPECT_EQ(r.error().kind, ErrorKind::conflict) << path;
    EXPECT_NE(r.error().message.find("`crmctl " + path + "`"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("--read-only"), std::string::npos) << r.error().message;
  }
}

TEST(Guard, ReadOnlyProfileRefusesWithExit4NamingTheProfile) {
  ConfigDir cfg(k_profiles);
  auto r = run({"--config", cfg.file, "--profile", "prod", "tenant", "create", "Acme"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("profile 'prod' is read-only"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("database"), std::string::npos) << "connected before refusing: " << r.err;
  auto del = run({"--config", cfg.file, "--profile", "prod", "--yes", "tenant", "delete", "acme"});
  EXPECT_EQ(del.code, 4) << del.err;
  // Reading is allowed: this one goes on to connect (and finds no server).
  auto list = run({"--config", cfg.file, "--profile", "prod", "tenant", "list"});
  EXPECT_EQ(list.code, 7) << list.err;
  // The same commands on a writable profile reach the database.
  EXPECT_EQ(run({"--config", cfg.file, "tenant", "create", "Acme"}).code, 7);
  // The flag does the same without a profile.
  EXPECT_EQ(run({"--config", cfg.file, "--read-only", "migrate", "up"}).code, 4);
}

TEST(Guard, ProductionAsksForTheNameTypedEvenWithYes) {
  ConfigDir cfg(k_profiles);
  std::vector<std::string> down = {"--config", cfg.file, "--profile", "live", "--yes",
                                   "migrate",  "down",   "--migrations-dir",
                                   std::string(CRM_SOURCE_DIR) + "/templates/migrations"};
  auto wrong = run(down, {}, "y\n", true);
  EXPECT_EQ(wrong.code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("type 'live' to confirm"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("not confirmed"), std::string::npos) << wrong.err;
  auto right = run(down, {}, "live\n", true);
  EXPECT_EQ(right.code, 7) << right.err; // confirmed: goes on to the (absent) database
  // Without a terminal, --yes is enough (scripts), and the ordinary profile never asks.
  EXPECT_EQ(run(down, {}, "", false).code, 7);
  down[3] = "ops";
  EXPECT_EQ(run(down, {}, "", true).code, 7);
}

TEST(Guard, ContextIsPerProfileAndAnnouncedOnEveryCommand) {
  ConfigDir cfg(k_profiles);
  std::map<std::string, std::string> env = {{"HOME", cfg.dir.string()}};
  // Store a context directly (use needs a database to resolve the tenant).
  std::ofstream(cfg.dir / "crmctl-context.json")
      << R"({"contexts":{"ops":{"tenant_id":"6f1c2b3a-0000-4000-8000-000000000001",)"
      << R"("slug":"acme","set_at":"2026-11-21T00:00:00Z"}}})";
  auto show = run({"--config", cfg.file, "-o", "json", "context", "show"}, env);
  ASSERT_EQ(show.code, 0) << show.err;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["profile"], "ops");
  auto other = run({"--config", cfg.file, "--profile", "live", "-o", "json", "context", "show"},
                   env);
  EXPECT_TRUE(nlohmann::json::parse(other.out)["tenant"].is_null());
  // Any command under the profile says whom it acts as (here it then fails to connect).
  auto list = run({"--config", cfg.file, "user", "list"}, env);
  EXPECT_NE(list.err.find("acting as acme (ops)"), std::string::npos) << list.err;
  EXPECT_EQ(list.code, 7);
  auto clear = run({"--config", cfg.file, "-o", "json", "context", "clear"}, env);
  EXPECT_EQ(clear.code, 0);
  EXPECT_TRUE(nlohmann::json::parse(clear.out)["cleared"].get<bool>());
  auto after = run({"--config", cfg.file, "user", "list"}, env);
  EXPECT_EQ(after.err.find("acting as"), std::string::npos) << after.err;
  EXPECT_EQ(after.code, 2); // no tenant given, no context
  EXPECT_NE(after.err.find("context use"), std::string::npos) << after.err;
}

TEST(Config, TenancyGucOtherThanTheOneThePoliciesReadIsRefused) {
  ConfigDir cfg("profiles:\n  p:\n    tenancy: {guc: app.tenant_id}\n");
  auto r = run({"--config", cfg.file, "--profile", "p", "config", "view"});
  EXPECT_EQ(r.code, 10) << r.err;
  EXPECT_NE(r.err.find("app.tenant_id"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("crm.current_org_id()"), std::string::npos) << r.err;
  ConfigDir ok("profiles:\n  p:\n    tenancy: {guc: app.current_org_id}\n");
  EXPECT_EQ(run({"--config", ok.file, "--profile", "p", "config", "view"}).code, 0);
}
