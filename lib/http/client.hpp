// HTTP client interface (libcurl behind it) and the retry policy every provider client uses.
//
// The rule that keeps a purchase from happening twice: a request is repeated only when repeating
// it cannot do the thing twice. GET/HEAD/PUT/DELETE/OPTIONS may be repeated; POST/PATCH only with
// an idempotency key (the provider deduplicates) or when the caller says so. Whatever the method, a
// request that never left (DNS, refused, connect timeout, TLS handshake) and a 429 (the provider
// did not process it) may be repeated. A request that was sent and got no complete answer is
// ErrorKind::outcome_unknown: the caller must read the provider's state before trying again.
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crm::http {

/// Header names compare case-insensitively; stored lower-case.
using Headers = std::map<std::string, std::string>;

/// Whether a request may be sent again after it may have reached the provider.
enum class RetrySafety {
  by_method, // GET/HEAD/PUT/DELETE/OPTIONS yes; POST/PATCH only with an idempotency key
  safe,      // the caller vouches that repeating it does nothing twice (e.g. a POST that reads)
  unsafe,    // never repeat once sent, whatever the method
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers{};
  std::string body{};
  std::chrono::milliseconds timeout{30'000};
  /// Sent as `Idempotency-Key`; makes a POST/PATCH repeatable (RetrySafety::by_method).
  std::optional<std::string> idempotency_key{};
  RetrySafety retry_safety = RetrySafety::by_method;
  /// When set and true, the transfer is abandoned (ErrorKind::interrupted, or outcome_unknown
  /// when the request was already sent). RetryingClient fills it from its policy.
  const std::atomic<bool>* cancel = nullptr;
};

struct Response {
  int status = 0;
  Headers headers{}; // lower-case names
  std::string body{};
};

/// True when sending `req` twice cannot do its effect twice (see RetrySafety).
bool is_repeatable(const Request& req);
/// True for methods that repeat safely by themselves: GET, HEAD, PUT, DELETE, OPTIONS.
bool is_idempotent_method(const std::string& method);
/// The headers to send: `req.headers` plus `Idempotency-Key` when a key is given.
Headers headers_to_send(const Request& req);
/// Appends, once, to an outcome_unknown error's message: the provider may have processed the
/// request and its state must be read before sending it again.
Error with_outcome_unknown_advice(Error e);

/// Sends one request. Contract for implementations (RetryingClient relies on it):
/// - ErrorKind::upstream: a transport failure before any byte of the request was written
///   (DNS, connection refused, connect timeout, TLS handshake): nothing reached the provider;
/// - ErrorKind::outcome_unknown: (part of) the request was written and no complete answer came
///   back (timeout, connection reset, empty or truncated reply): it may have been processed;
/// - ErrorKind::interrupted: `req.cancel` was raised before anything was sent.
/// Any answer with a status line and full body is a Response, whatever its status.
class Client {
public:
  virtual ~Client() = default;
  virtual Result<Response> send(const Request& req) = 0;
};

/// Settings of the libcurl client.
struct CurlOptions {
  /// At most this many requests in flight at once; more callers wait for a slot.
  int max_in_flight = 8;
  std::chrono::milliseconds connect_timeout{10'000};
};

/// Counters of the libcurl client, for logs and tests.
struct TransportStats {
  std::uint64_t requests = 0;           // transfers performed
  std::uint64_t connections_opened = 0; // new connections (CURLINFO_NUM_CONNECTS summed)
  int peak_in_flight = 0;               // most transfers running at once
};

/// The libcurl client: TLS verification on, timeouts from the request, no redirects. Keeps a pool
/// of easy handles (at most max_in_flight) whose connection caches keep connections alive between
/// requests; `send` may be called from many threads at once. A request that is not repeatable
/// always goes out on a fresh connection: on a reused connection that dies before any answer byte,
/// libcurl silently re-sends the request on a new one (lib/transfer.c, Curl_retry_request).
class CurlClient : public Client {
public:
  virtual TransportStats stats() const = 0;
};

/// Makes the libcurl client.
std::unique_ptr<CurlClient> make_curl_client(CurlOptions options = {});

/// Retry policy: exponential backoff with full jitter, honouring Retry-After / retry-after-ms,
/// within an overall deadline, and stoppable through a cancel flag.
struct RetryPolicy {
  int max_retries = 3;
  std::chrono::milliseconds base{2000};
  std::chrono::milliseconds cap{30'000};
  /// Random source in [0,1): injected so tests are deterministic.
  std::function<double()> jitter{};
  /// Total time budget across attempts and sleeps (Clock::steady_now); zero means none. Each
  /// attempt's timeout is cut to what is left, and a retry whose sleep would cross it is not made.
  std::chrono::milliseconds deadline{0};
  /// When set and true: no further attempt, sleeps end early, send returns ErrorKind::interrupted.
  const std::atomic<bool>* cancel = nullptr;
  /// With a cancel flag, sleeps are cut into slices this long so the flag is seen promptly.
  std::chrono::milliseconds sleep_slice{100};
};

/// True for statuses worth retrying: 408, 409, 429, 5xx.
bool is_retryable_status(int status);
/// Delay requested by the server: `retry-after-ms`, then `Retry-After` (seconds or HTTP date,
/// relative to `now`); nullopt when absent or unparsable.
std::optional<std::chrono::milliseconds> retry_after(const Headers& h, TimePoint now);
/// The delay before retry number `attempt` (0-based): full jitter over min(cap, base*2^attempt),
/// or the server's Retry-After when given (capped).
std::chrono::milliseconds backoff_delay(const RetryPolicy& p, int attempt,
                                        std::optional<std::chrono::milliseconds> server_hint);

/// Wraps a client with the retry policy; sleeps through the Clock. What is retried:
/// - a transport failure before sending (ErrorKind::upstream), any method;
/// - a 429, any method (the provider did not process it);
/// - 408/409/5xx and outcome_unknown, only for repeatable requests (is_repeatable).
/// A request that is not repeatable and whose outcome is unknown is never retried: send returns
/// ErrorKind::outcome_unknown saying the provider may have processed it. Safe to share between
/// threads (last_attempts then reports whichever send finished last).
class RetryingClient final : public Client {
public:
  RetryingClient(Client& inner, Clock& clock, RetryPolicy policy);
  Result<Response> send(const Request& req) override;
  /// Number of attempts made by the last send (for logs and tests).
  int last_attempts() const { return m_last_attempts.load(); }

private:
  /// Sleeps `d` through the clock; false when cancelled meanwhile.
  bool sleep(std::chrono::milliseconds d);
  bool cancelled() const;

  Client& m_inner;
  Clock& m_clock;
  RetryPolicy m_policy;
  std::atomic<int> m_last_attempts{0};
};

/// application/x-www-form-urlencoded encoding of one value.
std::string url_encode(const std::string& s);
/// Encodes key=value pairs joined with '&' (order kept).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& kv);

} // namespace crm::http
