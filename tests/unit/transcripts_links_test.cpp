// Recording share links: the signature, the expiry boundary (valid until the second before),
// tampering with any part, a link for another tenant, malformed links.
#include "transcripts/recordings.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace crm::transcripts;

namespace {
const std::string k_secret = "0123456789abcdef0123456789abcdef";
const std::string k_tenant = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const std::string k_other = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
const std::string k_call = "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11";
constexpr std::int64_t k_exp = 1'790'086'400;

TimePoint at(std::int64_t secs) {
  return TimePoint(std::chrono::seconds(secs));
}
std::string link() {
  return share_url("https://app.example.com/r/", k_tenant, k_call, k_exp,
                   share_signature(k_secret, k_tenant, k_call, k_exp));
}
std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  return p == std::string::npos ? s : s.replace(p, from.size(), to);
}
} // namespace

TEST(RecordingLinks, ShapeAndKnownSignature) {
  std::string url = link();
  EXPECT_EQ(url.rfind("https://app.example.com/r/" + k_call + "?tenant=" + k_tenant +
                          "&expires=1790086400&sig=",
                      0),
            0u)
      << url;
  // Deterministic, secret-dependent, 43 base64url characters (32 bytes).
  auto sig = share_signature(k_secret, k_tenant, k_call, k_exp);
  EXPECT_EQ(sig, share_signature(k_secret, k_tenant, k_call, k_exp));
  EXPECT_NE(sig, share_signature(k_secret + "x", k_tenant, k_call, k_exp));
  EXPECT_EQ(sig.size(), 43u);
  EXPECT_EQ(sig.find_first_of("+/="), std::string::npos);
}

TEST(RecordingLinks, ExpiryBoundary) {
  auto c = verify_share_url(link(), k_secret, at(k_exp - 1));
  EXPECT_EQ(c.status, LinkStatus::valid) << c.reason;
  EXPECT_EQ(c.call_id, k_call);
  EXPECT_EQ(c.tenant_id, k_tenant);
  ASSERT_TRUE(c.expires_at);
  EXPECT_EQ(*c.expires_at, at(k_exp));
  EXPECT_EQ(verify_share_url(link(), k_secret, at(k_exp)).status, LinkStatus::expired);
  EXPECT_EQ(verify_share_url(link(), k_secret, at(k_exp + 86400)).status, LinkStatus::expired);
  // Sub-second: 999 ms before the expiry is still valid.
  EXPECT_EQ(verify_share_url(link(), k_secret, at(k_exp) - std::chrono::milliseconds(1)).status,
            LinkStatus::valid);
}

TEST(RecordingLinks, TamperingWithAnyPartIsDetected) {
  std::string url = link();
  auto now = at(k_exp - 60);
  // a later expiry
  EXPECT_EQ(verify_share_url(replace(url, "1790086400", "1890086400"), k_secret, now).status,
            LinkStatus::tampered);
  // another call
  EXPECT_EQ(verify_share_url(replace(url, k_call, "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a12"),
                             k_secret, now)
                .status,
            LinkStatus::tampered);
  // another tenant
  EXPECT_EQ(verify_share_url(replace(url, k_tenant, k_other), k_secret, now).status,
            LinkStatus::tampered);
  // a flipped signature character
  std::string flipped = url;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_share_url(flipped, k_secret, now).status, LinkStatus::tampered);
  // another secret
  EXPECT_EQ(verify_share_url(url, "another-secret-of-enough-length", now).status,
            LinkStatus::tampered);
  // an expired and tampered link is tampered
  EXPECT_EQ(verify_share_url(flipped, k_secret, at(k_exp + 10)).status, LinkStatus::tampered);
}

TEST(RecordingLinks, WrongTenant) {
  auto c = verify_share_url(link(), k_secret, at(k_exp - 60), k_other);
  EXPECT_EQ(c.status, LinkStatus::wrong_tenant);
  EXPECT_EQ(verify_share_url(link(), k_secret, at(k_exp - 60), k_tenant).status,
            LinkStatus::valid);
}

TEST(RecordingLinks, MalformedLinks) {
  auto now = at(k_exp - 60);
  for (const std::string& bad :
       {std::string(""), std::string("https://app.example.com/r/" + k_call),
        std::string("https://app.example.com/r/not-a-uuid?tenant=" + k_tenant +
                    "&expires=1&sig=abc"),
        replace(link(), "tenant=" + k_tenant, "tenant=acme"),
        replace(link(), "expires=1790086400", "expires=soon"),
        replace(link(), "expires=1790086400", "expires=-5"),
        replace(link(), "expires=1790086400", "expires=91790086400"),
        link() + "&sig=again", replace(link(), "&sig=", "&sig=%2B")}) {
    auto c = verify_share_url(bad, k_secret, now);
    EXPECT_EQ(c.status, LinkStatus::malformed) << bad;
    EXPECT_FALSE(c.reason.empty());
  }
  EXPECT_STREQ(link_status_name(LinkStatus::wrong_tenant), "wrong_tenant");
}
