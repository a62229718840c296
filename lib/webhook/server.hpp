// `crmctl serve`: the webhook daemon (shared/docs/webhooks.md). An HTTP server (cpp-httplib,
// confined to server.cpp) with its own connection handling on top: a bounded worker pool whose
// overflow is answered 503 at once, per-read and whole-request deadlines (slowloris), a body cap
// answered 413 from the Content-Length before any body byte is read, and a graceful stop. Every
// POST is verified on its raw bytes, normalised, and handed to the group committer; the answer
// waits for the commit.
#pragma once
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/pool.hpp"
#include "tenant/tenant.hpp"
#include "webhook/commit.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace crm::webhook {

/// Secrets from the profile (several per provider: key rotation, any may match).
struct ServerSecrets {
  std::vector<std::string> vapi;       // providers.vapi.webhook_secret(_previous)
  std::vector<std::string> elevenlabs; // providers.elevenlabs.webhook_secret(_previous)
  std::vector<std::string> retell;     // providers.retell.api_key(_previous)
  /// The public base URL Twilio requests (profile webhook_base_url); the signed URL is this plus
  /// the request target. Empty: the Host header's http:// URL is used.
  std::string public_base_url;
};

/// The Twilio auth tokens that may have signed a request about `e164` (the account owning the
/// number: the tenant's own when it brought one, else the platform's). Called for the To and
/// the From number of a Twilio request; numbers nobody owns give the platform token.
using TwilioTokens =
    std::function<Result<std::vector<std::string>>(db::Connection&, const std::string& e164)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                                  // 0: any free port
  std::size_t threads = 16;                         // connection workers
  std::size_t backlog = 64;                         // accepted connections waiting for a worker
  std::size_t max_body = 1 << 20;                   // JSON routes; Twilio forms: 8 KiB
  std::chrono::milliseconds read_timeout{5000};     // one read (headers or body) at most
  std::chrono::milliseconds request_timeout{15000}; // a whole request (headers + body) at most
  std::chrono::milliseconds keep_alive{5000};       // idle time between requests on a connection
  std::chrono::milliseconds answer_within{8000};    // wait for the commit (Retell gives up at 10 s)
  CommitOptions commit;
};

class Server {
public:
  Server(ServerOptions options, ServerSecrets secrets, db::ConnectionSource& db,
         tenant::Tenancy tenancy, TwilioTokens twilio_tokens, Logger& log, Metrics& metrics,
         Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listening socket; the port actually bound (useful with port 0).
  Result<int> bind();
  /// Serves until stop(): then stops accepting, answers every request already accepted, drains
  /// the committer and returns.
  Status run();
  /// Asks run() to return (thread-safe; not async-signal-safe: call it from a signal thread).
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace crm::webhook
