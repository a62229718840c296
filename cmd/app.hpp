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
}
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
};

/// Set by SIGINT; long-running loops poll it and stop cleanly (exit 130).
struct Interrupt {
  std::atomic<bool> requested{false};
  std::atomic<bool> cooperative{false};
};

/// Everything a verb needs, created lazily so `version`, `completion` and `--help` never touch
/// the database, the network or the config file.
class Deps {
public:
  Deps(IO& io, Clock& clock, EnvLookup env, GlobalOptions& global, Interrupt& interrupt);
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
  /// The HTTP client (libcurl with the retry policy).
  http::Client& http();
  /// The output format: -o, else table on a TTY and json otherwise.
  Format format() const;
  /// Renders a result on stdout in the chosen format.
  void print(const nlohmann::json& data, const RenderOptions& opts = {});
  /// A notice on stderr (suppressed by -q).
  void notice(const std::string& msg);
  /// Asks "prompt [y/N]" on a TTY; without a TTY requires --yes (usage error otherwise).
  Result<bool> confirm(const std::string& prompt);

private:
  IO& m_io;
  Clock& m_clock;
  EnvLookup m_env;
  GlobalOptions& m_global;
  Interrupt& m_interrupt;
  std::shared_ptr<Redactor> m_redactor;
  std::optional<Settings> m_settings;
  std::unique_ptr<Logger> m_log;
  std::unique_ptr<db::Connection> m_db;
  std::unique_ptr<http::Client> m_http_raw;
  std::unique_ptr<http::Client> m_http;
};

/// A verb's documentation: one source for --help, man pages and completions.
struct CommandDoc {
  std::string summary;
  std::string description;
  std::vector<std::string> examples;
};

/// The runner chosen by parsing.
using Runner = std::function<Result<void>(Deps&)>;

/// Registration context: the docs registry and the slot the chosen runner lands in.
struct Context {
  std::map<const CLI::App*, CommandDoc> docs;
  Runner selected;
};

/// Adds a subcommand with its documentation (help shows summary, description and examples).
CLI::App* add_command(CLI::App& parent, Context& ctx, const std::string& name, CommandDoc doc);

/// Binds the run function of a verb: parsing only records it; main runs it.
template <class O>
void on_run(CLI::App* app, Context& ctx, std::shared_ptr<O> opts,
            Result<void> (*fn)(const O&, Deps&)) {
  app->callback([&ctx, opts, fn] { ctx.selected = [opts, fn](Deps& d) { return fn(*opts, d); }; });
}

/// Builds the whole command tree onto `root` (cmd/root.cpp lists the nouns).
void build_root(CLI::App& root, Context& ctx, GlobalOptions& global);

/// The version string ("0.1.0").
const char* version_string();
/// The git commit the binary was built from.
const char* git_sha();

} // namespace crm::cmd
