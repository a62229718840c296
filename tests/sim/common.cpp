// crm-sim: state helpers, the provider_route wrapper (log, faults, latency), parsing and masking.
#include "common.hpp"

#include "core/crypto.hpp"
#include "core/mask.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <thread>

namespace sim {

// ---- state --------------------------------------------------------------------------------------

void TwilioNumber::touch() {
  date_updated = std::max(unix_now(), date_updated + 1);
}

TwilioNumber* TwilioState::by_sid(const std::string& sid) {
  auto it = seq_of_sid.find(sid);
  if (it == seq_of_sid.end()) return nullptr;
  auto n = numbers.find(it->second);
  return n == numbers.end() ? nullptr : &n->second;
}

TwilioNumber* TwilioState::by_phone(const std::string& phone_number) {
  for (auto& [seq, n] : numbers)
    if (n.phone_number == phone_number) return &n;
  return nullptr;
}

ElevenLabsAgent* ElevenLabsWorkspace::agent(const std::string& agent_id) {
  for (auto& [seq, a] : agents)
    if (a.agent_id == agent_id) return &a;
  return nullptr;
}

ElevenLabsPhone* ElevenLabsWorkspace::phone(const std::string& phone_number_id) {
  for (auto& [seq, p] : phones)
    if (p.phone_number_id == phone_number_id) return &p;
  return nullptr;
}

ElevenLabsWorkspace& ElevenLabsState::workspace(const std::string& api_key) {
  auto it = workspaces.find(api_key);
  if (it != workspaces.end()) return it->second;
  auto& w = workspaces[api_key];
  w.index = static_cast<int>(workspaces.size()) - 1;
  return w;
}

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}
} // namespace

bool accept_credential(State& st, const std::string& provider, const std::string& value) {
  if (provider == "twilio") {
    auto parts = split(value, ':');
    // ACSID:SKKEY:SECRET names an API key acting for the account; anything else is ACSID:TOKEN.
    if (parts.size() == 3 && parts[1].rfind("SK", 0) == 0) {
      st.twilio.credentials[parts[1] + ":" + parts[2]] = parts[0];
      return true;
    }
    auto c = value.find(':');
    if (c == std::string::npos || c == 0) return false;
    st.twilio.credentials[value] = value.substr(0, c);
    return true;
  }
  if (provider == "elevenlabs") return st.elevenlabs.keys.insert(value), true;
  if (provider == "vapi") return st.vapi.keys.insert(value), true;
  if (provider == "retell") return st.retell.insert(value), true;
  if (provider == "google") return st.google.insert(value), true;
  return false;
}

// ---- replies and parsing ------------------------------------------------------------------------

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void json_reply(Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(dump(j), "application/json");
}

json parse_json(const std::string& body) {
  return json::parse(body, nullptr, false);
}

std::string percent_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string form_encode(const std::string& s) {
  static const char* k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 15]);
    }
  }
  return out;
}

std::string raw_query(const Request& req) {
  auto q = req.target.find('?');
  return q == std::string::npos ? "" : req.target.substr(q + 1);
}

bool is_secret_field(const std::string& name) {
  std::string n;
  for (unsigned char c : name)
    if (c != '_' && c != '-') n.push_back(static_cast<char>(std::tolower(c)));
  auto ends = [&](const std::string& suffix) {
    return n.size() >= suffix.size() &&
           n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends("token") || ends("secret") || ends("password") || ends("apikey");
}

namespace {

constexpr size_t k_logged_body_max = 16 * 1024;

void mask_json(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (is_secret_field(it.key()) && !it.value().is_null())
        it.value() = "***";
      else
        mask_json(it.value());
    }
  } else if (j.is_array()) {
    for (auto& v : j)
      mask_json(v);
  }
}

bool looks_like_form(const std::string& body) {
  if (body.find('=') == std::string::npos) return false;
  return std::none_of(body.begin(), body.end(), [](unsigned char c) {
    return std::isspace(c) || c == '{' || c == '[' || c == '"';
  });
}

std::string mask_form(const std::string& body) {
  std::string out;
  for (const auto& pair : split(body, '&')) {
    if (!out.empty()) out.push_back('&');
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    if (eq != std::string::npos && is_secret_field(key))
      out += pair.substr(0, eq) + "=***";
    else
      out += pair;
  }
  return out;
}

} // namespace

std::string masked_body(const Request& req) {
  const std::string& body = req.body;
  if (body.empty()) return "";
  std::string type = req.get_header_value("Content-Type");
  std::string out;
  json j = parse_json(body);
  if (!j.is_discarded() && (j.is_object() || j.is_array())) {
    mask_json(j);
    out = dump(j);
  } else if (type.find("x-www-form-urlencoded") != std::string::npos || looks_like_form(body)) {
    out = mask_form(body);
  } else {
    out = body;
  }
  if (out.size() > k_logged_body_max) out = out.substr(0, k_logged_body_max) + "...(truncated)";
  return out;
}

std::string basic_auth(const Request& req) {
  auto h = req.get_header_value("Authorization");
  if (h.rfind("Basic ", 0) != 0) return "";
  auto d = crm::crypto::base64_decode(h.substr(6));
  return d ? *d : "";
}

std::string bearer(const Request& req) {
  auto h = req.get_header_value("Authorization");
  return h.rfind("Bearer ", 0) == 0 ? h.substr(7) : "";
}

std::string random_hex(std::size_t n) {
  return crm::crypto::hex(crm::crypto::random_bytes(n));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc2822(std::int64_t unix_secs) {
  static const char* k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", k_days[tm.tm_wday],
                tm.tm_mday, k_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<long long> parse_count(const std::string& s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  long long v = 0;
  for (unsigned char c : s) {
    if (!std::isdigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool is_http_url(const std::string& s) {
  std::string lower;
  for (unsigned char c : s)
    lower.push_back(static_cast<char>(std::tolower(c)));
  size_t host_at;
  if (lower.rfind("https://", 0) == 0)
    host_at = 8;
  else if (lower.rfind("http://", 0) == 0)
    host_at = 7;
  else
    return false;
  if (host_at >= s.size() || s[host_at] == '/' || s[host_at] == ':') return false;
  return std::none_of(s.begin(), s.end(),
                      [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); });
}

std::string masked_key(const std::string& key) {
  return crm::mask_secret(key);
}

// ---- faults and the provider route wrapper ------------------------------------------------------

namespace {

/// Takes the first fault matching the request (counting the hit), if any.
std::optional<Fault> take_fault(State& st, const Request& req) {
  std::lock_guard lk(st.mu);
  ++st.hits[req.path];
  for (auto it = st.faults.begin(); it != st.faults.end(); ++it) {
    if (req.path.rfind(it->path_prefix, 0) != 0) continue;
    if (!it->method.empty() && it->method != req.method) continue;
    if (!it->body_contains.empty() && req.body.find(it->body_contains) == std::string::npos &&
        percent_decode(req.body, true).find(it->body_contains) == std::string::npos)
      continue;
    Fault f = *it;
    if (--it->count <= 0) st.faults.erase(it);
    return f;
  }
  return std::nullopt;
}

/// The accepted socket this request came in on (matched by peer and local port), or -1.
int socket_of(const Request& req, int local_port) {
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_in peer{}, local{};
    socklen_t pl = sizeof peer, ll = sizeof local;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (peer.sin_family == AF_INET && ntohs(peer.sin_port) == req.remote_port &&
        ntohs(local.sin_port) == local_port)
      return fd;
  }
  return -1;
}

/// Cuts the answer the handler prepared: half a body, or nothing at all.
void drop_answer(State& st, const Request& req, Response& res, const std::string& how) {
  if (how == "close") {
    int fd = socket_of(req, st.port);
    if (fd >= 0) shutdown(fd, SHUT_RDWR); // httplib's own write then fails, and it closes the fd
    return;
  }
  std::string body = res.body.empty() ? std::string(64, ' ') : res.body;
  std::string type = res.get_header_value("Content-Type");
  res.body.clear();
  res.headers.erase("Content-Type"); // set_content_provider sets it again
  res.set_content_provider(body.size(), type.empty() ? "application/json" : type,
                           [body](size_t, size_t, httplib::DataSink& sink) {
                             sink.write(body.data(), body.size() / 2);
                             return false; // httplib aborts the connection mid-body
                           });
}

json logged_headers(const Request& req) {
  json h = json::object();
  for (const auto& [k, v] : req.headers) {
    std::string lk = k;
    for (auto& c : lk)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    h[lk] = (lk == "authorization" || lk == "xi-api-key") ? "***" : v;
  }
  return h;
}

const char* reason(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Error";
  }
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

/// The error body the provider owning `path` would send with `status`.
json fault_body(const std::string& path, int status) {
  if (starts_with(path, "/2010-04-01/")) {
    int code = status >= 400 && status < 600 ? 20000 + status : 20500;
    return {{"code", code},
            {"message", reason(status)},
            {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
            {"status", status}};
  }
  if (starts_with(path, "/v1/")) {
    std::string kind = status == 429   ? "too_many_concurrent_requests"
                       : status >= 500 ? "system_busy"
                                       : "injected_fault";
    return {
        {"detail", {{"status", kind}, {"message", std::string(reason(status)) + " (injected)"}}}};
  }
  if (starts_with(path, "/assistant") || starts_with(path, "/tool"))
    return {{"message", std::string(reason(status)) + " (injected)"},
            {"error", reason(status)},
            {"statusCode", status}};
  return {{"message", "injected fault"}};
}

json log_entry(const Request& req, std::string body) {
  return {{"method", req.method},
          {"path", req.path},
          {"query", raw_query(req)},
          {"headers", logged_headers(req)},
          {"body", std::move(body)},
          {"idempotency_key", req.get_header_value("Idempotency-Key")},
          {"remote_port", req.remote_port},
          {"processed", false},
          {"answer", "pending"}};
}

} // namespace

httplib::Server::Handler provider_route(State& st, httplib::Server::Handler handler) {
  return [&st, handler](const Request& req, Response& res) {
    json entry = log_entry(req, masked_body(req));
    size_t index;
    int latency;
    {
      std::lock_guard lk(st.mu);
      st.max_in_flight = std::max(st.max_in_flight, ++st.in_flight);
      index = st.requests.size();
      st.requests.push_back(std::move(entry));
      latency = st.latency_ms;
    }
    auto finish = [&](bool processed, const std::string& answer) {
      std::lock_guard lk(st.mu);
      --st.in_flight;
      st.requests[index]["processed"] = processed;
      st.requests[index]["answer"] = answer;
    };
    auto fault = take_fault(st, req);
    if (fault && fault->delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));
    if (fault && fault->status > 0) {
      if (!fault->retry_after.empty()) res.set_header("Retry-After", fault->retry_after);
      json_reply(res, fault->status,
                 fault->answer_body ? *fault->answer_body : fault_body(req.path, fault->status));
      return finish(false, "fault " + std::to_string(fault->status));
    }
    handler(req, res);
    if (fault && !fault->drop.empty()) {
      drop_answer(st, req, res, fault->drop);
      return finish(true, "dropped (" + fault->drop + ")");
    }
    finish(true, std::to_string(res.status));
  };
}

void log_unrouted(State& st, const Request& req) {
  json entry = log_entry(req, masked_body(req));
  entry["answer"] = "404 (no such route)";
  std::lock_guard lk(st.mu);
  st.requests.push_back(std::move(entry));
}

} // namespace sim
