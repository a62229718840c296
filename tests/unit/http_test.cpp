#include "core/exit_codes.hpp"
#include "http/client.hpp"
#include "http/provider_error.hpp"
#include "support/fakes.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace std::chrono_literals;

TEST(Retry, BackoffGrowsWithJitterAndCap) {
  http::RetryPolicy p{5, 2000ms, 10'000ms, [] { return 0.5; }};
  EXPECT_EQ(http::backoff_delay(p, 0, std::nullopt), 1000ms);
  EXPECT_EQ(http::backoff_delay(p, 1, std::nullopt), 2000ms);
  EXPECT_EQ(http::backoff_delay(p, 2, std::nullopt), 4000ms);
  EXPECT_EQ(http::backoff_delay(p, 5, std::nullopt), 5000ms); // capped at 10 s, times jitter
  EXPECT_EQ(http::backoff_delay(p, 0, 3000ms), 3000ms);
  EXPECT_EQ(http::backoff_delay(p, 0, 60'000ms), 10'000ms);
}

TEST(Retry, RetryAfterForms) {
  auto now = std::chrono::system_clock::from_time_t(1'700'000'000); // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(*http::retry_after({{"retry-after", "7"}}, now), 7000ms);
  EXPECT_EQ(*http::retry_after({{"retry-after-ms", "250"}, {"retry-after", "7"}}, now), 250ms);
  EXPECT_EQ(*http::retry_after({{"retry-after", "Tue, 14 Nov 2023 22:13:30 GMT"}}, now), 10'000ms);
  EXPECT_FALSE(http::retry_after({{"retry-after", "soon"}}, now));
  EXPECT_FALSE(http::retry_after({}, now));
}

TEST(Retry, RetriesRetryableStatusesThenSucceeds) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("GET", "https://x/a", http::Response{429, {{"retry-after", "1"}}, ""});
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  fake.on("GET", "https://x/a", http::Response{200, {}, "ok"});
  http::RetryingClient c(fake, clock, {3, 100ms, 5000ms, [] { return 1.0; }});
  auto r = c.send({"GET", "https://x/a", {}, "", 1000ms});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(c.last_attempts(), 3);
  ASSERT_EQ(clock.slept().size(), 2u);
  EXPECT_EQ(clock.slept()[0], 1000ms); // Retry-After honoured
  EXPECT_EQ(clock.slept()[1], 200ms);  // base * 2^1
}

TEST(Retry, PostWithoutKeyIsNotRetriedOn5xx) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/buy", http::Response{500, {}, "boom"});
  http::RetryingClient c(fake, clock, {3, 100ms, 5000ms, [] { return 1.0; }});
  auto r = c.send({"POST", "https://x/buy", {}, "a=1", 1000ms});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(c.last_attempts(), 1);
}

TEST(Retry, GivesUpAfterMaxRetries) {
  test::FakeHttp fake;
  test::FakeClock clock;
  for (int i = 0; i < 3; ++i)
    fake.on("GET", "https://x/", make_error(ErrorKind::upstream, "refused"));
  http::RetryingClient c(fake, clock, {2, 10ms, 100ms, [] { return 0.0; }});
  auto r = c.send({"GET", "https://x/", {}, "", 100ms});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::upstream);
  EXPECT_EQ(c.last_attempts(), 3);
}

TEST(Form, Encoding) {
  EXPECT_EQ(http::form_encode({{"PhoneNumber", "+15005550006"}, {"FriendlyName", "A&B c"}}),
            "PhoneNumber=%2B15005550006&FriendlyName=A%26B%20c");
}

namespace {

http::Request post(std::string url, std::string body) {
  http::Request r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = std::move(body);
  r.timeout = 1000ms;
  return r;
}

http::Request get(std::string url) {
  http::Request r;
  r.url = std::move(url);
  r.timeout = 1000ms;
  return r;
}

Error sent_then_lost(const std::string& what) {
  return make_error(ErrorKind::outcome_unknown,
                    what + ": Timeout was reached after the request was sent");
}

/// Raises a flag while forwarding the request, as a Ctrl-C during the first attempt would.
class RaiseFlagOnSend final : public http::Client {
public:
  RaiseFlagOnSend(http::Client& inner, std::atomic<bool>& flag) : m_inner(inner), m_flag(flag) {}
  Result<http::Response> send(const http::Request& req) override {
    m_flag = true;
    return m_inner.send(req);
  }

private:
  http::Client& m_inner;
  std::atomic<bool>& m_flag;
};

const http::RetryPolicy k_policy{3, 100ms, 5000ms, [] { return 1.0; }};

} // namespace

TEST(HttpRetry, RepeatableByMethodKeyOrCallerDecision) {
  EXPECT_TRUE(http::is_repeatable(get("https://x/")));
  for (const char* m : {"HEAD", "PUT", "DELETE", "OPTIONS", "delete"}) {
    auto r = get("https://x/");
    r.method = m;
    EXPECT_TRUE(http::is_repeatable(r)) << m;
  }
  auto p = post("https://x/buy", "a=1");
  EXPECT_FALSE(http::is_repeatable(p));
  p.method = "PATCH";
  EXPECT_FALSE(http::is_repeatable(p));
  p.idempotency_key = "";
  EXPECT_FALSE(http::is_repeatable(p)); // an empty key is no key
  p.idempotency_key = "k-1";
  EXPECT_TRUE(http::is_repeatable(p));
  p.idempotency_key.reset();
  p.retry_safety = http::RetrySafety::safe;
  EXPECT_TRUE(http::is_repeatable(p));
  auto g = get("https://x/");
  g.retry_safety = http::RetrySafety::unsafe;
  EXPECT_FALSE(http::is_repeatable(g));
}

TEST(HttpRetry, PostWithoutKeyIsNeverRetriedWhenTheOutcomeIsUnknown) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/buy", sent_then_lost("POST https://x/buy"));
  http::RetryingClient c(fake, clock, k_policy);
  auto r = c.send(post("https://x/buy", "PhoneNumber=%2B15005550006"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::outcome_unknown);
  EXPECT_EQ(c.last_attempts(), 1);
  EXPECT_TRUE(clock.slept().empty());
  EXPECT_NE(r.error().message.find("may have processed"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("read the provider's state"), std::string::npos);
  EXPECT_EQ(fake.requests.at(0).headers.count("Idempotency-Key"), 0u);
}

TEST(HttpRetry, PostWithIdempotencyKeyIsRetriedAndCarriesTheHeader) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/buy", sent_then_lost("POST https://x/buy"));
  fake.on("POST", "https://x/buy", http::Response{503, {}, ""});
  fake.on("POST", "https://x/buy", http::Response{201, {}, R"({"sid":"PN1"})"});
  http::RetryingClient c(fake, clock, k_policy);
  auto req = post("https://x/buy", "a=1");
  req.idempotency_key = "buy-7f3a";
  auto r = c.send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(c.last_attempts(), 3);
  ASSERT_EQ(fake.requests.size(), 3u);
  for (const auto& sent : fake.requests)
    EXPECT_EQ(sent.headers.at("Idempotency-Key"), "buy-7f3a");
}

TEST(HttpRetry, CallerIdempotencyHeaderIsKept) {
  auto req = post("https://x/buy", "a=1");
  req.idempotency_key = "from-field";
  req.headers["idempotency-key"] = "from-header";
  auto h = http::headers_to_send(req);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.at("idempotency-key"), "from-header");
}

TEST(HttpRetry, GetRetriedOn503AndOnConnectionRefused) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  fake.on("GET", "https://x/a",
          make_error(ErrorKind::upstream, "GET https://x/a: Couldn't connect to server"));
  fake.on("GET", "https://x/a", sent_then_lost("GET https://x/a"));
  fake.on("GET", "https://x/a", http::Response{200, {}, "ok"});
  http::RetryingClient c(fake, clock, k_policy);
  auto r = c.send(get("https://x/a"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(c.last_attempts(), 4);
  EXPECT_EQ(clock.slept(), (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms}));
}

TEST(HttpRetry, PostRetriedWhenNeverSentAndOn429) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/buy",
          make_error(ErrorKind::upstream, "POST https://x/buy: Couldn't connect to server"));
  fake.on("POST", "https://x/buy", http::Response{429, {{"retry-after", "2"}}, ""});
  fake.on("POST", "https://x/buy", http::Response{201, {}, "{}"});
  http::RetryingClient c(fake, clock, k_policy);
  auto r = c.send(post("https://x/buy", "a=1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(c.last_attempts(), 3);
  EXPECT_EQ(clock.slept(), (std::vector<std::chrono::milliseconds>{100ms, 2000ms}));
}

TEST(HttpRetry, CallerDecisionOverridesTheMethod) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/search", http::Response{503, {}, ""});
  fake.on("POST", "https://x/search", http::Response{200, {}, "[]"});
  fake.on("GET", "https://x/side-effect", sent_then_lost("GET https://x/side-effect"));
  http::RetryingClient c(fake, clock, k_policy);
  auto search = post("https://x/search", "q=1");
  search.retry_safety = http::RetrySafety::safe;
  auto r = c.send(search);
  ASSERT_TRUE(r);
  EXPECT_EQ(c.last_attempts(), 2);
  auto once = get("https://x/side-effect");
  once.retry_safety = http::RetrySafety::unsafe;
  auto u = c.send(once);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().kind, ErrorKind::outcome_unknown);
  EXPECT_EQ(c.last_attempts(), 1);
}

TEST(HttpRetry, DeadlineStopsRetryingAndCutsAttemptTimeouts) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  auto policy = k_policy;
  policy.max_retries = 10;
  policy.base = 1000ms;
  policy.deadline = 2500ms;
  http::RetryingClient c(fake, clock, policy);
  auto req = get("https://x/a");
  req.timeout = 30'000ms;
  auto r = c.send(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);       // the last answer, as it came
  EXPECT_EQ(c.last_attempts(), 2); // a third would need a 2 s sleep ending past 2.5 s
  EXPECT_EQ(clock.slept(), (std::vector<std::chrono::milliseconds>{1000ms}));
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[0].timeout, 2500ms);
  EXPECT_EQ(fake.requests[1].timeout, 1500ms);
}

TEST(HttpRetry, CancellationBeforeTheFirstAttempt) {
  test::FakeHttp fake;
  test::FakeClock clock;
  std::atomic<bool> stop{true};
  auto policy = k_policy;
  policy.cancel = &stop;
  http::RetryingClient c(fake, clock, policy);
  auto r = c.send(get("https://x/a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::interrupted);
  EXPECT_EQ(c.last_attempts(), 0);
  EXPECT_TRUE(fake.requests.empty());
}

TEST(HttpRetry, CancellationDuringTheBackoffSleep) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  std::atomic<bool> stop{false};
  RaiseFlagOnSend raising(fake, stop);
  auto policy = k_policy;
  policy.base = 5000ms;
  policy.cancel = &stop;
  http::RetryingClient c(raising, clock, policy);
  auto r = c.send(get("https://x/a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::interrupted);
  EXPECT_EQ(c.last_attempts(), 1);
  EXPECT_TRUE(clock.slept().empty());           // seen before the first slice
  EXPECT_EQ(fake.requests.at(0).cancel, &stop); // the transport can abandon the transfer too
}

TEST(HttpRetry, SleepsInSlicesWhenCancellable) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("GET", "https://x/a", http::Response{503, {}, ""});
  fake.on("GET", "https://x/a", http::Response{200, {}, ""});
  std::atomic<bool> stop{false};
  auto policy = k_policy;
  policy.base = 250ms;
  policy.cancel = &stop;
  http::RetryingClient c(fake, clock, policy);
  ASSERT_TRUE(c.send(get("https://x/a")));
  EXPECT_EQ(clock.slept(), (std::vector<std::chrono::milliseconds>{100ms, 100ms, 50ms}));
}

TEST(HttpRetry, OutcomeUnknownExitsSixWithItsOwnName) {
  EXPECT_EQ(exit_code_for(ErrorKind::outcome_unknown), 6);
  EXPECT_EQ(kind_name(ErrorKind::outcome_unknown), "outcome_unknown");
  EXPECT_EQ(exit_code_for(ErrorKind::upstream), 6);
}

namespace {
http::ProviderFault fault(int status, const std::string& body) {
  return http::parse_provider_fault({status, {{"content-type", "application/json"}}, body});
}
} // namespace

TEST(HttpProviderError, Twilio) {
  auto f = fault(400, R"({"code":21452,"message":"No phone numbers found in area code 533",
      "more_info":"https://www.twilio.com/docs/errors/21452","status":400})");
  EXPECT_EQ(f.http_status, 400);
  EXPECT_EQ(f.code, "21452");
  EXPECT_EQ(f.message, "No phone numbers found in area code 533");
}

TEST(HttpProviderError, ElevenLabsDetailObjectStringAndValidationList) {
  auto o = fault(401, R"({"detail":{"status":"invalid_api_key","message":"Invalid API key"}})");
  EXPECT_EQ(o.code, "invalid_api_key");
  EXPECT_EQ(o.message, "Invalid API key");
  auto s = fault(404, R"({"detail":"Phone number not found"})");
  EXPECT_EQ(s.code, "");
  EXPECT_EQ(s.message, "Phone number not found");
  auto l = fault(422, R"({"detail":[{"loc":["body","phone_number"],"msg":"field required",
      "type":"value_error.missing"},{"loc":["body","label"],"msg":"str type expected",
      "type":"type_error.str"}]})");
  EXPECT_EQ(l.http_status, 422);
  EXPECT_EQ(l.code, "value_error.missing");
  EXPECT_EQ(l.message, "phone_number: field required; label: str type expected");
}

TEST(HttpProviderError, VapiMessageStringOrList) {
  auto s = fault(404, R"({"message":"Cannot POST /tool/x","error":"Not Found","statusCode":404})");
  EXPECT_EQ(s.code, "Not Found");
  EXPECT_EQ(s.message, "Cannot POST /tool/x");
  auto l = fault(400, R"({"message":["function.name must be a string","server.url must be a URL"],
      "error":"Bad Request","statusCode":400})");
  EXPECT_EQ(l.http_status, 400);
  EXPECT_EQ(l.code, "Bad Request");
  EXPECT_EQ(l.message, "function.name must be a string; server.url must be a URL");
}

TEST(HttpProviderError, RetellErrorMessageOrMessage) {
  auto e = fault(402, R"({"error_message":"Insufficient balance"})");
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.message, "Insufficient balance");
  auto m = fault(401, R"({"status":"error","message":"Invalid API Key"})");
  EXPECT_EQ(m.message, "Invalid API Key");
}

TEST(HttpProviderError, GoogleOAuthAndGoogleApis) {
  auto o = fault(
      400, R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})");
  EXPECT_EQ(o.code, "invalid_grant");
  EXPECT_EQ(o.message, "Token has been expired or revoked.");
  auto bare = fault(400, R"({"error":"invalid_client"})");
  EXPECT_EQ(bare.code, "invalid_client");
  EXPECT_EQ(bare.message, "invalid_client");
  auto a = fault(
      401,
      R"({"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}})");
  EXPECT_EQ(a.code, "UNAUTHENTICATED");
  EXPECT_EQ(a.message, "Request had invalid authentication credentials.");
}

TEST(HttpProviderError, NonJsonBodies) {
  EXPECT_EQ(fault(502, "<html><body>Bad gateway</body></html>").message, "HTTP 502");
  EXPECT_EQ(fault(503, "upstream connect error\n").message, "upstream connect error");
  EXPECT_EQ(fault(500, "").message, "HTTP 500");
  EXPECT_EQ(fault(500, "[1,2]").message, "HTTP 500");
}

TEST(HttpProviderError, ErrorCarriesStatusCodeAndMessage) {
  http::Response r{
      400,
      {},
      R"({"code":21422,"message":"PhoneNumber +15005550000 is not available","status":400})"};
  Error e = http::provider_error(r, ErrorKind::conflict, "twilio refused the purchase");
  EXPECT_EQ(e.kind, ErrorKind::conflict);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.provider_code, "21422");
  EXPECT_EQ(e.provider_message, "PhoneNumber +15005550000 is not available");
  EXPECT_EQ(e.message,
            "twilio refused the purchase: PhoneNumber +15005550000 is not available (code 21422)");
  EXPECT_EQ(http::error_kind_for_status(401), ErrorKind::config);
  EXPECT_EQ(http::error_kind_for_status(404), ErrorKind::not_found);
  EXPECT_EQ(http::error_kind_for_status(409), ErrorKind::conflict);
  EXPECT_EQ(http::error_kind_for_status(500), ErrorKind::upstream);
}
