#include "cmd/number/support.hpp"
#include "cmd/serve/commands.hpp"
#include "cmd/support.hpp"
#include "core/units.hpp"
#include "db/pool.hpp"
#include "telephony/accounts.hpp"
#include "webhook/server.hpp"

#include <csignal>
#include <map>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace crm::cmd {

namespace {

/// `host:port` (IPv4 or a name; port 0 = any free port).
Result<std::pair<std::string, int>> parse_listen(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return make_error(ErrorKind::usage,
                      "--listen: expected HOST:PORT (127.0.0.1:8080), got '" + s + "'");
  const std::string port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return make_error(ErrorKind::usage, "--listen: port must be 0-65535, got '" + port + "'");
  return std::make_pair(s.substr(0, colon), std::stoi(port));
}

/// The current and the previous secret (rotation): whichever are set.
Result<std::vector<std::string>> secrets_of(Deps& d, const Settings& s, const std::string& provider,
                                            const std::string& key) {
  std::vector<std::string> out;
  auto p = s.profile.providers.find(provider);
  if (p == s.profile.providers.end()) return out;
  for (const auto& k : {key, key + "_previous"}) {
    CRM_TRY_ASSIGN(auto v, number_support::value(d, p->second, provider, k));
    if (!v.empty()) out.push_back(v);
  }
  return out;
}

/// Twilio tokens per number: the account owning it (vault or platform), cached for a minute so
/// an SMS burst does not decrypt the vault per message.
class TwilioTokenCache {
public:
  TwilioTokenCache(telephony::Platform platform, std::optional<MasterKey> key,
                   tenant::Tenancy tenancy, Clock& clock, Redactor& redactor)
      : m_platform(std::move(platform)), m_key(std::move(key)), m_tenancy(std::move(tenancy)),
        m_clock(clock), m_redactor(redactor) {}

  Result<std::vector<std::string>> tokens(db::Connection& c, const std::string& e164) {
    const auto now = m_clock.steady_now();
    {
      std::lock_guard lock(m_mutex);
      auto it = m_cache.find(e164);
      if (it != m_cache.end() && now - it->second.at < std::chrono::seconds(60))
        return it->second.tokens;
    }
    std::vector<std::string> out;
    if (m_platform.twilio) out.push_back(m_platform.twilio->auth_token);
    if (!e164.empty()) {
      CRM_TRY_ASSIGN(auto tx, c.admin({db::TxIsolation::read_committed, db::TxAccess::read_only}));
      CRM_TRY_ASSIGN(auto r, tx->exec("SELECT org_id::text AS org_id FROM number_routes WHERE "
                                      "e164 = $1",
                                      {e164}));
      if (!r.empty()) {
        CRM_TRY_ASSIGN(auto ref, tenant::resolve(*tx, r.get(0, "org_id")));
        CRM_TRY_ASSIGN(auto scoped, db::scoped(*tx, tenant::scope_of(ref, m_tenancy)));
        CRM_TRY_ASSIGN(auto n, scoped->exec("SELECT coalesce(twilio_account_sid, '') AS sid FROM "
                                            "phone_numbers WHERE e164 = $1 ORDER BY created_at "
                                            "DESC LIMIT 1",
                                            {e164}));
        // A tenant whose vault cannot be read (no master key here) still has the platform's.
        auto accounts = telephony::resolve_accounts(*scoped, ref, m_key, m_platform);
        if (accounts) {
          std::optional<providers::twilio::Account> acc;
          const std::string sid = n.empty() ? "" : n.get(0, "sid");
          if (!sid.empty()) {
            if (auto a = accounts->twilio_for(ref, sid)) acc = *a;
          } else if (accounts->twilio) {
            acc = accounts->twilio;
          }
          if (acc && std::find(out.begin(), out.end(), acc->auth_token) == out.end()) {
            m_redactor.add(acc->auth_token);
            out.push_back(acc->auth_token);
          }
        }
      }
    }
    std::lock_guard lock(m_mutex);
    m_cache[e164] = {out, now};
    return out;
  }

private:
  struct Entry {
    std::vector<std::string> tokens;
    std::chrono::steady_clock::time_point at;
  };
  telephony::Platform m_platform;
  std::optional<MasterKey> m_key;
  tenant::Tenancy m_tenancy;
  Clock& m_clock;
  Redactor& m_redactor;
  std::mutex m_mutex;
  std::map<std::string, Entry> m_cache;
};

} // namespace

void register_serve(CLI::App& root, Context& ctx) {
  auto o = std::make_shared<ServeOptions>();
  auto* app = add_command(
      root, ctx, "serve",
      {"Run the webhook daemon: verified, idempotent, durable ingestion of provider events",
       "Routes: POST /webhooks/vapi, /webhooks/elevenlabs, /webhooks/twilio/sms, "
       "/webhooks/twilio/voice-status, /webhooks/twilio/forward?to=E164 (TwiML dialling the "
       "owner), /webhooks/agent/<agent uuid> (Retell-style per-agent URL: x-retell-signature "
       "with providers.retell.api_key, or the agent's webhook token as a Bearer); GET /healthz, "
       "/readyz, /metrics (Prometheus). Every request is verified on its raw body (401 and "
       "nothing stored on failure), stored in the inbox and applied to its tenant in one "
       "transaction, and answered only after the commit: 200 stored or duplicate, 404 no tenant "
       "(kept for `webhooks replay`), 202 kept as failed, 413 body over --max-body, 503 with "
       "Retry-After while the database is unavailable. Events are committed in groups "
       "(--batch-max events or --batch-wait, each acknowledged after its own batch is durable). "
       "Secrets: providers.vapi.webhook_secret, providers.elevenlabs.webhook_secret, "
       "providers.retell.api_key (each with an optional *_previous for rotation); Twilio "
       "requests are checked with the auth token of the account owning the number (the "
       "tenant's vault, else providers.twilio.auth_token) against webhook_base_url + path. "
       "One JSON log line per request on stderr (no secret, no transcript). SIGTERM or SIGINT: "
       "stop accepting, answer what was accepted, exit 0. Several copies may share one "
       "database: the inbox's unique constraint and SKIP LOCKED are the only coordination.",
       {"crmctl serve --listen 127.0.0.1:8080",
        "crmctl serve --dry-run   # check settings, secrets, the port and the database, then exit",
        "crmctl serve --listen 0.0.0.0:8080 --threads 32 --max-body 512KiB",
        "curl -s localhost:8080/metrics | grep crm_webhook_requests_total"}});
  app->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app->add_option("--threads", o->threads, "Connection workers (1-1024)")->capture_default_str();
  app->add_option("--backlog", o->backlog,
                  "Accepted connections waiting for a worker; beyond it: 503 at once")
      ->capture_default_str();
  app->add_option("--max-body", o->max_body, "Largest request body (413 beyond)")
      ->capture_default_str();
  app->add_option("--read-timeout", o->read_timeout, "Longest wait for one read")
      ->capture_default_str();
  app->add_option("--request-timeout", o->request_timeout,
                  "Longest time to receive a whole request (headers and body)")
      ->capture_default_str();
  app->add_option("--batch-max", o->batch_max, "Events per group commit at most (1-1000)")
      ->capture_default_str();
  app->add_option("--batch-wait", o->batch_wait,
                  "How long a group commit waits for more events (0ms: never)")
      ->capture_default_str();
  app->add_option("--committers", o->committers, "Group commits in flight at once (1-32)")
      ->capture_default_str();
  on_run(app, ctx, o, run_serve, Effect::writes);
}

Result<void> run_serve(const ServeOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto listen, parse_listen(o.listen));
  if (o.threads < 1 || o.threads > 1024)
    return make_error(ErrorKind::usage, "--threads must be 1-1024");
  if (o.backlog < 0 || o.backlog > 100000)
    return make_error(ErrorKind::usage, "--backlog must be 0-100000");
  if (o.batch_max < 1 || o.batch_max > 1000)
    return make_error(ErrorKind::usage, "--batch-max must be 1-1000");
  if (o.committers < 1 || o.committers > 32)
    return make_error(ErrorKind::usage, "--committers must be 1-32");
  CRM_TRY_ASSIGN(auto max_body, parse_size(o.max_body));
  if (max_body < 1024 || max_body > (64ull << 20))
    return make_error(ErrorKind::usage, "--max-body must be between 1KiB and 64MiB");
  CRM_TRY_ASSIGN(auto read_timeout, parse_duration(o.read_timeout));
  CRM_TRY_ASSIGN(auto request_timeout, parse_duration(o.request_timeout));
  CRM_TRY_ASSIGN(auto batch_wait, parse_duration(o.batch_wait));
  if (read_timeout.count() < 100 || request_timeout < read_timeout)
    return make_error(ErrorKind::usage,
                      "--read-timeout must be at least 100ms and --request-timeout at least "
                      "--read-timeout");
  if (batch_wait > std::chrono::milliseconds(1000))
    return make_error(ErrorKind::usage, "--batch-wait must be at most 1s");

  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  if (!s->database_url_error.empty()) return make_error(ErrorKind::config, s->database_url_error);
  if (s->database_url.empty())
    return make_error(ErrorKind::config, "no database configured: pass --db URL, set "
                                         "CRMCTL_DATABASE_URL, or add database_url to the profile");
  webhook::ServerSecrets secrets;
  CRM_TRY_ASSIGN(secrets.vapi, secrets_of(d, *s, "vapi", "webhook_secret"));
  CRM_TRY_ASSIGN(secrets.elevenlabs, secrets_of(d, *s, "elevenlabs", "webhook_secret"));
  CRM_TRY_ASSIGN(secrets.retell, secrets_of(d, *s, "retell", "api_key"));
  secrets.public_base_url = s->profile.webhook_base_url;
  CRM_TRY_ASSIGN(auto platform, number_support::platform(d));
  if (platform.twilio) d.redactor().add(platform.twilio->auth_token);

  for (const auto& [name, have] :
       {std::pair<std::string, bool>{"providers.vapi.webhook_secret", !secrets.vapi.empty()},
        {"providers.elevenlabs.webhook_secret", !secrets.elevenlabs.empty()},
        {"providers.retell.api_key", !secrets.retell.empty()}})
    if (!have)
      d.log().warn(name + " is not set: that provider's requests are refused (401)");

  // Signals: every thread blocks SIGTERM/SIGINT; one thread waits for them and stops the server.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigset_t before;
  pthread_sigmask(SIG_BLOCK, &sigs, &before);
  struct RestoreMask { // the calling thread's mask again on every way out (tests run in-process)
    sigset_t mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{before};

  Metrics metrics;
  db::PoolOptions po;
  po.size = std::max<std::size_t>(static_cast<std::size_t>(s->profile.pool_size),
                                  static_cast<std::size_t>(o.committers) + 4);
  po.application_name = "crmctl-serve";
  po.acquire_timeout = std::chrono::milliseconds(2000);
  db::Pool pool(db::url_opener(s->database_url, po.application_name), po, d.clock(), &metrics);

  auto cache = std::make_shared<TwilioTokenCache>(
      platform, number_support::optional_master_key(d), tenancy_of(d), d.clock(), d.redactor());
  webhook::ServerOptions so;
  so.host = listen.first;
  so.port = listen.second;
  so.threads = static_cast<std::size_t>(o.threads);
  so.backlog = static_cast<std::size_t>(o.backlog);
  so.max_body = static_cast<std::size_t>(max_body);
  so.read_timeout = read_timeout;
  so.request_timeout = request_timeout;
  so.commit.batch_max = static_cast<std::size_t>(o.batch_max);
  so.commit.batch_wait = std::chrono::duration_cast<std::chrono::microseconds>(batch_wait);
  so.commit.committers = static_cast<std::size_t>(o.committers);
  webhook::Server server(
      so, secrets, pool, tenancy_of(d),
      [cache](db::Connection& c, const std::string& e164) { return cache->tokens(c, e164); },
      d.log(), metrics, d.clock());
  CRM_TRY_ASSIGN(int port, server.bind());
  if (d.global().dry_run) {
    // A configuration check: settings, secrets and the port resolve; the database answers.
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    CRM_TRY((*lease)->exec("SELECT 1 FROM webhook_events LIMIT 1"));
    d.print({{"dry_run", true},
             {"listen", listen.first + ":" + std::to_string(port)},
             {"vapi_secrets", secrets.vapi.size()},
             {"elevenlabs_secrets", secrets.elevenlabs.size()},
             {"retell_keys", secrets.retell.size()},
             {"twilio_platform_token", platform.twilio.has_value()},
             {"webhook_base_url", secrets.public_base_url}},
            {{"dry_run", "listen", "vapi_secrets", "elevenlabs_secrets", "retell_keys",
              "twilio_platform_token", "webhook_base_url"}});
    return {};
  }

  std::thread signals([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig != 0) {
      d.log().info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                   ": no new connections; answering what was accepted");
      server.stop();
    }
  });
  const std::string address = listen.first + ":" + std::to_string(port);
  d.log().info("listening on http://" + address + " (" + std::to_string(o.threads) +
               " workers, group commit up to " + std::to_string(o.batch_max) + " events / " +
               o.batch_wait + ", " + std::to_string(o.committers) + " committers)");
  if (d.format() == Format::json)
    d.io().out << nlohmann::json({{"listening", address}}).dump() << std::endl;
  else
    d.io().out << "listening on http://" << address << std::endl;
  auto ran = server.run();
  // run() returned: by a signal (the waiting thread is done) or a failure (wake it up).
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  CRM_TRY(ran);
  d.log().info("stopped: every accepted request answered");
  return {};
}

} // namespace crm::cmd
