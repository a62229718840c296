// The libcurl client, the retry policy and credential verification against the provider simulator.
#include "http/client.hpp"
#include "providers/verify.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"
#include "support/sim.hpp"
#include "support/tenant_fixture.hpp"
#include "tenant/tenant.hpp"
#include "tenant/vault.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace std::chrono_literals;

namespace {
const std::string k_sid = "AC0123456789abcdef0123456789abcdef", k_token = "tok_0123456789abcdef";

Status inject(http::Client& c, const std::string& url, const std::string& body) {
  auto r =
      c.send({"POST", url + "/__sim/faults", {{"Content-Type", "application/json"}}, body, 5000ms});
  if (!r || r->status != 201) return make_error(ErrorKind::unexpected, "fault injection failed");
  return {};
}
} // namespace

TEST(Providers, CurlClientRetriesInjectedFaultsHonouringRetryAfter) {
  test::Simulator sim({"elevenlabs:sk_good_key_123456"});
  auto curl = http::make_curl_client();
  ASSERT_TRUE(inject(*curl, sim.url(),
                     R"({"path_prefix":"/v1/user","status":429,"count":1,"retry_after":"1"})"));
  ASSERT_TRUE(inject(*curl, sim.url(), R"({"path_prefix":"/v1/user","status":503,"count":1})"));
  test::FakeClock clock;
  http::RetryingClient c(*curl, clock, {3, 100ms, 5000ms, [] { return 0.5; }});
  auto r =
      c.send({"GET", sim.url() + "/v1/user", {{"xi-api-key", "sk_good_key_123456"}}, "", 5000ms});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.last_attempts(), 3);
  ASSERT_EQ(clock.slept().size(), 2u);
  EXPECT_EQ(clock.slept()[0], 1000ms); // Retry-After: 1
  EXPECT_EQ(clock.slept()[1], 100ms);  // full jitter 0.5 × 100 ms × 2^1
}

TEST(Providers, ConnectionRefusedIsUpstream) {
  auto curl = http::make_curl_client();
  auto r = curl->send({"GET", "http://127.0.0.1:1/x", {}, "", 2000ms});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::upstream);
}

TEST(Providers, VerifyCredentialsAgainstTheSimulator) {
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token, "elevenlabs:sk_good_key_123456",
                       "retell:key_retell_1", "google:cid:csecret:rtoken"});
  auto curl = http::make_curl_client();
  EXPECT_TRUE(providers::verify_credentials(*curl, "twilio", sim.url(),
                                            {{"account_sid", k_sid}, {"auth_token", k_token}}));
  auto bad = providers::verify_credentials(*curl, "twilio", sim.url(),
                                           {{"account_sid", k_sid}, {"auth_token", "nope"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::config);
  EXPECT_NE(bad.error().message.find("Authenticate"), std::string::npos);
  EXPECT_EQ(bad.error().http_status, 401);
  EXPECT_EQ(bad.error().provider_code, "20003");
  EXPECT_EQ(bad.error().provider_message, "Authenticate");
  EXPECT_TRUE(providers::verify_credentials(*curl, "elevenlabs", sim.url(),
                                            {{"api_key", "sk_good_key_123456"}}));
  auto el = providers::verify_credentials(*curl, "elevenlabs", sim.url(), {{"api_key", "sk_bad"}});
  ASSERT_FALSE(el);
  EXPECT_EQ(el.error().kind, ErrorKind::config);
  EXPECT_EQ(el.error().provider_code, "invalid_api_key");
  EXPECT_EQ(el.error().provider_message, "Invalid API key");
  EXPECT_TRUE(
      providers::verify_credentials(*curl, "retell", sim.url(), {{"api_key", "key_retell_1"}}));
  EXPECT_TRUE(providers::verify_credentials(
      *curl, "google", sim.url(),
      {{"client_id", "cid"}, {"client_secret", "csecret"}, {"refresh_token", "rtoken"}}));
  auto g = providers::verify_credentials(
      *curl, "google", sim.url(),
      {{"client_id", "cid"}, {"client_secret", "csecret"}, {"refresh_token", "x"}});
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind, ErrorKind::config);
  EXPECT_EQ(g.error().provider_code, "invalid_grant");
  ASSERT_TRUE(inject(*curl, sim.url(), R"({"path_prefix":"/list-agents","status":500,"count":5})"));
  auto down =
      providers::verify_credentials(*curl, "retell", sim.url(), {{"api_key", "key_retell_1"}});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::upstream);
  EXPECT_EQ(down.error().http_status, 500);
}

class ProvidersVault : public test::TenantFixture {};

TEST_F(ProvidersVault, VerifyRecordsTheOutcome) {
  auto t = create(spec("Verify Clinic"));
  auto key = test::key_of('m');
  test::Simulator sim({"twilio:" + k_sid + ":" + k_token});
  ASSERT_TRUE(set_credentials(t, "twilio", {{"account_sid", k_sid}, {"auth_token", k_token}}, key));
  ASSERT_TRUE(set_credentials(t, "elevenlabs", {{"api_key", "sk_not_accepted_1"}}, key));
  auto curl = http::make_curl_client();
  auto rep = in_tenant(t, [&](db::TenantTx& tx) {
    return tenant::verify_stored(
        tx, t, "", key, *curl, [&](const std::string&) { return sim.url(); }, actor);
  });
  ASSERT_TRUE(rep) << rep.error().message;
  ASSERT_TRUE(rep->failure);
  EXPECT_EQ(rep->failure->kind, ErrorKind::config);
  auto list = *list_credentials(t);
  ASSERT_EQ(list.size(), 2u);
  for (const auto& row : list) {
    if (row.provider == "twilio") {
      EXPECT_NE(row.last_verified_at, "");
      EXPECT_EQ(row.verification_error, "");
    } else {
      EXPECT_EQ(row.last_verified_at, "");
      EXPECT_NE(row.verification_error.find("rejected"), std::string::npos);
    }
  }
}
