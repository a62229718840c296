// Webhook signature schemes against the providers' public test vectors and the attack vectors of
// shared/docs/webhooks.md (tampered, wrong key, empty, wrong scheme, stale, t=Infinity, rotation).
#include "core/crypto.hpp"
#include "webhook/verify.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace crm::webhook;

namespace {

const std::vector<std::pair<std::string, std::string>> k_twilio_params = {
    {"CallSid", "CA1234567890ABCDE"}, {"Caller", "+14158675309"}, {"Digits", "1234"},
    {"From", "+14158675309"},         {"To", "+18005551212"}};
const std::string k_twilio_url = "https://mycompany.com/myapp.php?foo=1&bar=2";

std::string form_of(const std::vector<std::pair<std::string, std::string>>& p) {
  std::string s;
  for (const auto& [k, v] : p) {
    if (!s.empty()) s += '&';
    s += k + "=";
    for (char c : v)
      s += c == '+' ? std::string("%2B") : std::string(1, c);
  }
  return s;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  return crypto::hex(crypto::hmac_sha256(key, data));
}

} // namespace

TEST(WebhookVerify, TwilioPublicVectors) {
  EXPECT_EQ(twilio_signature("12345", k_twilio_url, k_twilio_params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_EQ(twilio_signature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                             k_twilio_params),
            "kvajT1Ptam85bY51eRf/AJRuM3w=");
  const std::string body = form_of(k_twilio_params);
  EXPECT_TRUE(verify_twilio(k_twilio_url, body, false, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {"12345"}).ok());
  // Signed with the port, received without it (and the other way round).
  EXPECT_TRUE(verify_twilio(k_twilio_url, body, false, "kvajT1Ptam85bY51eRf/AJRuM3w=", {"12345"}).ok());
  EXPECT_TRUE(verify_twilio("https://mycompany.com:443/myapp.php?foo=1&bar=2", body, false,
                            "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {"12345"})
                  .ok());
  // Rotation: any token may match.
  EXPECT_TRUE(
      verify_twilio(k_twilio_url, body, false, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {"old", "12345"}).ok());
}

TEST(WebhookVerify, TwilioRefusals) {
  const std::string body = form_of(k_twilio_params);
  EXPECT_EQ(verify_twilio(k_twilio_url, body, false, "", {"12345"}).verdict, Verdict::missing);
  EXPECT_EQ(verify_twilio(k_twilio_url, body, false, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {}).verdict,
            Verdict::missing);
  EXPECT_EQ(verify_twilio(k_twilio_url, body, false, "RSOYDt4T1cUTdK1PDd93/VVr8B9=", {"12345"}).verdict,
            Verdict::mismatch);
  EXPECT_EQ(verify_twilio(k_twilio_url, body, false, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {"54321"}).verdict,
            Verdict::mismatch);
  EXPECT_EQ(verify_twilio(k_twilio_url, body + "&Digits=9", false, "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                          {"12345"})
                .verdict,
            Verdict::mismatch);
  EXPECT_EQ(verify_twilio("https://evil.example/myapp.php?foo=1&bar=2", body, false,
                          "RSOYDt4T1cUTdK1PDd93/VVr8B8=", {"12345"})
                .verdict,
            Verdict::mismatch);
  EXPECT_EQ(verify_twilio(k_twilio_url, "a=%G1", false, "x", {"12345"}).verdict, Verdict::mismatch);
}

TEST(WebhookVerify, TwilioJsonBodiesAreSignedThroughBodySha256) {
  const std::string body = R"({"AccountSid":"AC1"})";
  const std::string url =
      "https://hooks.example.com/webhooks/twilio/status?bodySHA256=" + crypto::hex(crypto::sha256(body));
  const std::string sig = twilio_signature("tok", url, {});
  EXPECT_TRUE(verify_twilio(url, body, true, sig, {"tok"}).ok());
  EXPECT_EQ(verify_twilio(url, body + " ", true, sig, {"tok"}).verdict, Verdict::mismatch);
  EXPECT_EQ(verify_twilio("https://hooks.example.com/x", body, true, sig, {"tok"}).verdict,
            Verdict::malformed);
}

TEST(WebhookVerify, StandardWebhooksPublicVector) {
  const std::string key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek", ts = "1614265330";
  const std::string body = R"({"test": 2432232314})";
  const std::string sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  EXPECT_TRUE(verify_standard(id, ts, sig, body, {key}, 1614265330).ok());
  // Several signatures (rotation on the sender's side): any may match.
  EXPECT_TRUE(verify_standard(id, ts, "v1,bm9wZQ== " + sig, body, {key}, 1614265330).ok());
  EXPECT_EQ(verify_standard(id, ts, sig, body, {key}, 1614265330 + 301).verdict, Verdict::stale);
  EXPECT_EQ(verify_standard(id, ts, sig, body, {key}, 1614265330 - 301).verdict, Verdict::stale);
  EXPECT_EQ(verify_standard(id, ts, sig, body + " ", {key}, 1614265330).verdict, Verdict::mismatch);
  EXPECT_EQ(verify_standard(id, ts, "v2," + sig.substr(3), body, {key}, 1614265330).verdict,
            Verdict::mismatch);
  for (const char* bad : {"Infinity", "1e9", "-1", "1614265330.5", "", "NaN"})
    EXPECT_EQ(verify_standard(id, bad, sig, body, {key}, 1614265330).verdict, Verdict::malformed)
        << bad;
}

TEST(WebhookVerify, ElevenLabsScheme) {
  const std::string secret = "wsec_el_123", body = R"({"type":"post_call_transcription"})";
  const long long now = 1763800000;
  const std::string t = std::to_string(now - 60);
  const std::string header = "t=" + t + ",v0=" + hmac_hex(secret, t + "." + body);
  EXPECT_TRUE(verify_elevenlabs(header, body, {secret}, now).ok());
  EXPECT_TRUE(verify_elevenlabs(header, body, {"rotated", secret}, now).ok());
  EXPECT_EQ(verify_elevenlabs(header, body, {"wrong"}, now).verdict, Verdict::mismatch);
  EXPECT_EQ(verify_elevenlabs(header, body, {secret}, now + 31 * 60).verdict, Verdict::stale);
  EXPECT_EQ(verify_elevenlabs("t=Infinity,v0=00", body, {secret}, now).verdict, Verdict::malformed);
  EXPECT_EQ(verify_elevenlabs("v0=00", body, {secret}, now).verdict, Verdict::malformed);
  EXPECT_EQ(verify_elevenlabs("garbage", body, {secret}, now).verdict, Verdict::malformed);
  EXPECT_EQ(verify_elevenlabs("", body, {secret}, now).verdict, Verdict::missing);
  std::string flipped = header;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_EQ(verify_elevenlabs(flipped, body, {secret}, now).verdict, Verdict::mismatch);
}

TEST(WebhookVerify, VapiSchemes) {
  const std::string secret = "vapi_secret_1", body = R"({"message":{"type":"end-of-call-report"}})";
  const long long now = 1763800000;
  VapiHeaders h;
  h.timestamp = std::to_string(now * 1000);
  h.signature = hmac_hex(secret, h.timestamp + "." + body);
  EXPECT_TRUE(verify_vapi(h, body, {secret}, now).ok());
  h.timestamp = std::to_string(now - 600);
  h.signature = hmac_hex(secret, h.timestamp + "." + body);
  EXPECT_EQ(verify_vapi(h, body, {secret}, now).verdict, Verdict::stale);
  VapiHeaders legacy;
  legacy.legacy_secret = secret;
  EXPECT_TRUE(verify_vapi(legacy, body, {secret}, now).ok());
  legacy.legacy_secret = "nope";
  EXPECT_EQ(verify_vapi(legacy, body, {secret}, now).verdict, Verdict::mismatch);
  VapiHeaders bearer;
  bearer.authorization = "Bearer " + secret;
  EXPECT_TRUE(verify_vapi(bearer, body, {secret}, now).ok());
  EXPECT_EQ(verify_vapi(VapiHeaders{}, body, {secret}, now).verdict, Verdict::missing);
}

TEST(WebhookVerify, RetellScheme) {
  const std::string key = "key_retell", body = R"({"event":"call_ended"})";
  const long long now = 1763800000;
  const std::string v = std::to_string(now * 1000);
  const std::string header = "v=" + v + ",d=" + hmac_hex(key, body + v);
  EXPECT_TRUE(verify_retell(header, body, {key}, now).ok());
  EXPECT_EQ(verify_retell(header, body, {key}, now + 301).verdict, Verdict::stale);
  EXPECT_EQ(verify_retell(header, body, {key}, now - 301).verdict, Verdict::stale);
  EXPECT_EQ(verify_retell(header, body + "x", {key}, now).verdict, Verdict::mismatch);
  EXPECT_EQ(verify_retell("v=abc,d=00", body, {key}, now).verdict, Verdict::malformed);
}

TEST(WebhookVerify, FormDecoding) {
  auto f = decode_form("To=%2B18005551212&Body=Hello+world%21&Empty=&Flag");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[0], (std::pair<std::string, std::string>{"To", "+18005551212"}));
  EXPECT_EQ((*f)[1].second, "Hello world!");
  EXPECT_EQ((*f)[2].second, "");
  EXPECT_EQ((*f)[3].first, "Flag");
  for (const char* bad : {"a=%", "a=%4", "a=%G1", "a=%00"})
    EXPECT_FALSE(decode_form(bad)) << bad;
}
