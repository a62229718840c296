#include "webhook/server.hpp"

#include "core/crypto.hpp"
#include "core/e164.hpp"
#include "webhook/normalize.hpp"
#include "webhook/verify.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace crm::webhook {

namespace {

using steady = std::chrono::steady_clock;

// What a handler learnt about its request, for the access log line written after the response
// (httplib's logger runs on the same thread). Reset before every request.
struct RequestNote {
  std::string route = "other";
  std::string tenant, event_key, outcome, reason;
  long long inbox_id = 0;
  bool close_after = false; // the body was not read (413 from Content-Length): close the socket
  bool over_cap = false;     // a body without Content-Length ran past the cap: cut, 413
  steady::time_point started{};
};
thread_local RequestNote t_note;
// Set by the worker pool when a connection is run on the acceptor thread to be refused.
thread_local bool t_refuse = false;
// Requests served on one keep-alive connection (also what the Keep-Alive header announces).
constexpr std::size_t k_keep_alive_requests = 16;

long long ms_left(steady::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
}

// Waits for `events` on `fd` for at most `ms` (clamped at 0): true when ready.
bool wait_fd(int fd, short events, long long ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, static_cast<int>(std::max(0LL, ms)));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

// A socket stream with a per-read timeout and a deadline for the whole request: a client that
// trickles one byte per second is cut at the deadline however patient each read is.
class DeadlineStream final : public httplib::Stream {
public:
  DeadlineStream(int fd, std::chrono::milliseconds read_timeout,
                 std::chrono::milliseconds write_timeout)
      : m_fd(fd), m_read_timeout(read_timeout.count()), m_write_timeout(write_timeout.count()) {}
  void arm(steady::time_point deadline) {
    m_deadline = deadline;
    m_limit = static_cast<std::size_t>(-1);
  }
  /// From now on at most `bytes` more may be read for this request (a chunked body's cap,
  /// framing included); past it reads fail and the request is marked over the cap.
  void limit(std::size_t bytes) { m_limit = m_consumed + bytes; }
  bool has_buffered() const { return m_pos < m_len; }

  bool is_readable() const override {
    return has_buffered() || wait_fd(m_fd, POLLIN, budget());
  }
  bool is_writable() const override { return wait_fd(m_fd, POLLOUT, m_write_timeout); }
  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered()) {
      if (!wait_fd(m_fd, POLLIN, budget())) return -1;
      ssize_t n;
      do {
        n = ::recv(m_fd, m_buf, sizeof m_buf, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      m_pos = 0;
      m_len = static_cast<std::size_t>(n);
    }
    std::size_t take = std::min(size, m_len - m_pos);
    if (m_consumed + take > m_limit) {
      t_note.over_cap = true;
      return -1;
    }
    std::memcpy(ptr, m_buf + m_pos, take);
    m_pos += take;
    m_consumed += take;
    return static_cast<ssize_t>(take);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(m_fd, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { name_of(true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { name_of(false, ip, port); }
  socket_t socket() const override { return m_fd; }

private:
  long long budget() const { return std::min(m_read_timeout, ms_left(m_deadline)); }
  void name_of(bool peer, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int r = peer ? ::getpeername(m_fd, reinterpret_cast<sockaddr*>(&addr), &len)
                 : ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    if (r != 0) return;
    char host[64] = {};
    char serv[16] = {};
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv,
                      sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }
  int m_fd;
  long long m_read_timeout, m_write_timeout;
  steady::time_point m_deadline = steady::time_point::max();
  char m_buf[4096];
  std::size_t m_pos = 0, m_len = 0;
  std::size_t m_consumed = 0, m_limit = static_cast<std::size_t>(-1);
};
thread_local DeadlineStream* t_stream = nullptr; // the connection this worker serves

// Closes a connection without losing the response in a TCP reset: stop writing, read what the
// client still sends for a moment (bounded by `ms` and 256 KiB), then close.
void lingering_close(int fd, int ms = 500) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  std::size_t drained = 0;
  const auto until = steady::now() + std::chrono::milliseconds(ms);
  while (drained < (256u << 10) && wait_fd(fd, POLLIN, ms_left(until))) {
    ssize_t n = ::recv(fd, sink, sizeof sink, 0);
    if (n <= 0) break;
    drained += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// A fixed set of workers and a bounded queue of accepted connections. When the queue is full the
// connection is run on the accepting thread in "refuse" mode: a 503 with Retry-After, closed.
class BoundedPool final : public httplib::TaskQueue {
public:
  BoundedPool(std::size_t threads, std::size_t backlog, Counter& refused)
      : m_backlog(backlog), m_refused(refused) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i)
      m_threads.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(m_mutex);
      if (m_jobs.size() < m_backlog) {
        m_jobs.push_back(std::move(fn));
        m_cv.notify_one();
        return;
      }
    }
    m_refused.inc();
    t_refuse = true;
    fn();
    t_refuse = false;
  }
  void shutdown() override {
    {
      std::lock_guard lock(m_mutex);
      m_shutdown = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads)
      t.join();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_shutdown || !m_jobs.empty(); });
        if (m_jobs.empty()) return; // shut down and drained: queued connections are answered
        fn = std::move(m_jobs.front());
        m_jobs.pop_front();
      }
      fn();
    }
  }
  std::size_t m_backlog;
  Counter& m_refused;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  bool m_shutdown = false;
};

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A verified request whose payload cannot be used: 400, nothing stored.
void reject(httplib::Response& res, const std::string& why) {
  t_note.outcome = "rejected";
  t_note.reason = why;
  res.status = 400;
  res.set_content(nlohmann::json({{"error", why}})
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

// The database (or the commit queue) cannot take the event now: 503 with Retry-After, never 2xx.
void unavailable(httplib::Response& res, const std::string& why) {
  t_note.outcome = "unavailable";
  t_note.reason = why;
  res.status = 503;
  res.set_header("Retry-After", "5");
  res.set_content("{\"error\":\"temporarily unavailable\"}", "application/json");
}

} // namespace

// ---- the server -----------------------------------------------------------------------------

struct Server::Impl {
  ServerOptions opt;
  ServerSecrets secrets;
  db::ConnectionSource& db;
  tenant::Tenancy tenancy;
  TwilioTokens twilio_tokens;
  Logger& log;
  Metrics& metrics;
  Clock& clock;
  Committer committer;
  std::atomic<bool> stopping{false};
  Counter& refused;
  Histogram& ingest_seconds;

  class Http;
  std::unique_ptr<Http> http;

  Impl(ServerOptions o, ServerSecrets s, db::ConnectionSource& d, tenant::Tenancy t,
       TwilioTokens tw, Logger& l, Metrics& m, Clock& c)
      : opt(std::move(o)), secrets(std::move(s)), db(d), tenancy(std::move(t)),
        twilio_tokens(std::move(tw)), log(l), metrics(m), clock(c),
        committer(d, tenancy, opt.commit, c, &m),
        refused(m.counter("crm_webhook_connections_refused_total",
                          "Connections answered 503 at once: every worker busy, backlog full")),
        ingest_seconds(m.histogram("crm_webhook_ingest_seconds",
                                   "Verified event to committed answer",
                                   {}, {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                        1, 2.5, 5, 10})) {}

  UnixSeconds now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch())
        .count();
  }

  void routes();
  void deny(httplib::Response& res, const std::string& provider, const Verification& v);
  void answer_event(httplib::Response& res, Delivery d, bool twiml);
  void handle_json(const httplib::Request& req, httplib::Response& res, const std::string& provider);
  void handle_twilio(const httplib::Request& req, httplib::Response& res, const std::string& kind);
  void handle_agent(const httplib::Request& req, httplib::Response& res);
  void access_log(const httplib::Request& req, const httplib::Response& res);
  std::string metrics_text();
  bool ready();
  std::vector<std::string> twilio_urls(const httplib::Request& req) const;
};

class Server::Impl::Http final : public httplib::Server {
public:
  explicit Http(Impl& owner) : m_owner(owner) {}

private:
  // Replaces httplib's per-connection loop (same protocol handling via process_request) to own
  // the deadlines, the refusal of overflow connections and the graceful stop.
  bool process_and_close_socket(socket_t sock) override {
    const auto& o = m_owner.opt;
    // No Nagle: httplib writes a response's headers and body with two send()s, and the body
    // waited for the client's delayed ACK of the headers — up to 40 ms per keep-alive request,
    // which bounded a daemon with 64 client connections to ~1,000 events/s whatever its CPU.
    int yes = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (t_refuse) {
      static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                                 "Content-Type: text/plain\r\nContent-Length: 14\r\n"
                                 "Connection: close\r\n\r\nserver busy\r\n\r\n";
      (void)!::send(sock, busy, sizeof busy - 1, MSG_NOSIGNAL);
      lingering_close(sock, 50); // on the accepting thread: keep it short
      return true;
    }
    DeadlineStream strm(sock, o.read_timeout, o.read_timeout);
    t_stream = &strm;
    bool first = true;
    for (std::size_t left = k_keep_alive_requests; left > 0; --left) {
      // Wait for the next request (the first one within a read timeout), giving up early when
      // the server stops: an idle keep-alive connection is no in-flight request.
      const auto idle_until = steady::now() + (first ? o.read_timeout : o.keep_alive);
      bool readable = strm.has_buffered();
      while (!readable && !m_owner.stopping.load() && ms_left(idle_until) > 0)
        readable = wait_fd(sock, POLLIN, std::min(100LL, ms_left(idle_until)));
      if (!readable) break;
      first = false;
      strm.arm(steady::now() + o.request_timeout);
      t_note = RequestNote{};
      t_note.started = steady::now();
      bool closed = false;
      const bool last = left == 1 || m_owner.stopping.load();
      bool ok = process_request(strm, last, closed, nullptr);
      const bool close_after = t_note.close_after;
      if (!ok || closed || last || close_after) break;
    }
    t_stream = nullptr;
    lingering_close(sock);
    return true;
  }
  Impl& m_owner;
};

void Server::Impl::deny(httplib::Response& res, const std::string& provider,
                        const Verification& v) {
  metrics
      .counter("crm_webhook_verification_failures_total",
               "Requests refused 401: signature or token missing, malformed, stale or wrong",
               {{"provider", provider}, {"reason", verdict_name(v.verdict)}})
      .inc();
  t_note.outcome = "unauthorized";
  t_note.reason = v.reason;
  res.status = 401;
  res.set_content("{\"error\":\"signature verification failed\"}", "application/json");
}

void Server::Impl::answer_event(httplib::Response& res, Delivery d, bool twiml) {
  if (d.event.ignored) {
    t_note.outcome = "ignored";
    t_note.reason = d.event.ignored->reason;
    res.status = 200;
    if (twiml)
      res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>", "text/xml");
    else
      res.set_content("{\"status\":\"ignored\"}", "application/json");
    return;
  }
  t_note.event_key = d.event.call      ? d.event.call->event_key
                     : d.event.message ? d.event.message->event_key
                                       : "";
  const auto started = steady::now();
  auto fut = committer.submit(std::move(d));
  Result<IngestResult> r = make_error(ErrorKind::db_unavailable, "no answer from the database in time");
  if (fut.wait_for(opt.answer_within) == std::future_status::ready) r = fut.get();
  // Nothing acknowledged: the provider retries, and a retry of an event that did commit after
  // all is a duplicate (200).
  if (!r) return unavailable(res, r.error().message);
  ingest_seconds.observe(std::chrono::duration<double>(steady::now() - started).count());
  t_note.outcome = outcome_name(r->outcome);
  t_note.tenant = r->org_id;
  t_note.reason = r->reason;
  t_note.inbox_id = r->inbox_id;
  res.status = r->http_status;
  if (twiml && res.status == 200) {
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>", "text/xml");
    return;
  }
  nlohmann::json body = {{"status", outcome_name(r->outcome)}};
  if (r->inbox_id) body["inbox_id"] = r->inbox_id;
  res.set_content(body.dump(), "application/json");
}

void Server::Impl::handle_json(const httplib::Request& req, httplib::Response& res,
                               const std::string& provider) {
  t_note.route = provider;
  Verification v;
  if (provider == "vapi") {
    VapiHeaders h{req.get_header_value("x-signature"), req.get_header_value("x-timestamp"),
                  req.get_header_value("authorization"), req.get_header_value("x-vapi-secret")};
    v = verify_vapi(h, req.body, secrets.vapi, now_unix());
  } else {
    v = verify_elevenlabs(req.get_header_value("elevenlabs-signature"), req.body,
                          secrets.elevenlabs, now_unix());
  }
  if (!v.ok()) return deny(res, provider, v);
  auto n = provider == "vapi" ? normalize_vapi(req.body) : normalize_elevenlabs(req.body);
  if (!n) return reject(res, n.error().message);
  Delivery d;
  d.provider = provider;
  d.route = provider;
  d.body = req.body;
  d.event = std::move(*n);
  answer_event(res, std::move(d), false);
}

std::vector<std::string> Server::Impl::twilio_urls(const httplib::Request& req) const {
  std::vector<std::string> urls;
  if (!secrets.public_base_url.empty()) {
    std::string base = secrets.public_base_url;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    urls.push_back(base + req.target);
  }
  const std::string host = req.get_header_value("host");
  if (!host.empty()) {
    const std::string proto = lower(req.get_header_value("x-forwarded-proto")) == "https"
                                  ? "https://"
                                  : "http://";
    urls.push_back(proto + host + req.target);
  }
  return urls;
}

void Server::Impl::handle_twilio(const httplib::Request& req, httplib::Response& res,
                                 const std::string& kind) {
  t_note.route = "twilio/" + kind;
  const std::string signature = req.get_header_value("x-twilio-signature");
  auto form = decode_form(req.body);
  if (!form) return deny(res, "twilio", {Verdict::malformed, "form body does not decode"});
  // The tokens of the accounts owning the numbers of the request (To and From).
  std::vector<std::string> tokens;
  {
    auto lease = db.acquire();
    if (!lease) return unavailable(res, lease.error().message);
    std::set<std::string> numbers;
    for (const auto& [k, val] : *form)
      if ((k == "To" || k == "From" || k == "Called") && is_e164(val)) numbers.insert(val);
    if (numbers.empty()) numbers.insert("");
    for (const auto& num : numbers) {
      auto t = twilio_tokens(**lease, num);
      if (!t) {
        lease->mark_errored();
        return unavailable(res, t.error().message);
      }
      for (auto& tok : *t)
        if (std::find(tokens.begin(), tokens.end(), tok) == tokens.end()) tokens.push_back(tok);
    }
  }
  Verification v{Verdict::mismatch, "no URL to check the signature against"};
  for (const auto& url : twilio_urls(req)) {
    v = verify_twilio(url, req.body, false, signature, tokens);
    if (v.ok() || v.verdict == Verdict::missing) break;
  }
  if (!v.ok()) return deny(res, "twilio", v);
  if (kind == "forward") {
    // TwiML dialling the owner (number route --ai off points the number here with ?to=E164).
    const std::string to = req.get_param_value("to");
    if (!is_e164(to)) return reject(res, "forward: ?to= is not an E.164 number");
    t_note.outcome = "forwarded";
    res.status = 200;
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial>" + to +
                        "</Dial></Response>",
                    "text/xml");
    return;
  }
  auto n = normalize_twilio(kind, *form);
  if (!n) return reject(res, n.error().message);
  Delivery d;
  d.provider = "twilio";
  d.route = t_note.route;
  d.body = req.body;
  d.event = std::move(*n);
  answer_event(res, std::move(d), true);
}

void Server::Impl::handle_agent(const httplib::Request& req, httplib::Response& res) {
  t_note.route = "agent";
  const std::string uuid = lower(req.matches[1]);
  // A Retell signature with the profile's key, or the agent's own bearer token.
  Verification v = verify_retell(req.get_header_value("x-retell-signature"), req.body,
                                 secrets.retell, now_unix());
  std::optional<AgentAuth> agent;
  {
    auto lease = db.acquire();
    Result<std::optional<AgentAuth>> a = lease ? agent_auth(**lease, tenancy, uuid)
                                               : Result<std::optional<AgentAuth>>(lease.error());
    if (!a) {
      if (lease) lease->mark_errored();
      return unavailable(res, a.error().message);
    }
    agent = std::move(*a);
  }
  if (!v.ok()) {
    const std::string auth = req.get_header_value("authorization");
    const std::string prefix = "Bearer ";
    if (agent && !agent->token_hash.empty() && auth.size() > prefix.size() &&
        auth.compare(0, prefix.size(), prefix) == 0) {
      const std::string given = crypto::hex(crypto::sha256(auth.substr(prefix.size())));
      if (crypto::constant_time_equal(given, agent->token_hash))
        v = {Verdict::ok, "agent token"};
      else
        v = {Verdict::mismatch, "the agent's webhook token does not match"};
    }
  }
  if (!v.ok()) return deny(res, "retell", v);
  const std::string provider = agent ? agent->provider : "retell";
  auto n = provider == "vapi"         ? normalize_vapi(req.body)
           : provider == "elevenlabs" ? normalize_elevenlabs(req.body)
                                      : normalize_retell(req.body);
  if (!n) return reject(res, n.error().message);
  Delivery d;
  d.provider = provider;
  d.route = "agent/" + uuid;
  d.agent_uuid = uuid;
  d.body = req.body;
  d.event = std::move(*n);
  answer_event(res, std::move(d), false);
}

bool Server::Impl::ready() {
  auto lease = db.acquire();
  if (!lease) return false;
  auto r = (*lease)->exec("SELECT 1");
  if (!r) lease->mark_errored();
  return static_cast<bool>(r);
}

std::string Server::Impl::metrics_text() {
  // The inbox's backlog, read at scrape time (skipped while the database is away).
  if (auto lease = db.acquire()) {
    auto r = (*lease)->exec(
        "SELECT s.state, count(w.id) AS n, coalesce(extract(epoch FROM now() - min(w.received_at)), "
        "0)::bigint AS age FROM unnest(ARRAY['received', 'unrouted', 'held', 'failed']) s(state) "
        "LEFT JOIN webhook_events w ON w.state = s.state GROUP BY s.state");
    if (r) {
      double lag = 0;
      for (std::size_t i = 0; i < r->size(); ++i) {
        metrics
            .gauge("crm_webhook_inbox_rows", "Inbox rows not (yet) applied, by state",
                   {{"state", r->get(i, "state")}})
            .set(std::stod(r->get(i, "n")));
        if (r->get(i, "state") != "failed") lag = std::max(lag, std::stod(r->get(i, "age")));
      }
      metrics
          .gauge("crm_webhook_inbox_lag_seconds",
                 "Age of the oldest inbox row waiting to be applied (received, unrouted, held)")
          .set(lag);
    } else {
      lease->mark_errored();
    }
  }
  metrics.gauge("crm_webhook_commit_queue", "Verified events waiting for a group commit")
      .set(static_cast<double>(committer.queued()));
  return metrics.render();
}

void Server::Impl::access_log(const httplib::Request& req, const httplib::Response& res) {
  metrics
      .counter("crm_webhook_requests_total", "HTTP requests by route and status",
               {{"route", t_note.route}, {"status", std::to_string(res.status)}})
      .inc();
  if (res.status == 413 || res.status == 400 || res.status == 408) t_note.close_after = true;
  const bool probe = t_note.route == "healthz" || t_note.route == "readyz" ||
                     t_note.route == "metrics";
  if (probe && res.status == 200) return; // liveness probes would drown the log
  const double ms =
      t_note.started == steady::time_point{}
          ? 0.0
          : std::chrono::duration<double, std::milli>(steady::now() - t_note.started).count();
  nlohmann::json line = {{"ts", format_rfc3339(clock.now())},
                         {"level", res.status >= 500 ? "error" : res.status >= 400 ? "warn" : "info"},
                         {"msg", "request"},
                         {"method", req.method},
                         {"route", t_note.route},
                         {"status", res.status},
                         {"latency_ms", static_cast<double>(static_cast<long long>(ms * 100)) / 100}};
  if (!t_note.outcome.empty()) line["outcome"] = t_note.outcome;
  if (!t_note.tenant.empty()) line["tenant"] = t_note.tenant;
  if (!t_note.event_key.empty()) line["event_key"] = t_note.event_key.substr(0, 200);
  if (t_note.inbox_id) line["inbox_id"] = t_note.inbox_id;
  if (!t_note.reason.empty()) line["reason"] = t_note.reason.substr(0, 300);
  log.write_raw(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Server::Impl::routes() {
  auto& s = *http;
  s.set_payload_max_length(opt.max_body);
  s.set_keep_alive_max_count(k_keep_alive_requests);
  s.set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(opt.keep_alive).count()));
  s.set_read_timeout(std::chrono::duration_cast<std::chrono::seconds>(opt.read_timeout).count());
  s.set_write_timeout(std::chrono::duration_cast<std::chrono::seconds>(opt.read_timeout).count());
  s.new_task_queue = [this] { return new BoundedPool(opt.threads, opt.backlog, refused); };
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second daemon
  // share a port that is in use without a word (run copies on distinct ports behind the proxy).
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // The body cap from the Content-Length, before a byte of the body is read.
    if (req.has_header("Content-Length")) {
      const std::string& cl = req.get_header_value("Content-Length");
      const bool digits = !cl.empty() && cl.size() < 19 &&
                          cl.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoull(cl) > opt.max_body) {
        t_note.close_after = true;
        res.status = digits ? 413 : 400;
        res.set_header("Connection", "close");
        res.set_content(digits ? "{\"error\":\"body too large\"}" : "{\"error\":\"bad Content-Length\"}",
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
    } else if (t_stream) {
      // No length (chunked): the body may take the cap plus its chunk framing, then is cut.
      t_stream->limit(opt.max_body + opt.max_body / 8 + 1024);
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                               httplib::Response& res) {
    if (!t_note.over_cap) return httplib::Server::HandlerResponse::Unhandled;
    t_note.close_after = true;
    res.status = 413;
    res.set_header("Connection", "close");
    res.set_content("{\"error\":\"body too large\"}", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.Post("/webhooks/vapi", [this](const httplib::Request& q, httplib::Response& r) {
    handle_json(q, r, "vapi");
  });
  s.Post("/webhooks/elevenlabs", [this](const httplib::Request& q, httplib::Response& r) {
    handle_json(q, r, "elevenlabs");
  });
  s.Post("/webhooks/twilio/sms", [this](const httplib::Request& q, httplib::Response& r) {
    handle_twilio(q, r, "sms");
  });
  s.Post("/webhooks/twilio/voice-status", [this](const httplib::Request& q, httplib::Response& r) {
    handle_twilio(q, r, "voice-status");
  });
  s.Post("/webhooks/twilio/forward", [this](const httplib::Request& q, httplib::Response& r) {
    handle_twilio(q, r, "forward");
  });
  s.Post(R"(/webhooks/agent/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))",
         [this](const httplib::Request& q, httplib::Response& r) { handle_agent(q, r); });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
    t_note.route = "healthz";
    r.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& r) {
    t_note.route = "readyz";
    if (!stopping.load() && ready()) {
      r.set_content("ready\n", "text/plain");
      return;
    }
    r.status = 503;
    r.set_header("Retry-After", "5");
    r.set_content(stopping.load() ? "stopping\n" : "database unreachable\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& r) {
    t_note.route = "metrics";
    r.set_content(metrics_text(), "text/plain; version=0.0.4");
  });
  s.set_exception_handler([this](const httplib::Request&, httplib::Response& r, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    t_note.outcome = "error";
    t_note.reason = what;
    r.status = 500;
    r.set_content("{\"error\":\"internal error\"}", "application/json");
  });
  s.set_logger([this](const httplib::Request& q, const httplib::Response& r) { access_log(q, r); });
}

Server::Server(ServerOptions options, ServerSecrets secrets, db::ConnectionSource& db,
               tenant::Tenancy tenancy, TwilioTokens twilio_tokens, Logger& log, Metrics& metrics,
               Clock& clock)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(secrets), db, std::move(tenancy),
                                    std::move(twilio_tokens), log, metrics, clock)) {
  m_impl->http = std::make_unique<Impl::Http>(*m_impl);
  m_impl->routes();
}

Server::~Server() {
  stop();
  m_impl->committer.stop();
}

Result<int> Server::bind() {
  const auto& o = m_impl->opt;
  int port = o.port;
  if (port == 0) {
    port = m_impl->http->bind_to_any_port(o.host);
    if (port <= 0)
      return make_error(ErrorKind::usage, "cannot listen on " + o.host + ": no free port");
  } else if (!m_impl->http->bind_to_port(o.host, port)) {
    return make_error(ErrorKind::usage, "cannot listen on " + o.host + ":" + std::to_string(port) +
                                            ": address in use or not available here; pick "
                                            "another --listen");
  }
  return port;
}

Status Server::run() {
  // A stop that came before the listening loop started (a signal at startup) is honoured too.
  const bool ok = m_impl->stopping.load() || m_impl->http->listen_after_bind();
  m_impl->committer.stop(); // every accepted event answered; drain what is queued
  if (!ok && !m_impl->stopping.load())
    return make_error(ErrorKind::unexpected, "the listening socket failed");
  return {};
}

void Server::stop() {
  if (m_impl->stopping.exchange(true)) return;
  m_impl->http->stop();
}

} // namespace crm::webhook
