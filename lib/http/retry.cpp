#include "http/client.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <mutex>
#include <random>
#include <string_view>

namespace crm::http {

bool is_retryable_status(int s) {
  return s == 408 || s == 409 || s == 429 || (s >= 500 && s < 600);
}

std::optional<std::chrono::milliseconds> retry_after(const Headers& h, TimePoint now) {
  if (auto it = h.find("retry-after-ms"); it != h.end()) {
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (end && *end == '\0' && v >= 0) return std::chrono::milliseconds(v);
  }
  auto it = h.find("retry-after");
  if (it == h.end()) return std::nullopt;
  const std::string& v = it->second;
  if (!v.empty() && std::all_of(v.begin(), v.end(), ::isdigit))
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  std::tm tm{};
  if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
    auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
    return std::max(d, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& p, int attempt,
                                        std::optional<std::chrono::milliseconds> hint) {
  if (hint) return std::min(*hint, p.cap);
  double ceiling = std::min(static_cast<double>(p.cap.count()),
                            static_cast<double>(p.base.count()) * std::pow(2.0, attempt));
  double r = p.jitter ? p.jitter() : 1.0;
  return std::chrono::milliseconds(static_cast<long long>(ceiling * r));
}

namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string describe(const Request& req) {
  return req.method + " " + req.url.substr(0, req.url.find('?'));
}

constexpr std::string_view k_advice =
    "the provider may have processed it: read the provider's state before sending it again";

} // namespace

bool is_idempotent_method(const std::string& method) {
  auto m = upper(method);
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

bool is_repeatable(const Request& req) {
  switch (req.retry_safety) {
  case RetrySafety::safe:
    return true;
  case RetrySafety::unsafe:
    return false;
  case RetrySafety::by_method:
    break;
  }
  if (is_idempotent_method(req.method)) return true;
  return req.idempotency_key.has_value() && !req.idempotency_key->empty();
}

Headers headers_to_send(const Request& req) {
  Headers h = req.headers;
  if (!req.idempotency_key || req.idempotency_key->empty()) return h;
  for (const auto& [k, v] : h)
    if (lower(k) == "idempotency-key") return h; // the caller's own header wins
  h["Idempotency-Key"] = *req.idempotency_key;
  return h;
}

Error with_outcome_unknown_advice(Error e) {
  if (e.message.find(k_advice) == std::string::npos) e.message += "; " + std::string(k_advice);
  return e;
}

RetryingClient::RetryingClient(Client& inner, Clock& clock, RetryPolicy policy)
    : m_inner(inner), m_clock(clock), m_policy(std::move(policy)) {
  if (!m_policy.jitter) {
    struct Source {
      std::mutex mu;
      std::mt19937_64 rng{std::random_device{}()};
    };
    auto src = std::make_shared<Source>();
    m_policy.jitter = [src] {
      std::lock_guard lk(src->mu);
      return std::uniform_real_distribution<double>(0.0, 1.0)(src->rng);
    };
  }
  if (m_policy.sleep_slice <= std::chrono::milliseconds(0))
    m_policy.sleep_slice = std::chrono::milliseconds(100);
}

bool RetryingClient::cancelled() const {
  return m_policy.cancel && m_policy.cancel->load();
}

bool RetryingClient::sleep(std::chrono::milliseconds d) {
  if (!m_policy.cancel) {
    m_clock.sleep_for(d);
    return true;
  }
  while (d > std::chrono::milliseconds(0)) {
    if (cancelled()) return false;
    auto step = std::min(d, m_policy.sleep_slice);
    m_clock.sleep_for(step);
    d -= step;
  }
  return !cancelled();
}

Result<Response> RetryingClient::send(const Request& in) {
  using std::chrono::milliseconds;
  Request req = in;
  req.headers = headers_to_send(in);
  if (!req.cancel) req.cancel = m_policy.cancel;
  const bool repeatable = is_repeatable(req);
  const bool has_deadline = m_policy.deadline > milliseconds(0);
  const auto deadline_at = m_clock.steady_now() + m_policy.deadline;
  auto left = [&] {
    return std::chrono::duration_cast<milliseconds>(deadline_at - m_clock.steady_now());
  };
  int attempts = 0;
  auto finish = [&](Result<Response> r) {
    m_last_attempts = attempts;
    return r;
  };
  auto interrupted = [&] {
    return finish(make_error(ErrorKind::interrupted,
                             describe(req) + ": interrupted after " + std::to_string(attempts) +
                                 (attempts == 1 ? " attempt" : " attempts")));
  };
  auto give_up = [&](Result<Response> r) {
    if (r.ok() || attempts < 2) return finish(std::move(r));
    Error e = std::move(r).error();
    e.message += " (after " + std::to_string(attempts) + " attempts)";
    return finish(std::move(e));
  };

  for (int attempt = 0;; ++attempt) {
    if (cancelled()) return interrupted();
    Request one = req;
    if (has_deadline) {
      auto remaining = left();
      if (remaining <= milliseconds(0))
        return finish(make_error(ErrorKind::upstream,
                                 describe(req) + ": no time left in the retry deadline"));
      one.timeout = std::min(one.timeout, remaining);
    }
    ++attempts;
    auto r = m_inner.send(one);
    std::optional<milliseconds> hint;
    if (r.ok()) {
      int s = r->status;
      bool retry = s == 429 || (repeatable && is_retryable_status(s));
      if (!retry) return finish(std::move(r));
      hint = retry_after(r->headers, m_clock.now());
    } else {
      ErrorKind kind = r.error().kind;
      if (kind == ErrorKind::outcome_unknown && !repeatable)
        return finish(with_outcome_unknown_advice(std::move(r).error()));
      if (kind != ErrorKind::upstream && kind != ErrorKind::outcome_unknown)
        return finish(std::move(r)); // interrupted, unexpected...: not a transport failure
    }
    if (attempt >= m_policy.max_retries) return give_up(std::move(r));
    auto delay = backoff_delay(m_policy, attempt, hint);
    if (has_deadline && delay >= left()) return give_up(std::move(r));
    if (!sleep(delay)) return interrupted();
  }
}

std::string url_encode(const std::string& s) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      o.push_back(static_cast<char>(c));
    else {
      o.push_back('%');
      o.push_back(k_hex[c >> 4]);
      o.push_back(k_hex[c & 15]);
    }
  }
  return o;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string o;
  for (const auto& [k, v] : kv) {
    if (!o.empty()) o.push_back('&');
    o += url_encode(k) + "=" + url_encode(v);
  }
  return o;
}

} // namespace crm::http
