// crm-sim: a local simulator of the provider HTTP contracts in shared/docs/providers.md, with
// fault injection. In-memory state; never reaches the internet.
//   crm-sim --port 0 --port-file F --accept twilio:ACSID:TOKEN --accept elevenlabs:KEY
//           --accept retell:KEY --accept google:CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN
// Faults: POST /__sim/faults with
//   {"path_prefix":"/v1/user","method":"GET","count":2,   which requests (method optional)
//    "status":503,"retry_after":"1",                        answer this instead (not processed)
//    "delay_ms":800,                                         wait this long before anything else
//    "drop":"partial"|"close"}                               process, then never answer fully
// "status" defaults to 503 unless "delay_ms" or "drop" is given (then the handler runs as usual).
// "drop": the request is processed (its effect is kept, it counts as processed), then the answer
// is cut: "partial" declares a Content-Length and sends half the body; "close" shuts the socket
// down before any byte of the answer. That is the "committed, then the connection died" case.
// Twilio numbers: POST/GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json (in memory; the
// test credentials' magic numbers and AreaCode 533/500 behave as providers.md says).
// Inspection: GET /__sim/hits (path -> count), GET /__sim/requests (method, path, headers with
// credentials masked, idempotency_key, remote_port, processed, answer), GET /__sim/stats
// (in_flight, max_in_flight).
#include "core/crypto.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Fault {
  std::string path_prefix;
  std::string method; // empty: any
  int status = 503;   // 0: let the handler answer
  int count = 1;
  std::string retry_after;
  int delay_ms = 0;
  std::string drop; // "", "partial", "close"
};

struct Number {
  std::string sid, phone_number, friendly_name, account_sid;
};

struct State {
  std::mutex mu;
  std::set<std::string> twilio;     // "SID:TOKEN"
  std::set<std::string> elevenlabs; // api keys
  std::set<std::string> retell;     // api keys
  std::set<std::string> google;     // "client:secret:refresh"
  std::vector<Fault> faults;
  std::map<std::string, int> hits; // path -> count
  nlohmann::json requests = nlohmann::json::array();
  int in_flight = 0, max_in_flight = 0;
  std::map<std::string, Number> numbers; // Twilio numbers bought, by phone number
  int port = 0;
};

void json_reply(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

/// Takes the first fault matching the request (counting the hit), if any.
std::optional<Fault> take_fault(State& st, const httplib::Request& req) {
  std::lock_guard lk(st.mu);
  ++st.hits[req.path];
  for (auto it = st.faults.begin(); it != st.faults.end(); ++it) {
    if (req.path.rfind(it->path_prefix, 0) != 0) continue;
    if (!it->method.empty() && it->method != req.method) continue;
    Fault f = *it;
    if (--it->count <= 0) st.faults.erase(it);
    return f;
  }
  return std::nullopt;
}

/// The accepted socket this request came in on (matched by peer and local port), or -1.
int socket_of(const httplib::Request& req, int local_port) {
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
void drop_answer(State& st, const httplib::Request& req, httplib::Response& res,
                 const std::string& how) {
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

nlohmann::json logged_headers(const httplib::Request& req) {
  nlohmann::json h = nlohmann::json::object();
  for (const auto& [k, v] : req.headers) {
    std::string lk = k;
    for (auto& c : lk)
      c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    h[lk] = (lk == "authorization" || lk == "xi-api-key") ? "***" : v;
  }
  return h;
}

/// Wraps a provider handler: logs the request, applies faults, counts concurrency.
httplib::Server::Handler provider_route(State& st, httplib::Server::Handler handler) {
  return [&st, handler](const httplib::Request& req, httplib::Response& res) {
    size_t index;
    {
      std::lock_guard lk(st.mu);
      st.max_in_flight = std::max(st.max_in_flight, ++st.in_flight);
      index = st.requests.size();
      st.requests.push_back({{"method", req.method},
                             {"path", req.path},
                             {"headers", logged_headers(req)},
                             {"idempotency_key", req.get_header_value("Idempotency-Key")},
                             {"remote_port", req.remote_port},
                             {"processed", false},
                             {"answer", "pending"}});
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
    if (fault && fault->status > 0) {
      res.status = fault->status;
      if (!fault->retry_after.empty()) res.set_header("Retry-After", fault->retry_after);
      res.set_content(R"({"message":"injected fault"})", "application/json");
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

void twilio_error(httplib::Response& res, int status, int code, const std::string& message) {
  json_reply(res, status,
             {{"code", code},
              {"message", message},
              {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
              {"status", status}});
}

std::string basic_auth(const httplib::Request& req) {
  auto h = req.get_header_value("Authorization");
  if (h.rfind("Basic ", 0) != 0) return "";
  auto d = crm::crypto::base64_decode(h.substr(6));
  return d ? *d : "";
}

} // namespace

int main(int argc, char** argv) {
  State st;
  int port = 0;
  std::string port_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port")
      port = std::stoi(next());
    else if (a == "--port-file")
      port_file = next();
    else if (a == "--accept") {
      std::string v = next();
      auto c = v.find(':');
      std::string kind = v.substr(0, c), rest = c == std::string::npos ? "" : v.substr(c + 1);
      if (kind == "twilio")
        st.twilio.insert(rest);
      else if (kind == "elevenlabs")
        st.elevenlabs.insert(rest);
      else if (kind == "retell")
        st.retell.insert(rest);
      else if (kind == "google")
        st.google.insert(rest);
    } else {
      std::cerr << "crm-sim: unknown argument " << a << "\n";
      return 2;
    }
  }

  httplib::Server srv;
  // Enough workers that idle keep-alive connections (each holds one) never starve new ones.
  srv.new_task_queue = [] { return new httplib::ThreadPool(32); };
  srv.Get("/__sim/health", [](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, {{"ok", true}});
  });
  srv.Post("/__sim/faults", [&](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return json_reply(res, 400, {{"error", "bad json"}});
    Fault f;
    f.path_prefix = j.value("path_prefix", "/");
    f.method = j.value("method", "");
    f.count = j.value("count", 1);
    f.retry_after = j.value("retry_after", "");
    f.delay_ms = j.value("delay_ms", 0);
    f.drop = j.value("drop", "");
    if (!f.drop.empty() && f.drop != "partial" && f.drop != "close")
      return json_reply(res, 400, {{"error", "drop is partial or close"}});
    f.status = j.value("status", f.delay_ms > 0 || !f.drop.empty() ? 0 : 503);
    std::lock_guard lk(st.mu);
    st.faults.push_back(f);
    json_reply(res, 201, {{"ok", true}});
  });
  srv.Post("/__sim/accept", [&](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    std::string kind = j.value("provider", ""), v = j.value("value", "");
    if (kind == "twilio")
      st.twilio.insert(v);
    else if (kind == "elevenlabs")
      st.elevenlabs.insert(v);
    else if (kind == "retell")
      st.retell.insert(v);
    else if (kind == "google")
      st.google.insert(v);
    json_reply(res, 201, {{"ok", true}});
  });
  srv.Get("/__sim/hits", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, st.hits);
  });
  srv.Get("/__sim/requests", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, st.requests);
  });
  srv.Get("/__sim/stats", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, {{"in_flight", st.in_flight}, {"max_in_flight", st.max_in_flight}});
  });

  // Twilio: fetch an account (what `creds verify twilio` calls).
  auto twilio_authorised = [&](const httplib::Request& req, const std::string& sid) {
    std::string auth = basic_auth(req);
    std::lock_guard lk(st.mu);
    return st.twilio.count(auth) && auth.rfind(sid + ":", 0) == 0;
  };
  srv.Get(R"(/2010-04-01/Accounts/([A-Za-z0-9]+)\.json)",
          provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
            std::string sid = req.matches[1];
            if (!twilio_authorised(req, sid)) return twilio_error(res, 401, 20003, "Authenticate");
            json_reply(res, 200,
                       {{"sid", sid},
                        {"friendly_name", "Simulated account"},
                        {"status", "active"},
                        {"type", "Full"}});
          }));

  // Twilio: buy a number (the test credentials' magic numbers, see providers.md) and list them.
  auto number_json = [](const Number& n) {
    return nlohmann::json{{"sid", n.sid},
                          {"account_sid", n.account_sid},
                          {"phone_number", n.phone_number},
                          {"friendly_name", n.friendly_name},
                          {"capabilities", {{"voice", true}, {"sms", true}, {"mms", false}}}};
  };
  srv.Post(R"(/2010-04-01/Accounts/([A-Za-z0-9]+)/IncomingPhoneNumbers\.json)",
           provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
             std::string sid = req.matches[1];
             if (!twilio_authorised(req, sid)) return twilio_error(res, 401, 20003, "Authenticate");
             std::string number = req.get_param_value("PhoneNumber");
             std::string area = req.get_param_value("AreaCode");
             if (number.empty() && area == "533")
               return twilio_error(res, 400, 21452, "No phone numbers found in area code 533");
             if (number.empty() && area == "500") number = "+15005550006";
             if (number.empty())
               return twilio_error(res, 400, 21450, "PhoneNumber or AreaCode is required");
             if (number == "+15005550001")
               return twilio_error(res, 400, 21421, "PhoneNumber " + number + " is invalid");
             std::lock_guard lk(st.mu);
             if (number == "+15005550000" || st.numbers.count(number))
               return twilio_error(res, 400, 21422, "PhoneNumber " + number + " is not available");
             Number n{"PN" + crm::crypto::hex(crm::crypto::random_bytes(16)), number,
                      req.has_param("FriendlyName") ? req.get_param_value("FriendlyName") : number,
                      sid};
             st.numbers[number] = n;
             json_reply(res, 201, number_json(n));
           }));
  srv.Get(R"(/2010-04-01/Accounts/([A-Za-z0-9]+)/IncomingPhoneNumbers\.json)",
          provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
            std::string sid = req.matches[1];
            if (!twilio_authorised(req, sid)) return twilio_error(res, 401, 20003, "Authenticate");
            std::string only = req.get_param_value("PhoneNumber");
            auto list = nlohmann::json::array();
            std::lock_guard lk(st.mu);
            for (const auto& [number, n] : st.numbers)
              if (n.account_sid == sid && (only.empty() || only == number))
                list.push_back(number_json(n));
            json_reply(res, 200, {{"incoming_phone_numbers", list}, {"next_page_uri", nullptr}});
          }));

  // ElevenLabs: current user.
  srv.Get(
      "/v1/user", provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
        std::string key = req.get_header_value("xi-api-key");
        bool ok;
        {
          std::lock_guard lk(st.mu);
          ok = st.elevenlabs.count(key) > 0;
        }
        if (!ok)
          return json_reply(
              res, 401,
              {{"detail", {{"status", "invalid_api_key"}, {"message", "Invalid API key"}}}});
        json_reply(res, 200, {{"user_id", "sim-user"}, {"subscription", {{"tier", "creator"}}}});
      }));

  // Retell: list agents.
  srv.Get("/list-agents",
          provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
            std::string h = req.get_header_value("Authorization");
            bool ok;
            {
              std::lock_guard lk(st.mu);
              ok = h.rfind("Bearer ", 0) == 0 && st.retell.count(h.substr(7));
            }
            if (!ok)
              return json_reply(res, 401, {{"status", "error"}, {"message", "Invalid API Key"}});
            json_reply(res, 200, nlohmann::json::array());
          }));

  // Google OAuth token endpoint (refresh-token grant).
  srv.Post(
      "/token", provider_route(st, [&](const httplib::Request& req, httplib::Response& res) {
        std::string key = req.get_param_value("client_id") + ":" +
                          req.get_param_value("client_secret") + ":" +
                          req.get_param_value("refresh_token");
        bool ok;
        {
          std::lock_guard lk(st.mu);
          ok = req.get_param_value("grant_type") == "refresh_token" && st.google.count(key);
        }
        if (!ok)
          return json_reply(res, 400,
                            {{"error", "invalid_grant"}, {"error_description", "Bad Request"}});
        json_reply(res, 200,
                   {{"access_token", "ya29.sim"}, {"expires_in", 3599}, {"token_type", "Bearer"}});
      }));

  if (port == 0)
    port = srv.bind_to_any_port("127.0.0.1");
  else if (!srv.bind_to_port("127.0.0.1", port)) {
    std::cerr << "crm-sim: cannot bind port " << port << "\n";
    return 1;
  }
  st.port = port;
  // A client that hangs up mid-answer (timeouts, drop faults) must not kill the simulator.
  std::signal(SIGPIPE, SIG_IGN);
  if (!port_file.empty()) {
    std::ofstream tmp(port_file + ".tmp");
    tmp << port << "\n";
    tmp.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << "crm-sim listening on 127.0.0.1:" << port << std::endl;
  static httplib::Server* s_srv = &srv;
  std::signal(SIGTERM, [](int) { s_srv->stop(); });
  srv.listen_after_bind();
  return 0;
}
