// The command framework: global options, lazy Deps, explicit verb registration with docs.
#pragma once
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/env.hpp"
#include "core/io.hpp"
#include "core/log.hpp"
#include "core/output.hpp"
#include "core/result.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace crm::db {
class Connection;
class Pool;
} // namespace crm::db
namespace crm::http {
class Client;
}

namespace crm::cmd {

/// Flags every command accepts (shared/docs/cli.md "Global flags").
struct GlobalOptions {
  std::string config_path;
  std::string profile;
  std::string db_url;
  std::string output; // "" = auto (table on a TTY, json otherwise)
  std::string tenant;
  bool dry_run = false;
  bool yes = false;
  int verbose = 0;
  bool quiet = false;
  std::string log_format = "text";
  bool no_color = false;
  bool read_only = false; // --read-only: refuse every verb that changes the platform
};

/// Set by SIGINT; long-running loops poll it and stop cleanly (exit 130).
struct Interrupt {
  std::atomic<bool> requested{false};
  std::atomic<bool> cooperative{false};
};

/// The outside world Deps reaches on demand, as interfaces tests fill with fakes. Empty members
/// mean the real ones (libpq sessions, libcurl).
struct Services {
  /// Opens a database session to `url` (the source of d.db(), extra sessions and the pool).
  std::function<Result<std::unique_ptr<db::Connection>>(const std::string& url,
                                                        const std::string& application_name)>
      connect;
  /// Creates the raw HTTP client; Deps wraps it in the retry policy.
  std::function<std::unique_ptr<http::Client>()> http;
};

/// Everything a verb needs, created lazily so `version`, `completion` and `--help` never touch
/// the database, the network or the config file.
class Deps {
public:
  Deps(IO& io, Clock& clock, EnvLookup env, GlobalOptions& global, Interrupt& interrupt,
       Services services = {});
  ~Deps();
  IO& io() { return m_io; }
  Clock& clock() { return m_clock; }
  const EnvLookup& env() const { return m_env; }
  const GlobalOptions& global() const { return m_global; }
  Interrupt& interrupt() { return m_interrupt; }
  /// Resolved settings (config file, profile, database URL); loaded on first use.
  Result<const Settings*> settings();
  /// The logger on stderr (level from -v/-q, format from --log-format).
  Logger& log();
  /// The shared secret redactor used by the logger and renderers.
  Redactor& redactor() { return *m_redactor; }
  /// A database session to the configured URL, opened on first use.
  Result<db::Connection*> db();
  /// Opens an additional session (fan-out workers).
  Result<std::unique_ptr<db::Connection>> new_db_connection();
  /// The process's connection pool (db::ConnectionSource for fan-outs) to the configured URL,
  /// sized by the profile's pool_size; created on first use, sessions open lazily.
  Result<db::Pool*> pool();
  /// The HTTP client (libcurl with the retry policy).
  http::Client& http();
  /// The output format: -o, else table on a TTY and json otherwise.
  Format format() const;
  /// Renders a result on stdout in the chosen format.
  void print(const nlohmann::json& data, const RenderOptions& opts = {});
  /// A notice on stderr (suppressed by -q).
  void notice(const std::string& msg);
  /// Asks "prompt [y/N]" on a TTY; without a TTY requires --yes (usage error otherwise). On a
  /// production profile at a TTY, `typed_word` (the tenant slug; the profile name when empty)
  /// must be typed, even with --yes.
  Result<bool> confirm(const std::string& prompt, const std::string& typed_word = "");

private:
  IO& m_io;
  Clock& m_clock;
  EnvLookup m_env;
  GlobalOptions& m_global;
  Interrupt& m_interrupt;
  Services m_services;
  std::shared_ptr<Redactor> m_redactor;
  std::optional<Settings> m_settings;
  std::unique_ptr<Logger> m_log;
  std::unique_ptr<db::Connection> m_db;
  std::unique_ptr<db::Pool> m_pool;
  std::unique_ptr<http::Client> m_http_raw;
  std::unique_ptr<http::Client> m_http;
};

/// A verb's documentation: one source for --help, man pages and completions.
struct CommandDoc {
  std::string summary;
  std::string description;
  std::vector<std::string> examples;
};

/// What running a verb does to the platform. Every verb declares it where its runner is bound
/// (on_run), so the read-only guard and the production confirmation cannot be forgotten.
enum class Effect {
  reads,   // changes nothing on the platform (local files at most)
  writes,  // creates or changes data, or calls a provider
  destroys // deletes, revokes, suspends or re-keys: prompts, and on production the slug is typed
};
const char* effect_name(Effect e);

/// The runner chosen by parsing.
using Runner = std::function<Result<void>(Deps&)>;

/// Registration context: the docs registry, each verb's effect and options, and the slot the
/// chosen runner lands in.
struct Context {
  std::map<const CLI::App*, CommandDoc> docs;
  std::map<const CLI::App*, Effect> effects;
  std::map<const CLI::App*, std::shared_ptr<void>> options; // each verb's Options (tests)
  Runner selected;
  const CLI::App* selected_app = nullptr;
};

/// Adds a subcommand with its documentation (help shows summary, description and examples).
CLI::App* add_command(CLI::App& parent, Context& ctx, const std::string& name, CommandDoc doc);

/// Binds the run function of a verb and declares its effect: parsing only records the choice;
/// main runs it.
template <class O>
void on_run(CLI::App* app, Context& ctx, std::shared_ptr<O> opts,
            Result<void> (*fn)(const O&, Deps&), Effect effect) {
  ctx.effects[app] = effect;
  ctx.options[app] = opts;
  app->callback([&ctx, app, opts, fn] {
    ctx.selected = [opts, fn](Deps& d) { return fn(*opts, d); };
    ctx.selected_app = app;
  });
}

/// The full command path of a subcommand ("tenant create").
std::string command_path(const CLI::App* app);

/// Builds the whole command tree onto `root` (cmd/root.cpp lists the nouns).
void build_root(CLI::App& root, Context& ctx, GlobalOptions& global);

/// The version string ("0.1.0").
const char* version_string();
/// The git commit the binary was built from.
const char* git_sha();

} // namespace crm::cmd
