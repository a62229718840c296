// The libcurl client against the provider simulator: connection reuse, bounded concurrency, and
// the requests that must not be sent twice (commit then drop, latency beyond the timeout).
#include "core/crypto.hpp"
#include "http/client.hpp"
#include "support/fakes.hpp"
#include "support/sim.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace crm;
using namespace std::chrono_literals;

namespace {

const std::string k_sid = "AC0123456789abcdef0123456789abcdef", k_token = "tok_0123456789abcdef";
const std::string k_user_key = "sk_good_key_123456";

std::string accounts(const test::Simulator& sim) {
  return sim.url() + "/2010-04-01/Accounts/" + k_sid;
}

http::Request twilio(const test::Simulator& sim, std::string method, std::string path) {
  http::Request r;
  r.method = std::move(method);
  r.url = accounts(sim) + path;
  r.headers["Authorization"] = "Basic " + crypto::base64_encode(k_sid + ":" + k_token);
  r.timeout = 5000ms;
  return r;
}

http::Request buy(const test::Simulator& sim, const std::string& number) {
  auto r = twilio(sim, "POST", "/IncomingPhoneNumbers.json");
  r.headers["Content-Type"] = "application/x-www-form-urlencoded";
  r.body = http::form_encode({{"PhoneNumber", number}, {"FriendlyName", "Front desk"}});
  return r;
}

http::Request user(const test::Simulator& sim) {
  http::Request r;
  r.url = sim.url() + "/v1/user";
  r.headers["xi-api-key"] = k_user_key;
  r.timeout = 5000ms;
  return r;
}

/// Numbers the simulated Twilio account holds (what a saga reads when the outcome is unknown).
size_t numbers_owned(http::Client& c, const test::Simulator& sim, const std::string& number) {
  auto r = c.send(
      twilio(sim, "GET", "/IncomingPhoneNumbers.json?PhoneNumber=" + http::url_encode(number)));
  if (!r || r->status != 200) return 999;
  return nlohmann::json::parse(r->body)["incoming_phone_numbers"].size();
}

http::RetryPolicy fast_policy() {
  return {3, 10ms, 100ms, [] { return 1.0; }};
}

} // namespace

TEST(HttpCurl, SequentialRequestsReuseOneConnection) {
  test::Simulator sim({"elevenlabs:" + k_user_key});
  auto curl = http::make_curl_client();
  for (int i = 0; i < 3; ++i) {
    auto r = curl->send(user(sim));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(curl->stats().requests, 3u);
  EXPECT_EQ(curl->stats().connections_opened, 1u);
  auto seen = sim.requests("GET", "/v1/user");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0]["remote_port"], seen[1]["remote_port"]); // the simulator saw one connection
  EXPECT_EQ(seen[1]["remote_port"], seen[2]["remote_port"]);
}

TEST(HttpCurl, PostWithoutKeyStartsOnAFreshConnectionAndKeyedPostReuses) {
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token});
  auto curl = http::make_curl_client();
  ASSERT_TRUE(curl->send(twilio(sim, "GET", ".json")));
  auto plain = curl->send(buy(sim, "+15005550006"));
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->status, 201);
  EXPECT_EQ(curl->stats().connections_opened, 2u);
  auto keyed_req = buy(sim, "+15005550007");
  keyed_req.idempotency_key = "buy-+15005550007";
  auto keyed = curl->send(keyed_req);
  ASSERT_TRUE(keyed) << keyed.error().message;
  EXPECT_EQ(curl->stats().connections_opened, 2u);
  auto posts = sim.requests("POST", "/2010-04-01/");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0]["idempotency_key"], "");
  EXPECT_EQ(posts[1]["idempotency_key"], "buy-+15005550007");
  EXPECT_EQ(posts[1]["headers"]["authorization"], "***");
}

TEST(HttpCurl, CommitThenTruncatedAnswerOnPostIsOutcomeUnknownAndSentOnce) {
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token});
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/Accounts/","method":"POST",
                            "drop":"partial"})"));
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, fast_policy());
  auto r = c.send(buy(sim, "+15005550006"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::outcome_unknown) << r.error().message;
  EXPECT_EQ(r.error().http_status, 201); // the status line arrived, the body did not
  EXPECT_NE(r.error().message.find("may have processed"), std::string::npos) << r.error().message;
  EXPECT_EQ(c.last_attempts(), 1);
  auto posts = sim.requests("POST", "/2010-04-01/");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["processed"], true);
  EXPECT_EQ(numbers_owned(c, sim, "+15005550006"), 1u); // bought once; the caller reads this
}

TEST(HttpCurl, CommitThenCloseOnAReusedConnectionIsNotResent) {
  // libcurl re-sends a request on a fresh connection when a reused one closes before any byte of
  // the answer. The client must not let that happen to a purchase.
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token});
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, fast_policy());
  ASSERT_TRUE(c.send(twilio(sim, "GET", ".json"))); // leaves a live connection in the cache
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/Accounts/","method":"POST",
                            "drop":"close"})"));
  auto r = c.send(buy(sim, "+15005550006"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::outcome_unknown) << r.error().message;
  EXPECT_EQ(r.error().http_status, 0);
  EXPECT_EQ(c.last_attempts(), 1);
  EXPECT_EQ(sim.requests("POST", "/2010-04-01/").size(), 1u);
  EXPECT_EQ(numbers_owned(c, sim, "+15005550006"), 1u);
}

TEST(HttpCurl, LatencyBeyondTheTimeoutOnPostIsOutcomeUnknown) {
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token});
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/Accounts/","method":"POST",
                            "delay_ms":1200})"));
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, fast_policy());
  auto req = buy(sim, "+15005550006");
  req.timeout = 300ms;
  auto r = c.send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::outcome_unknown) << r.error().message;
  EXPECT_EQ(c.last_attempts(), 1);
  // The provider finishes the purchase after the client gave up: exactly once.
  bool processed = false;
  for (int i = 0; i < 60 && !processed; ++i) {
    auto posts = sim.requests("POST", "/2010-04-01/");
    ASSERT_EQ(posts.size(), 1u);
    processed = posts[0]["processed"] == true;
    if (!processed) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(processed);
  EXPECT_EQ(numbers_owned(c, sim, "+15005550006"), 1u);
}

TEST(HttpCurl, LatencyBeyondTheTimeoutOnGetIsRetried) {
  test::Simulator sim({"elevenlabs:" + k_user_key});
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/v1/user","delay_ms":1200})"));
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, fast_policy());
  auto req = user(sim);
  req.timeout = 300ms;
  auto r = c.send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.last_attempts(), 2);
  EXPECT_EQ(sim.requests("GET", "/v1/user").size(), 2u);
}

TEST(HttpCurl, RefusedConnectionIsNeverSentSoAPostIsRetried) {
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, fast_policy());
  http::Request req;
  req.method = "POST";
  req.url = "http://127.0.0.1:1/buy";
  req.body = "a=1";
  req.timeout = 2000ms;
  auto r = c.send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::upstream) << r.error().message;
  EXPECT_EQ(c.last_attempts(), 4);
}

TEST(HttpCurl, InFlightRequestsAreBounded) {
  test::Simulator sim({"elevenlabs:" + k_user_key});
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/v1/user","delay_ms":150,"count":6})"));
  auto curl = http::make_curl_client({.max_in_flight = 2});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      auto r = curl->send(user(sim));
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(curl->stats().peak_in_flight, 2);
  EXPECT_LE(curl->stats().connections_opened, 2u); // two handles, each keeping its connection
  auto stats = sim.inspect("/__sim/stats");
  EXPECT_EQ(stats["max_in_flight"], 2);
}

TEST(HttpCurl, CancelAbandonsATransferInFlight) {
  test::Simulator sim({"elevenlabs:" + k_user_key});
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/v1/user","delay_ms":2000})"));
  auto curl = http::make_curl_client();
  test::FakeClock clock;
  std::atomic<bool> stop{false};
  auto policy = fast_policy();
  policy.cancel = &stop;
  http::RetryingClient c(*curl, clock, policy);
  std::thread raiser([&] {
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  auto started = std::chrono::steady_clock::now();
  auto r = c.send(user(sim));
  auto took = std::chrono::steady_clock::now() - started;
  raiser.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::interrupted) << r.error().message;
  EXPECT_LT(took, 1500ms) << "libcurl calls the progress callback at least once a second";
}
