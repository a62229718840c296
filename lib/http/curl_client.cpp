// The libcurl client: a pool of easy handles (connections stay alive in each handle's cache
// between requests), a semaphore bounding requests in flight, and the facts libcurl reports
// about a failed transfer (bytes of the request written) to tell "never sent" from "outcome
// unknown".
#include "http/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <semaphore>

namespace crm::http {
namespace {

struct Transfer {
  Response resp;
  const std::atomic<bool>* cancel = nullptr;
};

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  static_cast<Transfer*>(ud)->resp.body.append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto& headers = static_cast<Transfer*>(ud)->resp.headers;
  std::string line(p, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear(); // a new header block (after 100 Continue, or a curl-internal re-send)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon), v = line.substr(colon + 1);
    for (auto& c : k)
      c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t\r\n");
    headers[k] = b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }
  return size * n;
}

int on_progress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<Transfer*>(ud)->cancel;
  return cancel && cancel->load() ? 1 : 0; // non-zero aborts: CURLE_ABORTED_BY_CALLBACK
}

std::string describe(const Request& req) {
  return req.method + " " + req.url.substr(0, req.url.find('?'));
}

bool is_safe_read(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

class PooledCurlClient final : public CurlClient {
public:
  explicit PooledCurlClient(CurlOptions options)
      : m_options(options), m_slots(std::max(1, options.max_in_flight)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  ~PooledCurlClient() override {
    for (CURL* h : m_idle)
      curl_easy_cleanup(h);
  }

  TransportStats stats() const override {
    return {m_requests.load(), m_connections.load(), m_peak.load()};
  }

  Result<Response> send(const Request& req) override {
    using namespace std::chrono_literals;
    while (!m_slots.try_acquire_for(50ms))
      if (req.cancel && req.cancel->load())
        return make_error(ErrorKind::interrupted,
                          describe(req) + ": interrupted while waiting for a connection slot");
    InFlight slot(*this);
    CURL* h = take_handle();
    if (!h) return make_error(ErrorKind::unexpected, "curl_easy_init failed");
    auto r = perform(h, req);
    give_back(h);
    return r;
  }

private:
  /// Holds one semaphore slot and the in-flight counters for the length of a transfer.
  class InFlight {
  public:
    explicit InFlight(PooledCurlClient& c) : m_c(c) {
      int now = ++m_c.m_in_flight;
      int peak = m_c.m_peak.load();
      while (now > peak && !m_c.m_peak.compare_exchange_weak(peak, now)) {
      }
    }
    ~InFlight() {
      --m_c.m_in_flight;
      m_c.m_slots.release();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

  private:
    PooledCurlClient& m_c;
  };

  CURL* take_handle() {
    {
      std::lock_guard lk(m_mu);
      if (!m_idle.empty()) {
        CURL* h = m_idle.back(); // most recently used: its connection is the likeliest alive
        m_idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void give_back(CURL* h) {
    std::lock_guard lk(m_mu);
    m_idle.push_back(h);
  }

  Result<Response> perform(CURL* h, const Request& req) {
    // Reset clears every option but keeps the handle's live connections and caches.
    curl_easy_reset(h);
    Transfer t;
    t.cancel = req.cancel;
    curl_slist* hdrs = nullptr;
    bool has_expect = false;
    for (const auto& [k, v] : headers_to_send(req)) {
      std::string lk = k;
      for (auto& c : lk)
        c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      has_expect = has_expect || lk == "expect";
      hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    }
    // No "Expect: 100-continue" round trip: the body goes with the headers.
    if (!has_expect) hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    if (req.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (!req.body.empty() || req.method == "POST" || req.method == "PATCH" ||
          req.method == "PUT") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
      }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(m_options.connect_timeout, req.timeout).count()));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // libcurl re-sends a request on a fresh connection when a reused one dies before any byte
    // of the answer; for a request that must not be repeated, never start on a reused one.
    if (!is_repeatable(req)) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    if (req.cancel) {
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }

    CURLcode rc = curl_easy_perform(h);

    long status = 0, request_bytes = 0, connects = 0;
    curl_off_t body_bytes = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes); // header bytes written
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &body_bytes);   // body bytes written
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(hdrs);
    ++m_requests;
    m_connections += static_cast<std::uint64_t>(std::max(0L, connects));

    if (rc == CURLE_OK) {
      t.resp.status = static_cast<int>(status);
      return std::move(t.resp);
    }
    const bool sent = request_bytes > 0 || body_bytes > 0;
    std::string what = describe(req) + ": " + curl_easy_strerror(rc);
    if (!sent) {
      if (rc == CURLE_ABORTED_BY_CALLBACK)
        return make_error(ErrorKind::interrupted, describe(req) + ": interrupted before sending");
      return make_error(ErrorKind::upstream, what + " (nothing was sent)");
    }
    what += rc == CURLE_ABORTED_BY_CALLBACK ? " (interrupted)" : "";
    what += " after the request was sent";
    if (status > 0) what += " (HTTP " + std::to_string(status) + " began to arrive)";
    Error e = make_error(ErrorKind::outcome_unknown, std::move(what));
    e.http_status = static_cast<int>(status);
    return is_safe_read(req.method) ? e : with_outcome_unknown_advice(std::move(e));
  }

  CurlOptions m_options;
  std::counting_semaphore<> m_slots;
  std::mutex m_mu;
  std::vector<CURL*> m_idle;
  std::atomic<std::uint64_t> m_requests{0}, m_connections{0};
  std::atomic<int> m_in_flight{0}, m_peak{0};
};

} // namespace

std::unique_ptr<CurlClient> make_curl_client(CurlOptions options) {
  return std::make_unique<PooledCurlClient>(options);
}

} // namespace crm::http
