// `crmctl serve` driven from outside as a provider would: signed requests over real sockets into
// the daemon process, a real PostgreSQL behind it (roles, RLS), and faults — tampered and stale
// signatures, oversized and lying bodies, slow clients, two daemons on one database, SIGTERM
// under load, a database restart under load (its own cluster) — each with an exact ledger: every
// 2xx answered must be in the database.
#include "cmd/cmd_harness.hpp"
#include "support/daemon.hpp"
#include "support/sim.hpp"
#include "webhook/verify.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace crm;
using namespace crm::test;
using nlohmann::json;

namespace {

std::string end_of_call(const std::string& call_id, const std::string& assistant,
                        const std::string& cost = "0.1234567890123456789",
                        const std::string& transcript = "AI: Hello there.\nUser: Hi, book me in.") {
  // Cost is written as a JSON number token with more digits than a double holds.
  return R"({"message":{"type":"end-of-call-report","endedReason":"customer-ended-call","cost":)" +
         cost +
         R"(,"startedAt":"2026-11-20T10:00:00.000Z","endedAt":"2026-11-20T10:02:05.000Z","durationSeconds":125,)"
         R"("analysis":{"summary":"Booked a visit."},"artifact":{"transcript":)" +
         json(transcript).dump() +
         R"(,"recordingUrl":"https://rec.example/1.wav"},"phoneNumber":{"number":"+15550001111"},)"
         R"("call":{"id":")" +
         call_id + R"(","type":"inboundPhoneCall","assistantId":")" + assistant +
         R"(","customer":{"number":"+15557654321","name":"Zoë O'Brien"}}}})";
}

class Serve : public DbTest {
protected:
  std::string tenant_with_agent(const std::string& provider, const std::string& external,
                                std::string* agent_id = nullptr, std::string* token = nullptr) {
    auto slug = make_tenant("Serve");
    auto r = run({"agent", "create", "--tenant", slug, "--provider", provider, "--external-id",
                  external});
    EXPECT_EQ(r.code, 0) << r;
    if (r.code == 0) {
      auto j = r.json();
      if (agent_id) *agent_id = j["id"].get<std::string>();
      if (token) *token = j.value("webhook_secret", "");
    }
    return slug;
  }
  long inbox_rows(const std::string& provider, const std::string& key_prefix) {
    return count("SELECT count(*) FROM webhook_events WHERE provider = $1 AND event_key LIKE $2",
                 {provider, key_prefix + "%"});
  }
  static std::string uid(const std::string& base) {
    return base + crypto::hex(crypto::random_bytes(5));
  }
};

TEST_F(Serve, StoresAVerifiedEndOfCallReportExactlyAndOnlyOnce) {
  const std::string asst = uid("asst_");
  auto slug = tenant_with_agent("vapi", asst);
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const std::string call = uid("call");
  const std::string body = end_of_call(call, asst);
  auto a = http_request(d.port(), "POST", "/webhooks/vapi", vapi_headers(d.secrets().vapi, body), body);
  ASSERT_EQ(a.status, 200) << a.body << d.log();
  EXPECT_EQ(json::parse(a.body)["status"], "stored");
  EXPECT_EQ(scalar("SELECT provider_cost::text FROM calls WHERE org_id = $1 AND external_call_id = $2",
                   {tenant_id(slug), call}),
            "0.1234567890123456789");
  EXPECT_EQ(scalar("SELECT caller_name || '|' || duration_seconds || '|' || summary FROM calls "
                   "WHERE external_call_id = $1",
                   {call}),
            "Zoë O'Brien|125|Booked a visit.");
  EXPECT_EQ(count("SELECT count(*) FROM contacts WHERE org_id = $1 AND phone = '+15557654321' AND "
                  "last_contacted_at IS NOT NULL",
                  {tenant_id(slug)}),
            1);
  // The same delivery again (a provider retry, days later too): 200, nothing written twice.
  auto b = http_request(d.port(), "POST", "/webhooks/vapi", vapi_headers(d.secrets().vapi, body), body);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(json::parse(b.body)["status"], "duplicate");
  EXPECT_EQ(inbox_rows("vapi", call), 1);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE external_call_id = $1", {call}), 1);
  // The log: one JSON line per request, with route, outcome and tenant; no secret, no transcript.
  const std::string log = d.log();
  EXPECT_EQ(log.find(d.secrets().vapi), std::string::npos);
  EXPECT_EQ(log.find("book me in"), std::string::npos);
  int lines = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("msg", "") != "request") continue;
    ++lines;
    EXPECT_EQ(j["route"], "vapi");
    EXPECT_EQ(j["tenant"], tenant_id(slug));
    EXPECT_TRUE(j.contains("latency_ms") && j.contains("event_key") && j.contains("outcome"));
  }
  EXPECT_EQ(lines, 2) << log;
}

// The simulator signs as each provider documents (its own implementation of every scheme): the
// daemon must accept what it signs and refuse what it tampers with or backdates.
TEST_F(Serve, AcceptsWebhooksTheSimulatorSignsLikeEachProvider) {
  const std::string asst = uid("asst_"), el_agent = uid("agent_"), retell_ext = uid("ag_");
  auto slug = tenant_with_agent("vapi", asst);
  const std::string org = tenant_id(slug);
  ASSERT_EQ(run({"agent", "create", "--tenant", slug, "--provider", "elevenlabs", "--external-id", el_agent}).code, 0);
  std::string retell_agent;
  tenant_with_agent("retell", retell_ext, &retell_agent);
  const std::string number = "+1555" + std::to_string(1000000 + std::rand() % 8999999);
  ASSERT_TRUE(m_conn->exec("INSERT INTO number_routes (e164, org_id) VALUES ($1, $2::uuid)", {number, org}));
  ASSERT_TRUE(m_conn->exec("INSERT INTO phone_numbers (org_id, e164, status, twilio_account_sid) VALUES "
                           "($1::uuid, $2, 'active', 'AC0123456789abcdef0123456789abcdef')",
                           {org, number}));
  Simulator sim({});
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const auto& k = d.secrets();
  auto send = [&](json req) {
    auto r = sim.control_request("POST", "/__sim/webhooks/send", req.dump());
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("status", -1) : -1;
  };
  const std::string call = uid("call");
  json vapi = {{"provider", "vapi"}, {"event", "end-of-call-report"}, {"url", d.base() + "/webhooks/vapi"},
               {"secret", k.vapi}, {"call", {{"id", call}, {"agent_id", asst}, {"cost", "0.4321"}}}};
  EXPECT_EQ(send(vapi), 200);
  EXPECT_EQ(scalar("SELECT provider_cost::text FROM calls WHERE external_call_id = $1", {call}), "0.4321");
  vapi["signature"] = "tampered";
  EXPECT_EQ(send(vapi), 401);
  vapi["signature"] = "stale";
  EXPECT_EQ(send(vapi), 401);
  vapi["signature"] = "valid";
  vapi["vapi_auth"] = "bearer";
  EXPECT_EQ(send(vapi), 200); // the same event again: a duplicate, acknowledged
  vapi["call"]["id"] = uid("call");
  vapi["vapi_auth"] = "legacy";
  EXPECT_EQ(send(vapi), 200);
  EXPECT_EQ(send({{"provider", "elevenlabs"}, {"event", "post_call_transcription"},
                  {"url", d.base() + "/webhooks/elevenlabs"}, {"secret", k.elevenlabs},
                  {"call", {{"id", uid("conv")}, {"agent_id", el_agent}}}}),
            200);
  for (const char* ev : {"call_analyzed", "call_started", "call_ended"})
    EXPECT_EQ(send({{"provider", "retell"}, {"event", ev}, {"url", d.base() + "/webhooks/agent/" + retell_agent},
                    {"secret", k.retell}, {"call", {{"id", "r" + call}, {"agent_id", retell_ext}}}}),
              200)
        << ev;
  EXPECT_EQ(scalar("SELECT lifecycle_stage::text FROM calls WHERE external_call_id = $1", {"r" + call}), "3");
  EXPECT_EQ(send({{"provider", "twilio"}, {"event", "sms"}, {"url", d.base() + "/webhooks/twilio/sms"},
                  {"secret", k.twilio}, {"message", {{"to", number}, {"body", "Friday?"}}}}),
            200);
  EXPECT_EQ(send({{"provider", "twilio"}, {"event", "voice-status"}, {"url", d.base() + "/webhooks/twilio/voice-status"},
                  {"secret", k.twilio}, {"call", {{"to", number}, {"duration_seconds", 42}}}}),
            200);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE org_id = $1 AND body = 'Friday?'", {org}), 1);
  EXPECT_EQ(send({{"provider", "twilio"}, {"event", "sms"}, {"url", d.base() + "/webhooks/twilio/sms"},
                  {"secret", "not-the-token"}, {"message", {{"to", number}}}}),
            401);
}

TEST_F(Serve, RefusesEveryBadSignatureWith401AndStoresNothing) {
  const std::string asst = uid("asst_");
  tenant_with_agent("vapi", asst);
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const std::string call = uid("call");
  const std::string body = end_of_call(call, asst);
  const auto& s = d.secrets();
  auto post = [&](const std::string& path, std::map<std::string, std::string> h,
                  const std::string& b) { return http_request(d.port(), "POST", path, h, b).status; };

  auto flipped = vapi_headers(s.vapi, body);
  flipped["x-signature"][5] = flipped["x-signature"][5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(post("/webhooks/vapi", flipped, body), 401);
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers("wrong-key", body), body), 401);
  auto empty = vapi_headers(s.vapi, body);
  empty["x-signature"] = "";
  EXPECT_EQ(post("/webhooks/vapi", empty, body), 401);
  EXPECT_EQ(post("/webhooks/vapi", {{"Content-Type", "application/json"}}, body), 401);
  // Signed over other bytes (re-serialised JSON is not the raw body).
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, json::parse(body).dump(2)), body), 401);
  // Stale either way, then the same body freshly signed is accepted.
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, body, unix_now() - 3600), body), 401);
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, body, unix_now() + 3600), body), 401);
  {
    // A stale delivery refused, then the same bytes freshly signed: accepted.
    const std::string other = end_of_call(uid("call"), asst);
    EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, other, unix_now() - 600), other), 401);
    EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, other), other), 200);
  }
  // Malformed JSON: 401 with a bad signature, 400 with a good one; never stored.
  const std::string junk = "{\"message\": [unterminated";
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers("wrong-key", junk), junk), 401);
  EXPECT_EQ(post("/webhooks/vapi", vapi_headers(s.vapi, junk), junk), 400);
  EXPECT_EQ(inbox_rows("vapi", call), 0);
  // ElevenLabs: wrong scheme, t=Infinity, a non-numeric timestamp.
  const std::string el = R"({"type":"post_call_transcription","data":{"conversation_id":")" +
                         uid("conv") + R"(","agent_id":"x"}})";
  const std::string mac = crypto::hex(crypto::hmac_sha256(s.elevenlabs, "1." + el));
  EXPECT_EQ(post("/webhooks/elevenlabs",
                 {{"ElevenLabs-Signature", "t=Infinity,v0=" + mac}}, el), 401);
  EXPECT_EQ(post("/webhooks/elevenlabs", {{"ElevenLabs-Signature", "sha256=" + mac}}, el), 401);
  EXPECT_EQ(post("/webhooks/elevenlabs", {{"ElevenLabs-Signature", "t=abc,v0=" + mac}}, el), 401);
  EXPECT_EQ(post("/webhooks/elevenlabs", elevenlabs_headers(s.elevenlabs, el, unix_now() - 3 * 3600), el), 401);
  // Twilio: no signature, a wrong one.
  const std::string form = "MessageSid=SM" + crypto::hex(crypto::random_bytes(16)) +
                           "&From=%2B15557654321&To=%2B15550009999&Body=hi";
  EXPECT_EQ(post("/webhooks/twilio/sms", {{"Content-Type", "application/x-www-form-urlencoded"}}, form), 401);
  EXPECT_EQ(post("/webhooks/twilio/sms",
                 {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="}},
                 form),
            401);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_events WHERE received_at > now() - interval '1 minute' "
                  "AND event_key LIKE $1",
                  {call + "%"}),
            0);
  // The refusals are counted per provider and reason.
  auto m = http_request(d.port(), "GET", "/metrics", {}, "");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("crm_webhook_verification_failures_total{provider=\"vapi\",reason=\"mismatch\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("crm_webhook_verification_failures_total{provider=\"vapi\",reason=\"stale\"}"),
            std::string::npos);
}

TEST_F(Serve, TwilioRequestsAreCheckedWithTheNumbersAccountTokenAndForwardDials) {
  auto slug = make_tenant("Serve sms");
  const std::string org = tenant_id(slug);
  const std::string number = "+1555" + std::to_string(1000000 + std::rand() % 8999999);
  ASSERT_TRUE(m_conn->exec("INSERT INTO number_routes (e164, org_id) VALUES ($1, $2::uuid)", {number, org}));
  ASSERT_TRUE(m_conn->exec("INSERT INTO phone_numbers (org_id, e164, status, twilio_account_sid) "
                           "VALUES ($1::uuid, $2, 'active', 'AC0123456789abcdef0123456789abcdef')",
                           {org, number}));
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const std::string sid = "SM" + crypto::hex(crypto::random_bytes(16));
  std::vector<std::pair<std::string, std::string>> params = {
      {"MessageSid", sid}, {"From", "+15557654321"}, {"To", number}, {"Body", "Stop & go, «ok»?"}};
  std::string form;
  for (const auto& [k, v] : params) {
    std::string enc;
    for (unsigned char c : v) {
      char buf[4];
      if (std::isalnum(c)) enc += static_cast<char>(c);
      else {
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        enc += buf;
      }
    }
    form += (form.empty() ? "" : "&") + k + "=" + enc;
  }
  const std::string url = d.base() + "/webhooks/twilio/sms";
  const std::string sig = webhook::twilio_signature(d.secrets().twilio, url, params);
  auto a = http_request(d.port(), "POST", "/webhooks/twilio/sms",
                        {{"Content-Type", "application/x-www-form-urlencoded"},
                         {"X-Twilio-Signature", sig}},
                        form);
  ASSERT_EQ(a.status, 200) << a.body << d.log();
  EXPECT_NE(a.body.find("<Response"), std::string::npos);
  EXPECT_EQ(scalar("SELECT body FROM messages WHERE org_id = $1 AND external_id = $2", {org, sid}),
            "Stop & go, «ok»?");
  // Signed with another account's token: refused.
  auto wrong = webhook::twilio_signature("another-token", url, params);
  EXPECT_EQ(http_request(d.port(), "POST", "/webhooks/twilio/sms",
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"X-Twilio-Signature", wrong}},
                         form)
                .status,
            401);
  // Forward-to-owner TwiML (the signed URL includes the query).
  const std::string fwd_target = "/webhooks/twilio/forward?to=%2B15550102030";
  std::vector<std::pair<std::string, std::string>> call = {
      {"CallSid", "CA" + crypto::hex(crypto::random_bytes(16))}, {"From", "+15557654321"}, {"To", number}};
  std::string call_form = "CallSid=" + call[0].second + "&From=%2B15557654321&To=" +
                          "%2B" + number.substr(1);
  auto f = http_request(d.port(), "POST", fwd_target,
                        {{"Content-Type", "application/x-www-form-urlencoded"},
                         {"X-Twilio-Signature",
                          webhook::twilio_signature(d.secrets().twilio, d.base() + fwd_target, call)}},
                        call_form);
  ASSERT_EQ(f.status, 200) << f.body << d.log();
  EXPECT_NE(f.body.find("<Dial>+15550102030</Dial>"), std::string::npos) << f.body;
}

TEST_F(Serve, PerAgentUrlTakesTheAgentsTokenAndValidatesTheAgent) {
  std::string agent, token;
  const std::string ext = uid("agent_");
  auto slug = tenant_with_agent("retell", ext, &agent, &token);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE id = $1::uuid", {agent}), "pending_validation");
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const std::string call = uid("call_");
  const std::string body =
      json{{"event", "call_ended"},
           {"call", {{"call_id", call}, {"agent_id", ext}, {"call_type", "phone_call"},
                     {"direction", "inbound"}, {"from_number", "+15557654321"},
                     {"to_number", "+15550001111"}, {"start_timestamp", 1763632800000},
                     {"end_timestamp", 1763632860000}, {"duration_ms", 60000},
                     {"call_cost", {{"combined_cost", 12.5}}}}}}
          .dump();
  const std::string path = "/webhooks/agent/" + agent;
  EXPECT_EQ(http_request(d.port(), "POST", path,
                         {{"Content-Type", "application/json"}, {"Authorization", "Bearer whk_wrong"}}, body)
                .status,
            401);
  auto a = http_request(d.port(), "POST", path,
                        {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}}, body);
  ASSERT_EQ(a.status, 200) << a.body << d.log();
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE id = $1::uuid", {agent}), "active");
  // Retell cents → dollars, exactly.
  EXPECT_EQ(scalar("SELECT provider_cost::text FROM calls WHERE external_call_id = $1", {call}), "0.125");
  // An agent nobody registered, validly signed by Retell: 404, kept for replay.
  const std::string ghost = "0b5e6a1c-0000-4000-8000-" + crypto::hex(crypto::random_bytes(6));
  const std::string ghost_call = uid("call_");
  const std::string gbody = json{{"event", "call_started"}, {"call", {{"call_id", ghost_call}, {"agent_id", "x"}}}}.dump();
  auto g = http_request(d.port(), "POST", "/webhooks/agent/" + ghost,
                        retell_headers(d.secrets().retell, gbody), gbody);
  EXPECT_EQ(g.status, 404) << g.body;
  EXPECT_EQ(scalar("SELECT state FROM webhook_events WHERE event_key LIKE $1", {ghost_call + "%"}),
            "unrouted");
  // Never a redirect; an unknown path is a plain 404.
  EXPECT_EQ(http_request(d.port(), "POST", "/webhooks/agent/not-a-uuid", {}, "{}").status, 404);
}

TEST_F(Serve, OversizedBodiesGet413WithoutBeingRead) {
  Daemon d(s_db->url(), {"--max-body", "4KiB"});
  ASSERT_GT(d.port(), 0);
  // A Content-Length far over the cap: answered before the body is sent at all.
  {
    int fd = connect_loopback(d.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "POST /webhooks/vapi HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nContent-Length: 1073741824\r\n\r\n"));
    auto a = read_answer(fd, std::chrono::seconds(5));
    EXPECT_EQ(a.status, 413);
    ::close(fd);
  }
  // Chunked, no length: cut once the cap is passed (the rest is never buffered).
  {
    int fd = connect_loopback(d.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "POST /webhooks/vapi HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk(1024, 'a');
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    HttpAnswer a;
    for (int i = 0; i < 64 && a.status == 0; ++i) {
      if (!send_all(fd, std::string(size) + chunk + "\r\n")) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) a = read_answer(fd, std::chrono::seconds(5));
    }
    if (a.status == 0) a = read_answer(fd, std::chrono::seconds(5));
    EXPECT_EQ(a.status, 413);
    ::close(fd);
  }
  // The daemon is fine afterwards.
  EXPECT_EQ(http_request(d.port(), "GET", "/healthz", {}, "").status, 200);
}

TEST_F(Serve, SlowClientsAreCutAndDoNotStarveOthers) {
  Daemon d(s_db->url(), {"--threads", "4", "--read-timeout", "1s", "--request-timeout", "2s"});
  ASSERT_GT(d.port(), 0);
  // Three clients trickle a header byte every 300 ms (each read is "on time").
  std::vector<int> slow;
  for (int i = 0; i < 3; ++i) {
    int fd = connect_loopback(d.port());
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    const std::string req = "POST /webhooks/vapi HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(200, 'p');
    for (std::size_t i = 0; i < req.size() && !done; ++i) {
      for (int fd : slow)
        (void)::send(fd, &req[i], 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // The fourth worker still answers others at once.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(http_request(d.port(), "GET", "/healthz", {}, "", std::chrono::seconds(3)).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // The trickling clients are cut at the request deadline (2 s), not kept forever.
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 5000), 0) << "a slow client was never cut";
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    EXPECT_TRUE(n <= 0 || std::string(buf, static_cast<std::size_t>(n)).find(" 200 ") == std::string::npos);
  }
  done = true;
  trickle.join();
  for (int fd : slow)
    ::close(fd);
}

TEST_F(Serve, ConnectionsBeyondWorkersAndBacklogGet503AtOnce) {
  Daemon d(s_db->url(), {"--threads", "1", "--backlog", "1", "--read-timeout", "3s",
                         "--request-timeout", "3s"});
  ASSERT_GT(d.port(), 0);
  // One connection holds the only worker (half a request), one waits in the backlog.
  int busy = connect_loopback(d.port());
  ASSERT_GE(busy, 0);
  ASSERT_TRUE(send_all(busy, "POST /webhooks/vapi HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int queued = connect_loopback(d.port());
  ASSERT_GE(queued, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The next one is refused at once with Retry-After, not left hanging.
  const auto t0 = std::chrono::steady_clock::now();
  auto a = http_request(d.port(), "GET", "/healthz", {}, "", std::chrono::seconds(2));
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.headers["retry-after"], "1");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ::close(busy);
  ::close(queued);
  // Freed: served again.
  HttpAnswer ok;
  for (int i = 0; i < 50 && ok.status != 200; ++i) {
    ok = http_request(d.port(), "GET", "/healthz", {}, "", std::chrono::seconds(2));
    if (ok.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ok.status, 200);
  auto m = http_request(d.port(), "GET", "/metrics", {}, "");
  const auto at = m.body.find("\ncrm_webhook_connections_refused_total ");
  ASSERT_NE(at, std::string::npos) << m.body;
  EXPECT_GE(std::atof(m.body.c_str() + at + 39), 1.0) << m.body;
}

TEST_F(Serve, TwoDaemonsOnOneDatabaseStoreConcurrentDuplicatesOnce) {
  const std::string asst = uid("asst_");
  auto slug = tenant_with_agent("vapi", asst);
  Daemon a(s_db->url());
  Daemon b(s_db->url());
  ASSERT_GT(a.port(), 0);
  ASSERT_GT(b.port(), 0);
  std::vector<std::string> calls;
  for (int i = 0; i < 10; ++i)
    calls.push_back(uid("call"));
  std::atomic<int> ok{0}, other{0};
  std::vector<std::thread> senders;
  for (int copy = 0; copy < 4; ++copy)
    senders.emplace_back([&, copy] {
      const Daemon& to = copy % 2 ? a : b;
      for (const auto& c : calls) {
        const std::string body = end_of_call(c, asst);
        auto r = http_request(to.port(), "POST", "/webhooks/vapi", vapi_headers(to.secrets().vapi, body), body);
        (r.status == 200 ? ok : other)++;
      }
    });
  for (auto& t : senders)
    t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(other.load(), 0);
  for (const auto& c : calls) {
    EXPECT_EQ(inbox_rows("vapi", c), 1) << c;
    EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1 AND external_call_id = $2",
                    {tenant_id(slug), c}),
              1);
  }
}

TEST_F(Serve, EveryOrderOfLifecycleEventsConvergesThroughTheDaemon) {
  std::string agent, token;
  const std::string ext = uid("agent_");
  tenant_with_agent("retell", ext, &agent, &token);
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  auto event = [&](const std::string& type, const std::string& call) {
    json c = {{"call_id", call}, {"agent_id", ext}, {"call_type", "phone_call"}, {"direction", "inbound"},
              {"from_number", "+15557654321"}, {"to_number", "+15550001111"},
              {"start_timestamp", 1763632800000}};
    if (type != "call_started") {
      c["end_timestamp"] = 1763632890000;
      c["duration_ms"] = 90000;
      c["transcript"] = "Agent: hi\nUser: hello";
      c["disconnection_reason"] = "user_hangup";
      c["call_cost"] = {{"combined_cost", 7}};
    }
    if (type == "call_analyzed")
      c["call_analysis"] = {{"call_summary", "Short call"}, {"user_sentiment", "Positive"}};
    return json{{"event", type}, {"call", c}}.dump();
  };
  std::vector<std::string> order = {"call_started", "call_ended", "call_analyzed"};
  std::sort(order.begin(), order.end());
  std::set<std::string> finals;
  int perm = 0;
  do {
    const std::string call = uid("call_");
    for (const auto& type : order) {
      const std::string body = event(type, call);
      auto r = http_request(d.port(), "POST", "/webhooks/agent/" + agent,
                            retell_headers(d.secrets().retell, body), body);
      ASSERT_EQ(r.status, 200) << type << ": " << r.body;
    }
    finals.insert(scalar("SELECT row(status, started_at, ended_at, duration_seconds, provider_cost, "
                         "transcript, summary, sentiment, ended_reason, lifecycle_stage)::text "
                         "FROM calls WHERE external_call_id = $1",
                         {call}));
    ++perm;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(perm, 6);
  EXPECT_EQ(finals.size(), 1u) << [&] {
    std::string all;
    for (auto& f : finals) all += f + "\n";
    return all;
  }();
}

TEST_F(Serve, SuspendedTenantsEventsAreHeldThenReplayedAfterResume) {
  const std::string asst = uid("asst_");
  auto slug = tenant_with_agent("vapi", asst);
  ASSERT_EQ(run({"tenant", "suspend", slug, "--yes"}).code, 0);
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  const std::string call = uid("call");
  const std::string body = end_of_call(call, asst);
  auto a = http_request(d.port(), "POST", "/webhooks/vapi", vapi_headers(d.secrets().vapi, body), body);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["status"], "held");
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE external_call_id = $1", {call}), 0);
  ASSERT_EQ(run({"tenant", "resume", slug}).code, 0);
  const std::string id = scalar("SELECT id::text FROM webhook_events WHERE event_key LIKE $1", {call + "%"});
  auto r = run({"webhooks", "replay", "--id", id});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE external_call_id = $1", {call}), 1);
}

TEST_F(Serve, DryRunChecksSettingsPortAndDatabaseThenExits) {
  auto r = run({"--dry-run", "serve", "--listen", "127.0.0.1:0"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["vapi_secrets"], 0); // none configured here: those requests would be refused
  // A port already taken is a usage error naming --listen.
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  auto taken = run({"--dry-run", "serve", "--listen", "127.0.0.1:" + std::to_string(d.port())});
  EXPECT_EQ(taken.code, 2) << taken;
  EXPECT_NE(taken.err.find("--listen"), std::string::npos) << taken;
}

TEST_F(Serve, HealthReadinessAndMetrics) {
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  EXPECT_EQ(http_request(d.port(), "GET", "/healthz", {}, "").status, 200);
  EXPECT_EQ(http_request(d.port(), "GET", "/readyz", {}, "").status, 200);
  auto m = http_request(d.port(), "GET", "/metrics", {}, "");
  ASSERT_EQ(m.status, 200);
  for (const char* family : {"# TYPE crm_webhook_requests_total counter",
                             "# TYPE crm_webhook_inbox_lag_seconds gauge",
                             "# TYPE crm_webhook_inbox_rows gauge",
                             "crm_webhook_requests_total{route=\"healthz\",status=\"200\"} 1"})
    EXPECT_NE(m.body.find(family), std::string::npos) << family << "\n" << m.body;
  EXPECT_EQ(d.stop(SIGTERM), 0) << d.log();
}

// SIGTERM while clients keep sending: every 2xx is in the database, the exit is clean.
TEST_F(Serve, SigtermUnderLoadLosesNothingAcknowledged) {
  const std::string asst = uid("asst_");
  auto slug = tenant_with_agent("vapi", asst);
  Daemon d(s_db->url());
  ASSERT_GT(d.port(), 0);
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> sent{0}, refused{0}, other{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&] {
      while (!stop) {
        const std::string call = uid("call");
        const std::string body = end_of_call(call, asst);
        ++sent;
        auto r = http_request(d.port(), "POST", "/webhooks/vapi", vapi_headers(d.secrets().vapi, body), body,
                              std::chrono::seconds(10));
        if (r.status == 200) {
          std::lock_guard lock(mu);
          acked.push_back(call);
        } else if (r.status == 0) {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++other;
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const int code = d.stop(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(code, 0) << d.log();
  ASSERT_GT(acked.size(), 10u) << "too little load to mean anything";
  EXPECT_EQ(static_cast<int>(acked.size()) + refused.load() + other.load(), sent.load());
  long missing = 0;
  for (const auto& c : acked)
    if (count("SELECT count(*) FROM calls WHERE org_id = $1 AND external_call_id = $2",
              {tenant_id(slug), c}) != 1)
      ++missing;
  EXPECT_EQ(missing, 0) << "acknowledged events missing after SIGTERM";
}

// A database restart under load, on a cluster of its own: no 2xx while it is down, answers come
// back by themselves, every acknowledged event is stored.
TEST(ServeFaults, DatabaseRestartUnderLoad) {
  namespace fs = std::filesystem;
  const std::string pg = std::string(CRM_SOURCE_DIR) + "/tests/harness/pg.sh";
  const std::string dir = (fs::temp_directory_path() / ("crm-serve-pg-" + crypto::hex(crypto::random_bytes(4)))).string();
  ASSERT_EQ(std::system((pg + " start " + dir + " >/dev/null").c_str()), 0);
  struct Cleanup {
    std::string cmd, dir;
    ~Cleanup() {
      (void)!std::system(cmd.c_str());
      std::filesystem::remove_all(dir);
    }
  } cleanup{pg + " stop " + dir + " >/dev/null 2>&1", dir};
  const std::string url = read_file(dir + "/url").substr(0, read_file(dir + "/url").find('\n'));
  Cli cli;
  auto m = cli({"--db", url, "-o", "json", "migrate", "up"});
  ASSERT_EQ(m.code, 0) << m;
  auto t = cli({"--db", url, "-o", "json", "tenant", "create", "Restart Co"});
  ASSERT_EQ(t.code, 0) << t;
  const std::string slug = t.json()["slug"];
  const std::string asst = "asst_restart";
  ASSERT_EQ(cli({"--db", url, "-o", "json", "agent", "create", "--tenant", slug, "--provider", "vapi",
                 "--external-id", asst})
                .code,
            0);
  Daemon d(url);
  ASSERT_GT(d.port(), 0);
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> unavailable{0}, after_restart_ok{0}, sent{0}, errors{0};
  std::atomic<bool> stop{false}, restarted{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&, i] {
      for (int n = 0; !stop; ++n) {
        const std::string call = "call" + std::to_string(i) + "x" + std::to_string(n);
        const std::string body = end_of_call(call, asst);
        ++sent;
        auto r = http_request(d.port(), "POST", "/webhooks/vapi", vapi_headers(d.secrets().vapi, body), body,
                              std::chrono::seconds(12));
        if (r.status == 200) {
          std::lock_guard lock(mu);
          acked.push_back(call);
          if (restarted) ++after_restart_ok;
        } else if (r.status == 503) {
          EXPECT_FALSE(r.headers["retry-after"].empty());
          ++unavailable;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          ++errors;
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // Down: stopped for a moment (every request meanwhile must be refused, never acknowledged).
  ASSERT_EQ(std::system((pg + " stop " + dir + " >/dev/null").c_str()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(http_request(d.port(), "GET", "/readyz", {}, "").status, 503);
  ASSERT_EQ(std::system((pg + " restart " + dir + " >/dev/null 2>&1 || true").c_str()), 0);
  // pg.sh stop removed the url file; restart needs the data dir only.
  restarted = true;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (after_restart_ok < 10 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& c : clients)
    c.join();
  EXPECT_GE(after_restart_ok.load(), 10) << "the daemon did not recover by itself\n" << d.log();
  EXPECT_GT(unavailable.load(), 0) << "the outage was not observed";
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(http_request(d.port(), "GET", "/readyz", {}, "").status, 200);
  auto c = db::Connection::open(url);
  ASSERT_TRUE(c);
  long missing = 0;
  for (const auto& call : acked) {
    auto r = (*c)->exec("SELECT count(*) AS n FROM calls WHERE external_call_id = $1", {call});
    if (!r || r->get(0, "n") != "1") ++missing;
  }
  EXPECT_EQ(missing, 0) << "acknowledged events lost across the restart";
  EXPECT_EQ(d.stop(SIGTERM), 0);
}

} // namespace
