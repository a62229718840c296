#include "cmd/app.hpp"

#include "db/db.hpp"
#include "db/pool.hpp"
#include "http/client.hpp"

#include <iostream>
#include <string>

namespace crm::cmd {

Deps::Deps(IO& io, Clock& clock, EnvLookup env, GlobalOptions& global, Interrupt& interrupt,
           Services services)
    : m_io(io), m_clock(clock), m_env(std::move(env)), m_global(global), m_interrupt(interrupt),
      m_services(std::move(services)), m_redactor(std::make_shared<Redactor>()) {
  if (!m_services.connect)
    m_services.connect = [](const std::string& url, const std::string& app) {
      return db::Connection::open(url, app);
    };
  // 16 requests in flight per process: fan-outs (tool sync over 1,000 assistants, bulk number
  // activation) at --jobs 16 are not throttled below their own bound; 429s are retried.
  if (!m_services.http)
    m_services.http = [] {
      http::CurlOptions o;
      o.max_in_flight = 16;
      return http::make_curl_client(o);
    };
}

Deps::~Deps() = default;

Result<const Settings*> Deps::settings() {
  if (!m_settings) {
    GlobalFlags f{m_global.config_path, m_global.profile, m_global.db_url};
    CRM_TRY_ASSIGN(Settings s, resolve_settings(f, m_env));
    m_settings = std::move(s);
  }
  return &*m_settings;
}

Logger& Deps::log() {
  if (!m_log) {
    LogLevel level = m_global.quiet          ? LogLevel::error
                     : m_global.verbose >= 2 ? LogLevel::debug
                     : m_global.verbose == 1 ? LogLevel::info
                                             : LogLevel::warn;
    m_log = std::make_unique<Logger>(
        m_io.err, level, m_global.log_format == "json" ? LogFormat::json : LogFormat::text,
        m_redactor);
  }
  return *m_log;
}

Result<std::unique_ptr<db::Connection>> Deps::new_db_connection() {
  CRM_TRY_ASSIGN(const Settings* s, settings());
  if (!s->database_url_error.empty()) return make_error(ErrorKind::config, s->database_url_error);
  if (s->database_url.empty())
    return make_error(ErrorKind::config,
                      "no database configured: pass --db URL, set CRMCTL_DATABASE_URL, or add "
                      "database_url to profile" +
                          (s->profile_name.empty() ? std::string() : " '" + s->profile_name + "'"));
  log().debug("connecting to " + db::describe_target(s->database_url) + " (from " +
              s->database_url_source + ")");
  return m_services.connect(s->database_url, "crmctl");
}

Result<db::Connection*> Deps::db() {
  if (!m_db) {
    CRM_TRY_ASSIGN(m_db, new_db_connection());
  }
  return m_db.get();
}

Result<db::Pool*> Deps::pool() {
  if (!m_pool) {
    CRM_TRY_ASSIGN(const Settings* s, settings());
    if (!s->database_url_error.empty()) return make_error(ErrorKind::config, s->database_url_error);
    if (s->database_url.empty())
      return make_error(
          ErrorKind::config,
          "no database configured: pass --db URL, set CRMCTL_DATABASE_URL, or add "
          "database_url to profile" +
              (s->profile_name.empty() ? std::string() : " '" + s->profile_name + "'"));
    db::PoolOptions o;
    o.size = static_cast<std::size_t>(s->profile.pool_size);
    log().debug("connection pool to " + db::describe_target(s->database_url) + " (from " +
                s->database_url_source + ", pool_size " + std::to_string(o.size) + ")");
    m_pool = std::make_unique<db::Pool>([connect = m_services.connect, url = s->database_url,
                                         app = o.application_name] { return connect(url, app); },
                                        o, m_clock);
  }
  return m_pool.get();
}

http::Client& Deps::http() {
  if (!m_http) {
    m_http_raw = m_services.http();
    // Every provider call of a command is bounded (2 minutes across retries) and stops on
    // SIGINT when the command runs cooperatively.
    http::RetryPolicy policy;
    policy.deadline = std::chrono::minutes(2);
    policy.cancel = &m_interrupt.requested;
    m_http = std::make_unique<http::RetryingClient>(*m_http_raw, m_clock, policy);
  }
  return *m_http;
}

Format Deps::format() const {
  if (!m_global.output.empty()) {
    auto f = parse_format(m_global.output);
    if (f) return *f;
  }
  return m_io.stdout_tty ? Format::table : Format::json;
}

void Deps::print(const nlohmann::json& data, const RenderOptions& opts) {
  RenderOptions o = opts;
  o.color = m_io.color;
  render(data, format(), m_io.out, o);
  m_io.out.flush();
}

void Deps::notice(const std::string& msg) {
  // A stored name with ESC[31m or U+202E in a notice is shown escaped, never raw.
  if (!m_global.quiet)
    m_io.err << "crmctl: " << escape_for_terminal(m_redactor->redact(msg)) << "\n";
}

Result<bool> Deps::confirm(const std::string& prompt, const std::string& typed_word) {
  // Production profiles: a destructive command at a terminal asks for the name of what it
  // destroys to be typed, even with --yes (a script without a terminal still passes --yes).
  bool production = false;
  std::string profile;
  if (auto s = settings(); s) { // loaded once and cached
    production = (*s)->profile.production;
    profile = (*s)->profile_name;
  }
  if (production && m_io.stdin_tty) {
    std::string word = typed_word.empty() ? profile : typed_word;
    if (word.empty()) word = "yes";
    m_io.err << prompt << "\nproduction profile '" << profile << "': type '" << word
             << "' to confirm: " << std::flush;
    std::string line;
    std::getline(m_io.in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line == word;
  }
  if (m_global.yes) return true;
  if (!m_io.stdin_tty)
    return make_error(ErrorKind::usage,
                      prompt +
                          ": refusing without confirmation; stdin is not a terminal, pass --yes");
  m_io.err << prompt << " [y/N] " << std::flush;
  std::string line;
  std::getline(m_io.in, line);
  return line == "y" || line == "Y" || line == "yes";
}

const char* effect_name(Effect e) {
  switch (e) {
  case Effect::reads:
    return "reads";
  case Effect::writes:
    return "writes";
  case Effect::destroys:
    return "destroys";
  }
  return "writes";
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a && a->get_parent(); a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

namespace {

// The root's flags, which every command accepts but CLI11 shows only in the root's help: listed
// in each command's help footer so `crmctl tenant create --help` mentions --dry-run and -o.
std::string global_flags_help(const CLI::App& parent) {
  const CLI::App* root = &parent;
  while (root->get_parent())
    root = root->get_parent();
  std::string out;
  for (const CLI::Option* o : root->get_options()) {
    if (o == root->get_help_ptr() || o == root->get_help_all_ptr() || o == root->get_version_ptr())
      continue;
    std::string names;
    for (const auto& s : o->get_snames())
      names += (names.empty() ? "-" : ", -") + s;
    for (const auto& l : o->get_lnames())
      names += (names.empty() ? "--" : ", --") + l;
    if (names.empty()) continue;
    if (o->get_expected_max() != 0) names += " " + o->get_type_name(); // not a flag
    // Aligned like CLI11's own option list; a long name puts its description on the next line.
    names = names.size() < 30 ? names + std::string(30 - names.size(), ' ')
                              : names + "\n" + std::string(32, ' ');
    out += "  " + names + " " + o->get_description() + "\n";
  }
  return out.empty() ? out : "\nGlobal flags (every command; `crmctl --help`):\n" + out;
}

} // namespace

CLI::App* add_command(CLI::App& parent, Context& ctx, const std::string& name, CommandDoc doc) {
  CLI::App* app = parent.add_subcommand(name, doc.summary);
  std::string footer;
  if (!doc.description.empty()) footer += "\n" + doc.description + "\n";
  if (!doc.examples.empty()) {
    footer += "\nExamples:\n";
    for (const auto& e : doc.examples)
      footer += "  " + e + "\n";
  }
  footer += global_flags_help(parent);
  app->footer(footer);
  ctx.docs[app] = std::move(doc);
  return app;
}

const char* version_string() {
  return CRM_VERSION;
}
const char* git_sha() {
  return CRM_GIT_SHA;
}

} // namespace crm::cmd
