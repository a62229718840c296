#include "http/client.hpp"
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
  auto r = c.send({"GET", "https://x/a", {}, "", 1000ms, true});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(c.last_attempts(), 3);
  ASSERT_EQ(clock.slept().size(), 2u);
  EXPECT_EQ(clock.slept()[0], 1000ms); // Retry-After honoured
  EXPECT_EQ(clock.slept()[1], 200ms);  // base * 2^1
}

TEST(Retry, NonIdempotentRequestRetriedOnlyOn429) {
  test::FakeHttp fake;
  test::FakeClock clock;
  fake.on("POST", "https://x/buy", http::Response{500, {}, "boom"});
  http::RetryingClient c(fake, clock, {3, 100ms, 5000ms, [] { return 1.0; }});
  auto r = c.send({"POST", "https://x/buy", {}, "a=1", 1000ms, false});
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
  auto r = c.send({"GET", "https://x/", {}, "", 100ms, true});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::upstream);
  EXPECT_EQ(c.last_attempts(), 3);
}

TEST(Form, Encoding) {
  EXPECT_EQ(http::form_encode({{"PhoneNumber", "+15005550006"}, {"FriendlyName", "A&B c"}}),
            "PhoneNumber=%2B15005550006&FriendlyName=A%26B%20c");
}
