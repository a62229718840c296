#include "providers/verify.hpp"
#include "core/crypto.hpp"
#include "http/provider_error.hpp"

namespace crm::providers {

const std::map<std::string, std::vector<std::string>>& credential_fields() {
  static const std::map<std::string, std::vector<std::string>> k_fields = {
      {"twilio", {"account_sid", "auth_token"}},
      {"elevenlabs", {"api_key"}},
      {"retell", {"api_key"}},
      {"google", {"client_id", "client_secret", "refresh_token"}},
  };
  return k_fields;
}

std::string default_base_url(const std::string& p) {
  if (p == "twilio") return "https://api.twilio.com";
  if (p == "elevenlabs") return "https://api.elevenlabs.io";
  if (p == "retell") return "https://api.retellai.com";
  if (p == "google") return "https://oauth2.googleapis.com";
  if (p == "vapi") return "https://api.vapi.ai";
  return "";
}

Status verify_credentials(http::Client& http, const std::string& provider, const std::string& base,
                          const std::map<std::string, std::string>& v) {
  auto val = [&](const char* k) {
    auto it = v.find(k);
    return it == v.end() ? std::string() : it->second;
  };
  http::Request req;
  req.timeout = std::chrono::milliseconds(15'000);
  if (provider == "twilio") {
    req.url = base + "/2010-04-01/Accounts/" + http::url_encode(val("account_sid")) + ".json";
    req.headers["Authorization"] =
        "Basic " + crypto::base64_encode(val("account_sid") + ":" + val("auth_token"));
  } else if (provider == "elevenlabs") {
    req.url = base + "/v1/user";
    req.headers["xi-api-key"] = val("api_key");
  } else if (provider == "retell") {
    req.url = base + "/list-agents";
    req.headers["Authorization"] = "Bearer " + val("api_key");
  } else if (provider == "vapi") {
    req.url = base + "/assistant?limit=1";
    req.headers["Authorization"] = "Bearer " + val("api_key");
  } else if (provider == "google") {
    req.method = "POST";
    req.url = base + "/token";
    req.headers["Content-Type"] = "application/x-www-form-urlencoded";
    req.body = http::form_encode({{"grant_type", "refresh_token"},
                                  {"client_id", val("client_id")},
                                  {"client_secret", val("client_secret")},
                                  {"refresh_token", val("refresh_token")}});
  } else {
    return make_error(ErrorKind::usage, "cannot verify provider '" + provider + "'");
  }
  // Every check only reads (Google's token refresh too), so it may be repeated freely.
  req.retry_safety = http::RetrySafety::safe;
  auto r = http.send(req);
  if (!r) {
    if (r.error().kind == ErrorKind::interrupted) return std::move(r).error();
    Error e = std::move(r).error();
    e.kind = ErrorKind::upstream;
    e.message = provider + " unreachable: " + e.message;
    return e;
  }
  if (r->status >= 200 && r->status < 300) return {};
  if (r->status == 401 || r->status == 403 || (provider == "google" && r->status == 400))
    return http::provider_error(*r, ErrorKind::config, provider + " rejected the credentials");
  return http::provider_error(*r, ErrorKind::upstream,
                              provider + " answered " + std::to_string(r->status));
}

} // namespace crm::providers
