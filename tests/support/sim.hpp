// Starts tests/sim (crm-sim) on a free loopback port for the lifetime of a test.
#pragma once
#include "core/crypto.hpp"
#include "core/result.hpp"
#include "http/client.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace crm::test {

class Simulator {
public:
  explicit Simulator(std::vector<std::string> accepts) : Simulator(std::move(accepts), {}) {}
  /// Also passes `extra_args` to crm-sim, e.g. {"--agent", "elevenlabs:KEY:AGENT_ID:NAME"} or
  /// {"--latency-ms", "50"}.
  Simulator(std::vector<std::string> accepts, std::vector<std::string> extra_args) {
    m_port_file = (std::filesystem::temp_directory_path() /
                   ("crm-sim-" + crypto::hex(crypto::random_bytes(6))))
                      .string();
    std::vector<std::string> args = {CRM_SIM_BINARY, "--port", "0", "--port-file", m_port_file};
    for (auto& a : accepts) {
      args.push_back("--accept");
      args.push_back(a);
    }
    for (auto& a : extra_args)
      args.push_back(a);
    m_pid = fork();
    if (m_pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 100 && m_port == 0; ++i) {
      std::ifstream f(m_port_file);
      if (f >> m_port) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (m_port == 0) ADD_FAILURE() << "crm-sim did not start";
  }
  ~Simulator() {
    m_control.reset(); // its idle keep-alive connection would hold a server thread at shutdown
    if (m_pid > 0) {
      kill(m_pid, SIGTERM);
      waitpid(m_pid, nullptr, 0);
    }
    std::filesystem::remove(m_port_file);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  /// Injects a fault (POST /__sim/faults), e.g. R"({"path_prefix":"/token","drop":"close"})".
  Status fault(const std::string& json) {
    auto r = control().send({"POST",
                             url() + "/__sim/faults",
                             {{"Content-Type", "application/json"}},
                             json,
                             std::chrono::milliseconds(5000)});
    if (!r || r->status != 201) return make_error(ErrorKind::unexpected, "fault injection failed");
    return {};
  }
  /// GET of an inspection endpoint ("/__sim/requests", "/__sim/stats", "/__sim/hits") as JSON.
  nlohmann::json inspect(const std::string& path) {
    auto r = control().send({"GET", url() + path, {}, "", std::chrono::milliseconds(5000)});
    if (!r || r->status != 200) {
      ADD_FAILURE() << "crm-sim " << path << " failed";
      return nullptr;
    }
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  /// The requests the simulator logged for `method` on paths starting with `path_prefix`.
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& path_prefix) {
    std::vector<nlohmann::json> out;
    auto all = inspect("/__sim/requests");
    if (!all.is_array()) return out;
    for (auto& r : all)
      if (r["method"] == method && r["path"].get<std::string>().rfind(path_prefix, 0) == 0)
        out.push_back(r);
    return out;
  }

  /// Sends a control request ("/__sim/...", JSON body) and returns the answer; a transport
  /// failure is a test failure (status 0).
  http::Response control_request(const std::string& method, const std::string& path,
                                 const std::string& json_body = "") {
    http::Request req{method, url() + path, {}, json_body, std::chrono::milliseconds(5000)};
    if (!json_body.empty()) req.headers["Content-Type"] = "application/json";
    auto r = control().send(req);
    if (!r) {
      ADD_FAILURE() << "crm-sim " << method << " " << path << ": " << r.error().message;
      return {};
    }
    return *r;
  }
  /// GET /__sim/state:
  /// {"twilio":{"numbers":[...]},"elevenlabs":{"phone_numbers":[...],"agents":[...]}}.
  nlohmann::json state() { return inspect("/__sim/state"); }
  /// Sets the latency every provider route waits before answering (POST /__sim/latency).
  Status set_latency(int ms) {
    auto r = control_request("POST", "/__sim/latency", nlohmann::json{{"ms", ms}}.dump());
    if (r.status != 200) return make_error(ErrorKind::unexpected, "setting the latency failed");
    return {};
  }
  /// Plants a Twilio number in `account_sid` as if bought outside crmctl; its instance JSON (null
  /// on failure).
  nlohmann::json plant_twilio_number(const std::string& account_sid, const std::string& e164,
                                     const std::string& voice_url = "") {
    auto r = control_request("POST", "/__sim/twilio/numbers",
                             nlohmann::json{{"account_sid", account_sid},
                                            {"phone_number", e164},
                                            {"voice_url", voice_url}}
                                 .dump());
    if (r.status != 201) return nullptr;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  /// Removes a Twilio number behind crmctl's back; true when it existed.
  bool remove_twilio_number(const std::string& e164) {
    std::string encoded = e164;
    if (!encoded.empty() && encoded[0] == '+') encoded = "%2B" + encoded.substr(1);
    return control_request("DELETE", "/__sim/twilio/numbers/" + encoded).status == 204;
  }
  /// Seeds an ElevenLabs agent in the workspace of `api_key`.
  Status add_elevenlabs_agent(const std::string& api_key, const std::string& agent_id,
                              const std::string& name) {
    auto r = control_request(
        "POST", "/__sim/elevenlabs/agents",
        nlohmann::json{{"api_key", api_key}, {"agent_id", agent_id}, {"name", name}}.dump());
    if (r.status != 201 && r.status != 200)
      return make_error(ErrorKind::unexpected, "seeding the agent failed");
    return {};
  }

  /// GET /__sim/vapi/state: {"tools":[...],"assistants":[...]} (oldest first).
  nlohmann::json vapi_state() { return inspect("/__sim/vapi/state"); }
  /// Plants a Vapi assistant ({"id","name","model"}; a default model when none); its JSON.
  nlohmann::json plant_vapi_assistant(const nlohmann::json& assistant) {
    auto r = control_request("POST", "/__sim/vapi/assistants", assistant.dump());
    return r.status == 201 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json();
  }
  /// Plants a saved Vapi tool of any type (foreign or native); its JSON with the id.
  nlohmann::json plant_vapi_tool(const nlohmann::json& tool) {
    auto r = control_request("POST", "/__sim/vapi/tools", tool.dump());
    return r.status == 201 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json();
  }
  /// Edits a Vapi tool or assistant as the dashboard would (fields replaced, updatedAt moves);
  /// the status (200, or 404 when gone). `kind` is "tools" or "assistants".
  int edit_vapi(const std::string& kind, const std::string& id, const nlohmann::json& patch) {
    return control_request("PATCH", "/__sim/vapi/" + kind + "/" + id, patch.dump()).status;
  }
  /// Deletes a Vapi tool or assistant behind crmctl's back; true when it existed.
  bool delete_vapi(const std::string& kind, const std::string& id) {
    return control_request("DELETE", "/__sim/vapi/" + kind + "/" + id).status == 204;
  }

private:
  http::Client& control() {
    if (!m_control) m_control = http::make_curl_client();
    return *m_control;
  }

  std::unique_ptr<http::CurlClient> m_control;
  pid_t m_pid = -1;
  int m_port = 0;
  std::string m_port_file;
};

} // namespace crm::test
