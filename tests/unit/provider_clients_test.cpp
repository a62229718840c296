// The Twilio and ElevenLabs clients against scripted answers: paging, tolerance of other servers'
// shapes, error mapping, and which requests may be repeated.
#include "providers/elevenlabs.hpp"
#include "providers/twilio.hpp"
#include "support/fakes.hpp"
#include "telephony/accounts.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace crm;
namespace tw = crm::providers::twilio;
namespace el = crm::providers::elevenlabs;

namespace {

http::Response answer(int status, std::string body) {
  return http::Response{status, {{"content-type", "application/json"}}, std::move(body)};
}

const tw::Account k_acct{"https://tw.test", "AC123", "secret-token"};
const el::Account k_el{"https://el.test", "sk_key"};
const std::string k_list = "https://tw.test/2010-04-01/Accounts/AC123/IncomingPhoneNumbers.json";

} // namespace

TEST(TwilioClient, ListFollowsNextPageUriAndToleratesExtraAndMissingFields) {
  test::FakeHttp http;
  http.on("GET", k_list + "?PageSize=200",
          answer(200, R"({"incoming_phone_numbers":[{"sid":"PN1","phone_number":"+1415",
            "voice_url":null,"extra":{"x":1}}],"next_page_uri":
            "/2010-04-01/Accounts/AC123/IncomingPhoneNumbers.json?Page=1&PageToken=PA1"})"));
  http.on("GET", k_list + "?Page=1",
          answer(200, R"({"incoming_phone_numbers":[{"sid":"PN2","phone_number":"+1416",
            "friendly_name":"x"}, {"no_sid":true}],"next_page_uri":null})"));
  auto r = tw::list_numbers(http, k_acct);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].sid, "PN1");
  EXPECT_EQ((*r)[0].voice_url, "");
  EXPECT_EQ((*r)[1].friendly_name, "x");
  EXPECT_EQ(http.requests[0].headers.at("Authorization").rfind("Basic ", 0), 0u);
}

TEST(TwilioClient, ANextPageOnAnotherHostIsNotFollowed) {
  test::FakeHttp http;
  http.on("GET", k_list,
          answer(200, R"({"incoming_phone_numbers":[],"next_page_uri":"https://evil.test/steal"})"));
  auto r = tw::list_numbers(http, k_acct);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::upstream);
  EXPECT_EQ(http.requests.size(), 1u);
}

TEST(TwilioClient, BuyAcceptsOkAndCreatedAndIsNeverRepeatable) {
  for (int status : {200, 201}) {
    test::FakeHttp http;
    http.on("POST", k_list, answer(status, R"({"sid":"PN9","phone_number":"+15005550006"})"));
    auto r = tw::buy(http, k_acct, {"+15005550006", "", "m", "https://h/v", "https://h/s", ""});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->sid, "PN9");
    EXPECT_EQ(http.requests[0].retry_safety, http::RetrySafety::unsafe);
    EXPECT_NE(http.requests[0].body.find("PhoneNumber=%2B15005550006"), std::string::npos);
    EXPECT_NE(http.requests[0].body.find("VoiceUrl=https%3A%2F%2Fh%2Fv"), std::string::npos);
  }
}

TEST(TwilioClient, BuyErrorsMapToExitKinds) {
  struct Case {
    int status;
    std::string body;
    ErrorKind kind;
  };
  std::vector<Case> cases = {
      {400, R"({"code":21422,"message":"not available","status":400})", ErrorKind::conflict},
      {400, R"({"code":21452,"message":"no numbers","status":400})", ErrorKind::not_found},
      {400, R"({"code":21421,"message":"invalid","status":400})", ErrorKind::usage},
      {401, R"({"code":20003,"message":"Authenticate","status":401})", ErrorKind::config},
      {429, R"({"code":20429,"message":"Too Many Requests","status":429})", ErrorKind::upstream},
      {500, "oops", ErrorKind::outcome_unknown},
      {201, "not json", ErrorKind::outcome_unknown},
  };
  for (const auto& c : cases) {
    test::FakeHttp http;
    http.on("POST", k_list, answer(c.status, c.body));
    auto r = tw::buy(http, k_acct, {"+15005550006", "", "", "", "", ""});
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().kind, c.kind) << c.body << ": " << r.error().message;
    EXPECT_EQ(r.error().message.find("secret-token"), std::string::npos);
  }
}

TEST(TwilioClient, ReleaseTreats404AsAlreadyGone) {
  test::FakeHttp http;
  http.on("DELETE", "https://tw.test/2010-04-01/Accounts/AC123/IncomingPhoneNumbers/PN1.json",
          answer(204, ""));
  http.on("DELETE", "https://tw.test/2010-04-01/Accounts/AC123/IncomingPhoneNumbers/PN2.json",
          answer(404, R"({"code":20404,"message":"not found","status":404})"));
  EXPECT_EQ(*tw::release(http, k_acct, "PN1"), true);
  EXPECT_EQ(*tw::release(http, k_acct, "PN2"), false);
}

TEST(ElevenLabsClient, ImportIsUnsafeAndAssignIsRepeatable) {
  test::FakeHttp http;
  http.on("POST", "https://el.test/v1/convai/phone-numbers", answer(200, R"({"phone_number_id":"p1"})"));
  http.on("PATCH", "https://el.test/v1/convai/phone-numbers/p1", answer(200, "{}"));
  auto id = el::import_twilio_number(http, k_el, {"+1415", "label", "AC1", "tok"});
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "p1");
  EXPECT_EQ(http.requests[0].retry_safety, http::RetrySafety::unsafe);
  auto body = nlohmann::json::parse(http.requests[0].body);
  EXPECT_EQ(body["provider"], "twilio");
  EXPECT_EQ(body["sid"], "AC1");
  ASSERT_TRUE(el::assign_agent(http, k_el, "p1", std::string("agent_1")));
  EXPECT_EQ(http.requests[1].retry_safety, http::RetrySafety::safe);
  EXPECT_EQ(nlohmann::json::parse(http.requests[1].body)["agent_id"], "agent_1");
  EXPECT_EQ(http.requests[1].headers.at("xi-api-key"), "sk_key");
}

TEST(ElevenLabsClient, ListAcceptsAPlainArrayOrAWrappedOneAndAgentsPageByCursor) {
  test::FakeHttp http;
  http.on("GET", "https://el.test/v1/convai/phone-numbers",
          answer(200, R"([{"phone_number_id":"p1","phone_number":"+1","assigned_agent":
            {"agent_id":"a1","agent_name":"A"}},{"phone_number_id":"p2","assigned_agent":null}])"));
  http.on("GET", "https://el.test/v1/convai/phone-numbers",
          answer(200, R"({"phone_numbers":[{"phone_number_id":"p3"}]})"));
  http.on("GET", "https://el.test/v1/convai/agents?page_size=100",
          answer(200, R"({"agents":[{"agent_id":"a1"}],"next_cursor":"c2","has_more":true})"));
  http.on("GET", "https://el.test/v1/convai/agents?page_size=100&cursor=c2",
          answer(200, R"({"agents":[{"agent_id":"a2"}],"next_cursor":null,"has_more":false})"));
  auto a = el::list_phone_numbers(http, k_el);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].agent_id, "a1");
  EXPECT_EQ((*a)[1].agent_id, "");
  auto b = el::list_phone_numbers(http, k_el);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size(), 1u);
  auto agents = el::list_agents(http, k_el);
  ASSERT_TRUE(agents);
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[1].agent_id, "a2");
}

TEST(WebhookUrls, BuiltFromTheBaseAndRefusedWhenUnsafe) {
  auto u = telephony::webhook_urls("https://hooks.example.com/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->voice, "https://hooks.example.com/webhooks/twilio/voice");
  EXPECT_EQ(u->forward_to("+14155550100"),
            "https://hooks.example.com/webhooks/twilio/forward?to=%2B14155550100");
  EXPECT_TRUE(u->is_forward(u->forward_to("+1")));
  EXPECT_FALSE(u->is_forward(u->voice));
  for (std::string bad : {"", "ftp://x", "https://x/?a=1", "https://x/#f", "https://x y"}) {
    auto r = telephony::webhook_urls(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::config) << bad;
  }
}
