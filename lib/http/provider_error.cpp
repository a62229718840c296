#include "http/provider_error.hpp"

#include <nlohmann/json.hpp>

namespace crm::http {
namespace {

using nlohmann::json;

/// A JSON scalar as text: strings as they are, numbers without quotes; empty otherwise.
std::string scalar_text(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<long long>());
  if (j.is_number() || j.is_boolean()) return j.dump();
  return "";
}

std::string field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? "" : scalar_text(*it);
}

/// "a; b; c" from a list of strings, or of validation objects ({loc, msg, type}).
std::string join_messages(const json& list, std::string* first_type) {
  std::string out;
  for (const auto& item : list) {
    std::string one;
    if (item.is_string()) {
      one = item.get<std::string>();
    } else if (item.is_object()) {
      one = field(item, "msg");
      if (one.empty()) one = field(item, "message");
      if (auto loc = item.find("loc"); loc != item.end() && loc->is_array() && !loc->empty()) {
        std::string path;
        for (const auto& part : *loc) {
          std::string p = scalar_text(part);
          if (p == "body" && path.empty()) continue; // FastAPI's location prefix
          path += (path.empty() ? "" : ".") + p;
        }
        if (!path.empty()) one = path + ": " + one;
      }
      if (first_type && first_type->empty()) *first_type = field(item, "type");
    }
    if (one.empty()) continue;
    out += (out.empty() ? "" : "; ") + one;
  }
  return out;
}

/// A short plain-text body is worth showing; HTML error pages and long dumps are not.
std::string plain_text(const std::string& body) {
  auto b = body.find_first_not_of(" \t\r\n"), e = body.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::string t = body.substr(b, e - b + 1);
  if (t.size() > 200 || t.find('<') != std::string::npos) return "";
  for (unsigned char c : t)
    if (c < 0x20 && c != '\t') return "";
  return t;
}

} // namespace

ProviderFault parse_provider_fault(const Response& r) {
  ProviderFault f;
  f.http_status = r.status;
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (auto d = j.find("detail"); d != j.end()) {
      // ElevenLabs (FastAPI): an object {status, message}, a string, or validation errors.
      if (d->is_object()) {
        f.code = field(*d, "status");
        if (f.code.empty()) f.code = field(*d, "code");
        f.message = field(*d, "message");
      } else if (d->is_string()) {
        f.message = d->get<std::string>();
      } else if (d->is_array()) {
        f.message = join_messages(*d, &f.code);
      }
    } else if (auto e = j.find("error"); e != j.end() && e->is_object()) {
      // Google APIs {"error":{"code":401,"message":"...","status":"UNAUTHENTICATED"}}.
      f.code = field(*e, "status");
      if (f.code.empty()) f.code = field(*e, "code");
      f.message = field(*e, "message");
    } else if (j.contains("error_message")) {
      // Retell.
      f.message = field(j, "error_message");
      f.code = field(j, "error_code");
    } else if (auto m = j.find("message"); m != j.end()) {
      // Twilio {code, message, more_info, status}; Vapi (NestJS) {message, error, statusCode}.
      f.message = m->is_array() ? join_messages(*m, nullptr) : scalar_text(*m);
      f.code = field(j, "code");
      if (f.code.empty()) f.code = field(j, "error");
    } else if (j.contains("error")) {
      // Google OAuth {error, error_description}.
      f.code = field(j, "error");
      f.message = field(j, "error_description");
      if (f.message.empty()) f.message = f.code;
    }
  } else if (j.is_discarded()) {
    f.message = plain_text(r.body);
  }
  if (f.message.empty()) f.message = "HTTP " + std::to_string(r.status);
  return f;
}

ErrorKind error_kind_for_status(int status) {
  if (status == 401 || status == 403) return ErrorKind::config;
  if (status == 404) return ErrorKind::not_found;
  if (status == 409) return ErrorKind::conflict;
  return ErrorKind::upstream;
}

Error provider_error(const Response& r, ErrorKind kind, const std::string& summary) {
  auto f = parse_provider_fault(r);
  std::string msg = summary + ": " + f.message;
  if (!f.code.empty() && f.message.find(f.code) == std::string::npos)
    msg += " (code " + f.code + ")";
  Error e = make_error(kind, std::move(msg));
  e.http_status = r.status;
  e.provider_code = std::move(f.code);
  e.provider_message = std::move(f.message);
  return e;
}

} // namespace crm::http
