#include "cmd/app.hpp"

#include "db/db.hpp"
#include "http/client.hpp"

#include <iostream>
#include <string>

namespace crm::cmd {

Deps::Deps(IO& io, Clock& clock, EnvLookup env, GlobalOptions& global, Interrupt& interrupt)
    : m_io(io), m_clock(clock), m_env(std::move(env)), m_global(global), m_interrupt(interrupt),
      m_redactor(std::make_shared<Redactor>()) {}

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
  if (s->database_url.empty())
    return make_error(ErrorKind::config,
                      "no database configured: pass --db URL, set CRMCTL_DATABASE_URL, or add "
                      "database_url to profile" +
                          (s->profile_name.empty() ? std::string() : " '" + s->profile_name + "'"));
  log().debug("connecting to " + db::describe_target(s->database_url) + " (from " +
              s->database_url_source + ")");
  return db::Connection::open(s->database_url);
}

Result<db::Connection*> Deps::db() {
  if (!m_db) {
    CRM_TRY_ASSIGN(m_db, new_db_connection());
  }
  return m_db.get();
}

http::Client& Deps::http() {
  if (!m_http) {
    m_http_raw = http::make_curl_client();
    m_http = std::make_unique<http::RetryingClient>(*m_http_raw, m_clock, http::RetryPolicy{});
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
  if (!m_global.quiet) m_io.err << "crmctl: " << m_redactor->redact(msg) << "\n";
}

Result<bool> Deps::confirm(const std::string& prompt) {
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

CLI::App* add_command(CLI::App& parent, Context& ctx, const std::string& name, CommandDoc doc) {
  CLI::App* app = parent.add_subcommand(name, doc.summary);
  std::string footer;
  if (!doc.description.empty()) footer += "\n" + doc.description + "\n";
  if (!doc.examples.empty()) {
    footer += "\nExamples:\n";
    for (const auto& e : doc.examples)
      footer += "  " + e + "\n";
  }
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
