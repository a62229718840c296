// What the provider clients (Twilio, ElevenLabs, Vapi) share: reading string fields of a JSON
// answer, and the shape of every request (auth header, Accept JSON, the 30 s timeout).
#pragma once
#include "http/client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace crm::providers {

/// A string field, "" when absent or not a string (providers send null for unset values).
inline std::string json_string(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// A request to `url` carrying one credential header; answers are asked for as JSON.
inline http::Request api_request(std::string method, std::string url, const char* auth_header,
                                 std::string auth_value) {
  http::Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers[auth_header] = std::move(auth_value);
  r.headers["Accept"] = "application/json";
  r.timeout = std::chrono::milliseconds(30'000);
  return r;
}

/// `r` with a JSON body.
inline http::Request with_json(http::Request r, const nlohmann::json& body) {
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump();
  return r;
}

} // namespace crm::providers
