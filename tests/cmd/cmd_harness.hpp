// The cmd test harness: the CLI run as a function with fakes (TestIO with switchable TTY flags,
// FakeClock, an env map, a FakeHttp behind Services::http), argv parsed into a verb's Options,
// and a migrated PostgreSQL database (one per process, or per suite) for the verbs that need one.
#pragma once
#include "cmd/app.hpp"
#include "cmd/cli.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/money.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace crm::test {

// ---------------------------------------------------------------------------------------------
// Parsing: argv in, Options out.

/// The command tree after one parse. Not movable: the callbacks hold references to `ctx` and
/// `global`, so it lives behind a unique_ptr.
struct Parsed {
  CLI::App root{"crmctl", "crmctl"};
  cmd::Context ctx;
  cmd::GlobalOptions global;
  int code = 0;      // what run_cli would exit with for a parse error (2; 0 for --help)
  std::string error; // CLI11's message when parsing failed
  Parsed() { cmd::build_root(root, ctx, global); }
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;
  bool ok() const { return error.empty() && code == 0; }
  /// "tenant create", or "" when nothing was selected.
  std::string path() const {
    return ctx.selected_app ? cmd::command_path(ctx.selected_app) : std::string();
  }
  cmd::Effect effect() const { return ctx.effects.at(ctx.selected_app); }
  /// The chosen verb's Options (the caller names the type the verb registered).
  template <class O> const O& options() const {
    return *static_cast<const O*>(ctx.options.at(ctx.selected_app).get());
  }
};

/// Parses `args` (without argv[0]) the way run_cli does.
inline std::unique_ptr<Parsed> parse(std::vector<std::string> args) {
  auto p = std::make_unique<Parsed>();
  std::vector<std::string> rev(args.rbegin(), args.rend()); // CLI11 takes a reversed vector
  try {
    p->root.parse(rev);
  } catch (const CLI::ParseError& e) {
    p->code = e.get_exit_code() == 0 ? 0 : 2;
    p->error = e.what();
    if (p->code == 0) p->error.clear();
  }
  return p;
}

/// Every leaf command of the tree ("tenant create", ..., "__gendocs").
inline std::vector<std::string> leaf_paths() {
  Parsed p;
  std::vector<std::string> out;
  auto walk = [&](const CLI::App* app, auto& self) -> void {
    auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty() && app->get_parent()) out.push_back(cmd::command_path(app));
    for (const auto* s : subs)
      self(s, self);
  };
  walk(&p.root, walk);
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running: the whole CLI as a function.

/// Hands the test's FakeHttp to Services::http (which wants to own a client).
class ForwardingHttp final : public http::Client {
public:
  explicit ForwardingHttp(http::Client& to) : m_to(to) {}
  Result<http::Response> send(const http::Request& req) override { return m_to.send(req); }

private:
  http::Client& m_to;
};

/// A directory under the temp dir, removed with the object.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    static std::atomic<int> n{0};
    path = std::filesystem::temp_directory_path() /
           ("crmctl-cmdt-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" +
            crypto::hex(crypto::random_bytes(3)));
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  /// Writes `text` to `name` (mode 0600) and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    std::filesystem::permissions(p, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_write);
    return p.string();
  }
};

/// What one CLI run produced.
struct CliRun {
  int code = -1;
  std::string out, err;
  /// stdout as JSON (a test failure, and null, when it is not JSON).
  nlohmann::json json() const {
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "stdout is not JSON:\n" << out << "\nstderr:\n" << err;
      return nullptr;
    }
    return j;
  }
  /// The `{"error":{...}}` object of stderr under -o json.
  nlohmann::json error_json() const {
    auto j = nlohmann::json::parse(err, nullptr, false);
    if (j.is_discarded() || !j.contains("error")) {
      ADD_FAILURE() << "stderr is not a JSON error:\n" << err;
      return nullptr;
    }
    return j["error"];
  }
  bool mentions(const std::string& needle) const {
    return out.find(needle) != std::string::npos || err.find(needle) != std::string::npos;
  }
};

inline std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

/// The CLI with fakes. HOME points at a scratch directory (no user config or context file leaks
/// in, and `context use` writes there); every HTTP request goes to `http`, whose destructor fails
/// the test on a stub never used (and `send` on a request with no stub).
class Cli {
public:
  Cli() {
    env["HOME"] = home.path.string();
    env["USER"] = "tester";
  }
  CliRun operator()(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    TestIO tio(stdin_text);
    tio.io.stdin_tty = stdin_tty;
    tio.io.stdout_tty = stdout_tty;
    cmd::Interrupt intr;
    cmd::Services services;
    services.http = [this]() -> std::unique_ptr<http::Client> {
      ++http_clients_made;
      if (real_http) return http::make_curl_client();
      return std::make_unique<ForwardingHttp>(http);
    };
    CliRun r;
    r.code = cmd::run_cli(args, tio.io, clock, env_from_map(env), intr, services);
    r.out = tio.out.str();
    r.err = tio.err.str();
    return r;
  }

  ScratchDir home;
  std::map<std::string, std::string> env;
  bool stdin_tty = false, stdout_tty = false;
  /// Send HTTP for real (libcurl; e.g. to tests/sim) instead of to `http`; retries still sleep
  /// on the fake clock, so backoff costs no time.
  bool real_http = false;
  FakeClock clock;
  FakeHttp http;
  int http_clients_made = 0;
};

/// base64 of 32 bytes of `fill`: a master key for CRMCTL_MASTER_KEY.
inline std::string master_key_b64(char fill) {
  return crypto::base64_encode(std::string(32, fill));
}

/// Keys of a JSON object that are not snake_case ([a-z0-9_]).
inline std::vector<std::string> non_snake_keys(const nlohmann::json& j) {
  std::vector<std::string> bad;
  auto walk = [&](const nlohmann::json& v, auto& self) -> void {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string& k = it.key();
        bool ok = !k.empty() && std::all_of(k.begin(), k.end(), [](unsigned char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (!ok) bad.push_back(k);
        self(it.value(), self);
      }
    } else if (v.is_array()) {
      for (const auto& x : v)
        self(x, self);
    }
  };
  walk(j, walk);
  return bad;
}

/// Asserts `j` is an object holding every key of `keys`, all keys snake_case.
inline void expect_keys(const nlohmann::json& j, const std::vector<std::string>& keys) {
  ASSERT_TRUE(j.is_object()) << j.dump();
  for (const auto& k : keys)
    EXPECT_TRUE(j.contains(k)) << "missing key '" << k << "' in " << j.dump();
  EXPECT_TRUE(non_snake_keys(j).empty()) << "keys not snake_case in " << j.dump();
}

/// True for a decimal string like "0.14" or "100" (money is never a JSON number).
inline bool is_decimal_string(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  if (s.empty()) return false;
  std::size_t i = s[0] == '-' ? 1 : 0, dots = 0, digits = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '.')
      ++dots;
    else if (std::isdigit(static_cast<unsigned char>(s[i])))
      ++digits;
    else
      return false;
  }
  return dots <= 1 && digits > 0;
}

/// True when `v` is a decimal string equal in value to `expected` ("0.30" == "0.3").
inline bool money_eq(const nlohmann::json& v, const std::string& expected) {
  if (!is_decimal_string(v)) return false;
  auto a = Decimal::parse(v.get<std::string>());
  auto b = Decimal::parse(expected);
  return a && b && *a == *b;
}

/// True for "2026-09-21T10:00:00Z"-style times (RFC 3339 UTC).
inline bool is_rfc3339_utc(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  return s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s.back() == 'Z';
}

// ---------------------------------------------------------------------------------------------
// The database: one migrated database per test suite.

/// A fixture on one migrated database shared by every DbTest suite of the process (cloned from
/// the template on first use, dropped at exit); each test gets its own Cli pointed at it. Tests
/// keep to their own tenants (unique names), so they do not see each other.
class DbTest : public ::testing::Test {
protected:
  static TempDatabase& shared_db() {
    static TempDatabase db(Start::migrated);
    return db;
  }
  static void SetUpTestSuite() { s_db = &shared_db(); }
  static void TearDownTestSuite() { s_db = nullptr; }
  void SetUp() override {
    ASSERT_NE(s_db, nullptr);
    ASSERT_FALSE(s_db->url().empty()) << "no test database (CRMCTL_TEST_DATABASE_URL)";
    m_conn = s_db->connect();
    ASSERT_TRUE(m_conn);
  }

  /// `crmctl --db URL -o json <args>`.
  CliRun run(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::vector<std::string> full = {"--db", s_db->url(), "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    return cli(full, stdin_text);
  }
  /// Like run() but without -o (the caller picks the format, or the TTY default applies).
  CliRun run_raw(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::vector<std::string> full = {"--db", s_db->url()};
    full.insert(full.end(), args.begin(), args.end());
    return cli(full, stdin_text);
  }

  /// A name unique in this process ("Acme 7").
  static std::string unique(const std::string& base) {
    static std::atomic<int> n{0};
    return base + " " + std::to_string(++n);
  }
  /// Creates a tenant through the CLI and returns its slug.
  std::string make_tenant(const std::string& base, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"tenant", "create", unique(base)};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args);
    EXPECT_EQ(r.code, 0) << r;
    if (r.code != 0) return "";
    return r.json()["slug"].get<std::string>();
  }
  std::string tenant_id(const std::string& slug) {
    return scalar("SELECT id::text FROM organizations WHERE slug = $1", {slug});
  }

  /// The first column of the first row ("" when none).
  std::string scalar(const std::string& sql, const db::Params& p = {}) {
    auto r = m_conn->exec(sql, p);
    EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
    if (!r || r->empty()) return "";
    return r->get(0, r->columns[0]);
  }
  long count(const std::string& sql, const db::Params& p = {}) {
    std::string s = scalar(sql, p);
    return s.empty() ? -1 : std::stol(s);
  }

  /// Row count and content digest of every table in every non-system schema, plus the schema
  /// list: equal snapshots mean nothing was written (superuser connection, so RLS hides nothing).
  std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> out;
    auto tables =
        m_conn->exec("SELECT table_schema, table_name FROM information_schema.tables "
                     "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', "
                     "'information_schema') ORDER BY 1, 2");
    EXPECT_TRUE(tables);
    if (!tables) return out;
    std::string schemas;
    for (std::size_t i = 0; i < tables->size(); ++i) {
      std::string q = db::quote_ident(tables->get(i, "table_schema")) + "." +
                      db::quote_ident(tables->get(i, "table_name"));
      out[q] = scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY "
                      "x::text)), '') FROM " +
                      q + " x");
    }
    out["(schemas)"] = scalar("SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace");
    return out;
  }

  static inline TempDatabase* s_db = nullptr;
  std::unique_ptr<db::Connection> m_conn;
  Cli cli;
};

/// A DbTest whose suite has a database of its own, for tests that change what every tenant
/// shares (migration state, checksums).
class OwnDbTest : public DbTest {
protected:
  static void SetUpTestSuite() {
    s_own = std::make_unique<TempDatabase>(Start::migrated);
    s_db = s_own.get();
  }
  static void TearDownTestSuite() {
    s_db = nullptr;
    s_own.reset();
  }
  static inline std::unique_ptr<TempDatabase> s_own;
};

/// Names of the snapshot entries that differ.
inline std::vector<std::string> diff(const std::map<std::string, std::string>& a,
                                     const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [k, v] : a)
    if (!b.count(k) || b.at(k) != v) out.push_back(k);
  for (const auto& [k, v] : b)
    if (!a.count(k)) out.push_back(k);
  return out;
}

} // namespace crm::test
