// Runs `crmctl serve` as a child process for a test (its own config file with webhook secrets)
// and speaks raw HTTP/1.1 to it over loopback sockets: full control over what a client sends
// (lying Content-Length, chunked bodies, one byte at a time) and exact ledgers.
#pragma once
#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace crm::test {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// The secrets every test daemon is configured with.
struct DaemonSecrets {
  std::string vapi = "vapi-test-secret-0123456789";
  std::string elevenlabs = "el-test-secret-0123456789";
  std::string retell = "key_retell_test_0123456789";
  std::string twilio = "twilio-test-token-0123456789";
  std::string twilio_sid = "AC0123456789abcdef0123456789abcdef";
};

class Daemon {
public:
  /// Starts `crmctl --config <own> --db URL serve --listen 127.0.0.1:0 <extra>`.
  Daemon(const std::string& db_url, std::vector<std::string> extra = {},
         DaemonSecrets secrets = {})
      : m_secrets(std::move(secrets)) {
    namespace fs = std::filesystem;
    m_dir = (fs::temp_directory_path() / ("crm-serve-" + crypto::hex(crypto::random_bytes(6))))
                .string();
    fs::create_directories(m_dir);
    const std::string config = m_dir + "/config.yaml";
    {
      std::ofstream f(config);
      f << "default_profile: t\nprofiles:\n  t:\n    pool_size: 6\n"
        << "    providers:\n"
        << "      vapi: {webhook_secret: env:T_VAPI_SECRET}\n"
        << "      elevenlabs: {webhook_secret: env:T_EL_SECRET}\n"
        << "      retell: {api_key: env:T_RETELL_KEY}\n"
        << "      twilio: {account_sid: " << m_secrets.twilio_sid
        << ", auth_token: env:T_TWILIO_TOKEN}\n";
    }
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
    std::vector<std::string> args = {CRMCTL_BINARY, "--config", config, "--db", db_url, "-o",
                                     "json", "serve", "--listen", "127.0.0.1:0"};
    for (auto& a : extra)
      args.push_back(a);
    m_pid = fork();
    if (m_pid == 0) {
      setenv("T_VAPI_SECRET", m_secrets.vapi.c_str(), 1);
      setenv("T_EL_SECRET", m_secrets.elevenlabs.c_str(), 1);
      setenv("T_RETELL_KEY", m_secrets.retell.c_str(), 1);
      setenv("T_TWILIO_TOKEN", m_secrets.twilio.c_str(), 1);
      unsetenv("CRMCTL_DATABASE_URL");
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      int out = ::open((m_dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = ::open((m_dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 500 && m_port == 0; ++i) {
      const std::string out = read_file(m_dir + "/stdout");
      auto at = out.find("127.0.0.1:");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos)
        m_port = std::atoi(out.c_str() + at + 10);
      if (m_port == 0) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
          m_pid = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (m_port == 0) ADD_FAILURE() << "crmctl serve did not start: " << log();
  }
  ~Daemon() {
    if (m_pid > 0) {
      kill(m_pid, SIGKILL);
      waitpid(m_pid, nullptr, 0);
    }
    std::filesystem::remove_all(m_dir);
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const { return m_port; }
  const DaemonSecrets& secrets() const { return m_secrets; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  /// Everything the daemon wrote on stderr (its JSON log lines).
  std::string log() const { return read_file(m_dir + "/stderr"); }
  /// Sends `sig` and waits (up to `wait`) for the exit; the exit code, or -1 (killed/timeout).
  int stop(int sig = SIGTERM, std::chrono::milliseconds wait = std::chrono::seconds(20)) {
    if (m_pid <= 0) return -1;
    kill(m_pid, sig);
    const auto until = std::chrono::steady_clock::now() + wait;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

private:
  DaemonSecrets m_secrets;
  std::string m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
};

/// An HTTP answer (status 0: no answer — refused, reset or timed out).
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers; // names lower-cased
  std::string body;
};

/// A connected loopback socket (-1 when the connection was refused).
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

/// Reads one response from `fd` (Content-Length or until close), waiting up to `wait`.
inline HttpAnswer read_answer(int fd, std::chrono::milliseconds wait) {
  HttpAnswer a;
  std::string buf;
  const auto until = std::chrono::steady_clock::now() + wait;
  std::size_t header_end = std::string::npos;
  long long need = -1;
  for (;;) {
    if (header_end != std::string::npos && need >= 0 &&
        buf.size() >= header_end + 4 + static_cast<std::size_t>(need))
      break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    until - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return {};
    char tmp[8192];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    buf.append(tmp, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::istringstream hs(buf.substr(0, header_end));
        std::string line;
        std::getline(hs, line);
        if (line.size() >= 12) a.status = std::atoi(line.c_str() + 9);
        while (std::getline(hs, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          auto c = line.find(':');
          if (c == std::string::npos) continue;
          std::string k = line.substr(0, c);
          for (auto& ch : k)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          std::string v = line.substr(c + 1);
          while (!v.empty() && v.front() == ' ')
            v.erase(0, 1);
          a.headers[k] = v;
        }
        if (a.headers.count("content-length")) need = std::atoll(a.headers["content-length"].c_str());
      }
    }
  }
  if (header_end == std::string::npos) return {};
  a.body = buf.substr(header_end + 4);
  if (need >= 0 && a.body.size() > static_cast<std::size_t>(need))
    a.body.resize(static_cast<std::size_t>(need));
  return a;
}

/// One request on a fresh connection (Connection: close).
inline HttpAnswer http_request(int port, const std::string& method, const std::string& target,
                               const std::map<std::string, std::string>& headers,
                               const std::string& body,
                               std::chrono::milliseconds wait = std::chrono::seconds(15)) {
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                    std::to_string(port) + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers)
    req += k + ": " + v + "\r\n";
  if (method == "POST" || !body.empty())
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  HttpAnswer a;
  if (send_all(fd, req)) a = read_answer(fd, wait);
  ::close(fd);
  return a;
}

inline long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Vapi's HMAC headers for `body` (timestamp in seconds, `ts` = now when 0).
inline std::map<std::string, std::string> vapi_headers(const std::string& secret,
                                                       const std::string& body, long long ts = 0) {
  if (ts == 0) ts = unix_now();
  const std::string t = std::to_string(ts);
  return {{"Content-Type", "application/json"},
          {"x-timestamp", t},
          {"x-signature", crypto::hex(crypto::hmac_sha256(secret, t + "." + body))}};
}
/// ElevenLabs-Signature for `body`.
inline std::map<std::string, std::string> elevenlabs_headers(const std::string& secret,
                                                             const std::string& body,
                                                             long long ts = 0) {
  if (ts == 0) ts = unix_now();
  const std::string t = std::to_string(ts);
  return {{"Content-Type", "application/json"},
          {"ElevenLabs-Signature",
           "t=" + t + ",v0=" + crypto::hex(crypto::hmac_sha256(secret, t + "." + body))}};
}
/// x-retell-signature for `body` (`v` in milliseconds).
inline std::map<std::string, std::string> retell_headers(const std::string& key,
                                                         const std::string& body,
                                                         long long ts_ms = 0) {
  if (ts_ms == 0) ts_ms = unix_now() * 1000;
  const std::string v = std::to_string(ts_ms);
  return {{"Content-Type", "application/json"},
          {"x-retell-signature",
           "v=" + v + ",d=" + crypto::hex(crypto::hmac_sha256(key, body + v))}};
}

} // namespace crm::test
