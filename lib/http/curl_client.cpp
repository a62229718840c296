#include "http/client.hpp"

#include <curl/curl.h>

#include <mutex>

namespace crm::http {
namespace {

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon), v = line.substr(colon + 1);
    for (auto& c : k)
      c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t\r\n");
    (*static_cast<Headers*>(ud))[k] = b == std::string::npos ? "" : v.substr(b, e - b + 1);
  }
  return size * n;
}

class CurlClient final : public Client {
public:
  CurlClient() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  Result<Response> send(const Request& req) override {
    CURL* h = curl_easy_init();
    if (!h) return make_error(ErrorKind::unexpected, "curl_easy_init failed");
    Response resp;
    curl_slist* hdrs = nullptr;
    for (const auto& [k, v] : req.headers)
      hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (!req.body.empty() || req.method == "POST" || req.method == "PATCH" || req.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK)
      return make_error(ErrorKind::upstream,
                        req.method + " " + strip_query(req.url) + ": " + curl_easy_strerror(rc));
    resp.status = static_cast<int>(status);
    return resp;
  }

private:
  static std::string strip_query(const std::string& url) { return url.substr(0, url.find('?')); }
};

} // namespace

std::unique_ptr<Client> make_curl_client() {
  return std::make_unique<CurlClient>();
}

} // namespace crm::http
