#include "http/client.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <random>

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

RetryingClient::RetryingClient(Client& inner, Clock& clock, RetryPolicy policy)
    : m_inner(inner), m_clock(clock), m_policy(std::move(policy)) {
  if (!m_policy.jitter) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    m_policy.jitter = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  }
}

Result<Response> RetryingClient::send(const Request& req) {
  m_last_attempts = 0;
  for (int attempt = 0;; ++attempt) {
    ++m_last_attempts;
    auto r = m_inner.send(req);
    bool last = attempt >= m_policy.max_retries;
    if (r.ok()) {
      int s = r->status;
      bool retry = req.idempotent ? is_retryable_status(s) : s == 429;
      if (!retry || last) return r;
      m_clock.sleep_for(backoff_delay(m_policy, attempt, retry_after(r->headers, m_clock.now())));
      continue;
    }
    if (!req.idempotent || last) return r;
    m_clock.sleep_for(backoff_delay(m_policy, attempt, std::nullopt));
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
