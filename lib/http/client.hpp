// HTTP client interface (libcurl behind it) and the retry policy every provider client uses.
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crm::http {

/// Header names compare case-insensitively; stored lower-case.
using Headers = std::map<std::string, std::string>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
  /// Safe to repeat after a connection error or 5xx (GET, DELETE, PATCH with same body...).
  bool idempotent = true;
};

struct Response {
  int status = 0;
  Headers headers; // lower-case names
  std::string body;
};

/// Sends one request; transport failures (DNS, refused, timeout, TLS) are upstream errors.
class Client {
public:
  virtual ~Client() = default;
  virtual Result<Response> send(const Request& req) = 0;
};

/// libcurl implementation: TLS verification on, timeouts from the request, no redirects.
std::unique_ptr<Client> make_curl_client();

/// Retry policy: exponential backoff with full jitter, honouring Retry-After / retry-after-ms.
struct RetryPolicy {
  int max_retries = 3;
  std::chrono::milliseconds base{2000};
  std::chrono::milliseconds cap{30'000};
  /// Random source in [0,1): injected so tests are deterministic.
  std::function<double()> jitter;
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

/// Wraps a client with the retry policy; sleeps through the Clock. Non-idempotent requests are
/// retried only on 429 (the provider did not process them).
class RetryingClient final : public Client {
public:
  RetryingClient(Client& inner, Clock& clock, RetryPolicy policy);
  Result<Response> send(const Request& req) override;
  /// Number of attempts made by the last send (for logs and tests).
  int last_attempts() const { return m_last_attempts; }

private:
  Client& m_inner;
  Clock& m_clock;
  RetryPolicy m_policy;
  int m_last_attempts = 0;
};

/// application/x-www-form-urlencoded encoding of one value.
std::string url_encode(const std::string& s);
/// Encodes key=value pairs joined with '&' (order kept).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& kv);

} // namespace crm::http
