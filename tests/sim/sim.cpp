// crm-sim: a local simulator of the provider HTTP contracts in shared/docs/providers.md, with
// fault injection. In-memory state; never reaches the internet.
//   crm-sim --port 0 --port-file F --accept twilio:ACSID:TOKEN --accept elevenlabs:KEY
//           --accept retell:KEY --accept google:CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN
// Faults: POST /__sim/faults {"path_prefix":"/v1/user","status":503,"count":2,"retry_after":"1"}
#include "core/crypto.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

struct Fault {
  std::string path_prefix;
  int status = 503;
  int count = 1;
  std::string retry_after;
};

struct State {
  std::mutex mu;
  std::set<std::string> twilio;     // "SID:TOKEN"
  std::set<std::string> elevenlabs; // api keys
  std::set<std::string> retell;     // api keys
  std::set<std::string> google;     // "client:secret:refresh"
  std::vector<Fault> faults;
  std::map<std::string, int> hits; // path -> count
};

void json_reply(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

bool take_fault(State& st, const std::string& path, httplib::Response& res) {
  std::lock_guard lk(st.mu);
  ++st.hits[path];
  for (auto it = st.faults.begin(); it != st.faults.end(); ++it) {
    if (path.rfind(it->path_prefix, 0) != 0) continue;
    res.status = it->status;
    if (!it->retry_after.empty()) res.set_header("Retry-After", it->retry_after);
    res.set_content(R"({"message":"injected fault"})", "application/json");
    if (--it->count <= 0) st.faults.erase(it);
    return true;
  }
  return false;
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
  srv.Get("/__sim/health", [](const httplib::Request&, httplib::Response& res) {
    json_reply(res, 200, {{"ok", true}});
  });
  srv.Post("/__sim/faults", [&](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    st.faults.push_back({j.value("path_prefix", "/"), j.value("status", 503), j.value("count", 1),
                         j.value("retry_after", "")});
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

  // Twilio: fetch an account (what `creds verify twilio` calls).
  srv.Get(R"(/2010-04-01/Accounts/([A-Za-z0-9]+)\.json)",
          [&](const httplib::Request& req, httplib::Response& res) {
            if (take_fault(st, req.path, res)) return;
            std::string sid = req.matches[1], auth = basic_auth(req);
            bool ok;
            {
              std::lock_guard lk(st.mu);
              ok = st.twilio.count(auth) && auth.rfind(sid + ":", 0) == 0;
            }
            if (!ok)
              return json_reply(res, 401,
                                {{"code", 20003},
                                 {"message", "Authenticate"},
                                 {"more_info", "https://www.twilio.com/docs/errors/20003"},
                                 {"status", 401}});
            json_reply(res, 200,
                       {{"sid", sid},
                        {"friendly_name", "Simulated account"},
                        {"status", "active"},
                        {"type", "Full"}});
          });

  // ElevenLabs: current user.
  srv.Get("/v1/user", [&](const httplib::Request& req, httplib::Response& res) {
    if (take_fault(st, req.path, res)) return;
    std::string key = req.get_header_value("xi-api-key");
    bool ok;
    {
      std::lock_guard lk(st.mu);
      ok = st.elevenlabs.count(key) > 0;
    }
    if (!ok)
      return json_reply(
          res, 401, {{"detail", {{"status", "invalid_api_key"}, {"message", "Invalid API key"}}}});
    json_reply(res, 200, {{"user_id", "sim-user"}, {"subscription", {{"tier", "creator"}}}});
  });

  // Retell: list agents.
  srv.Get("/list-agents", [&](const httplib::Request& req, httplib::Response& res) {
    if (take_fault(st, req.path, res)) return;
    std::string h = req.get_header_value("Authorization");
    bool ok;
    {
      std::lock_guard lk(st.mu);
      ok = h.rfind("Bearer ", 0) == 0 && st.retell.count(h.substr(7));
    }
    if (!ok) return json_reply(res, 401, {{"status", "error"}, {"message", "Invalid API Key"}});
    json_reply(res, 200, nlohmann::json::array());
  });

  // Google OAuth token endpoint (refresh-token grant).
  srv.Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
    if (take_fault(st, req.path, res)) return;
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
  });

  if (port == 0)
    port = srv.bind_to_any_port("127.0.0.1");
  else if (!srv.bind_to_port("127.0.0.1", port)) {
    std::cerr << "crm-sim: cannot bind port " << port << "\n";
    return 1;
  }
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
