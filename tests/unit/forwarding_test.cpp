// Call forwarding codes (seed 002 §17): the exact code of every carrier × mode, ring-time bounds
// and rounding, notes for what is ignored, and E.164 destinations.
#include "telephony/forwarding.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace crm;
using namespace crm::telephony;

namespace {

const std::string k_ai = "+15550109999"; // the seed's AI number

ForwardingCodes codes(Carrier c, ForwardingMode m, std::optional<int> ring = std::nullopt,
                      const std::string& to = k_ai) {
  auto r = forwarding_codes({c, m, to, ring});
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : ForwardingCodes{};
}

bool has_note(const ForwardingCodes& c, const std::string& needle) {
  return std::any_of(c.notes.begin(), c.notes.end(),
                     [&](const std::string& n) { return n.find(needle) != std::string::npos; });
}

// The notes, one per line, for failure messages.
std::string notes_of(const ForwardingCodes& c) {
  std::string s;
  for (const auto& n : c.notes)
    s += n + "\n";
  return s;
}

struct Expected {
  Carrier carrier;
  ForwardingMode mode;
  const char* activation;
  const char* deactivation;
};

} // namespace

TEST(Forwarding, EveryCarrierAndModeHasTheExactCodes) {
  using M = ForwardingMode;
  const std::vector<Expected> table = {
      // seed 002 §17.2 / §17.5 / §17.9 PRACTICE 3
      {Carrier::tmobile, M::total_ai, "**21*+15550109999#", "##21#"},
      {Carrier::tmobile, M::safety_net, "**61*+15550109999*11*25#", "##61#"},
      {Carrier::att, M::total_ai, "*21*+15550109999#", "#21#"},
      {Carrier::att, M::safety_net, "*004*+15550109999*11*25#", "##004#"},
      {Carrier::verizon, M::total_ai, "*72+15550109999", "*73"},
      {Carrier::verizon, M::safety_net, "*71+15550109999", "*73"},
      // seed: Sprint "same as T-Mobile"
      {Carrier::sprint, M::total_ai, "**21*+15550109999#", "##21#"},
      {Carrier::sprint, M::safety_net, "**61*+15550109999*11*25#", "##61#"},
      // our choice: standard GSM MMI codes, CDMA feature codes
      {Carrier::other_gsm, M::total_ai, "**21*+15550109999#", "##21#"},
      {Carrier::other_gsm, M::safety_net, "**61*+15550109999*11*25#", "##61#"},
      {Carrier::other_cdma, M::total_ai, "*72+15550109999", "*73"},
      {Carrier::other_cdma, M::safety_net, "*71+15550109999", "*73"},
  };
  ASSERT_EQ(table.size(), carrier_names().size() * forwarding_mode_names().size());
  for (const auto& e : table) {
    SCOPED_TRACE(std::string(carrier_name(e.carrier)) + " " + forwarding_mode_name(e.mode));
    auto c = codes(e.carrier, e.mode);
    EXPECT_EQ(c.activation_code, e.activation);
    EXPECT_EQ(c.deactivation_code, e.deactivation);
    EXPECT_EQ(c.destination, k_ai);
    EXPECT_EQ(c.carrier, e.carrier);
    EXPECT_EQ(c.mode, e.mode);
    // No spaces or dashes in a code (seed §17.5).
    EXPECT_EQ(c.activation_code.find_first_of(" -"), std::string::npos);
    // The steps name the code to dial and the one that turns it off.
    ASSERT_EQ(c.instructions.size(), 5u);
    EXPECT_EQ(c.instructions[1], "2. Dial: " + std::string(e.activation));
    EXPECT_NE(c.instructions[4].find(e.deactivation), std::string::npos) << c.instructions[4];
  }
}

TEST(Forwarding, RingSecondsOnlyWhereTheCodeCarriesIt) {
  EXPECT_EQ(codes(Carrier::tmobile, ForwardingMode::safety_net).ring_seconds, 25); // default
  EXPECT_EQ(codes(Carrier::att, ForwardingMode::safety_net, 20).ring_seconds, 20);
  EXPECT_EQ(codes(Carrier::att, ForwardingMode::safety_net, 20).activation_code,
            "*004*+15550109999*11*20#");
  EXPECT_EQ(codes(Carrier::tmobile, ForwardingMode::total_ai).ring_seconds, std::nullopt);
  EXPECT_EQ(codes(Carrier::verizon, ForwardingMode::safety_net).ring_seconds, std::nullopt);
  EXPECT_EQ(codes(Carrier::other_cdma, ForwardingMode::safety_net, 40).ring_seconds, std::nullopt);
}

TEST(Forwarding, RingBoundariesAreFiveToSixtySeconds) {
  for (int bad : {4, 61, 0, -5, 1000}) {
    auto r = forwarding_codes({Carrier::tmobile, ForwardingMode::safety_net, k_ai, bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_NE(r.error().message.find("5-60 seconds"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
  // Checked in every mode and for every carrier, also where the value would be ignored.
  EXPECT_FALSE(forwarding_codes({Carrier::verizon, ForwardingMode::safety_net, k_ai, 61}));
  EXPECT_FALSE(forwarding_codes({Carrier::att, ForwardingMode::total_ai, k_ai, 4}));
  auto five = codes(Carrier::tmobile, ForwardingMode::safety_net, 5);
  EXPECT_EQ(five.activation_code, "**61*+15550109999*11*5#");
  EXPECT_EQ(five.notes.size(), 1u) << notes_of(five);
  EXPECT_TRUE(has_note(five, "unanswered calls only")) << notes_of(five);
  auto sixty = codes(Carrier::tmobile, ForwardingMode::safety_net, 60);
  EXPECT_EQ(sixty.activation_code, "**61*+15550109999*11*60#");
  EXPECT_TRUE(has_note(sixty, "at most 30 s")); // many GSM networks cap the timer at 30 s
  EXPECT_FALSE(has_note(codes(Carrier::tmobile, ForwardingMode::safety_net, 30), "at most 30 s"));
}

TEST(Forwarding, GsmRingTimeIsRoundedToFiveSecondStepsAndSaysSo) {
  EXPECT_EQ(round_ring_seconds(5), 5);
  EXPECT_EQ(round_ring_seconds(6), 5);
  EXPECT_EQ(round_ring_seconds(7), 5);
  EXPECT_EQ(round_ring_seconds(8), 10);
  EXPECT_EQ(round_ring_seconds(27), 25);
  EXPECT_EQ(round_ring_seconds(28), 30);
  EXPECT_EQ(round_ring_seconds(59), 60);
  EXPECT_EQ(round_ring_seconds(60), 60);
  for (int s = k_ring_min_seconds; s <= k_ring_max_seconds; ++s) {
    int r = round_ring_seconds(s);
    EXPECT_TRUE(r >= 5 && r <= 60 && r % 5 == 0 && std::abs(r - s) <= 2) << s << " → " << r;
  }
  auto c = codes(Carrier::att, ForwardingMode::safety_net, 27);
  EXPECT_EQ(c.activation_code, "*004*+15550109999*11*25#");
  EXPECT_EQ(c.ring_seconds, 25);
  EXPECT_TRUE(has_note(c, "ring time 27 s rounded to 25 s")) << notes_of(c);
  EXPECT_FALSE(has_note(codes(Carrier::att, ForwardingMode::safety_net, 25), "rounded"));
}

TEST(Forwarding, AnIgnoredRingTimeIsANoteNeverSilent) {
  auto v = codes(Carrier::verizon, ForwardingMode::safety_net, 20);
  EXPECT_EQ(v.activation_code, "*71+15550109999");
  EXPECT_TRUE(has_note(v, "Verizon does not support setting the ring time")) << notes_of(v);
  EXPECT_TRUE(has_note(v, "--ring 20 is ignored"));
  // Without --ring the carrier default is still named.
  EXPECT_TRUE(has_note(codes(Carrier::verizon, ForwardingMode::safety_net),
                       "does not support setting the ring time"));
  EXPECT_TRUE(has_note(codes(Carrier::other_cdma, ForwardingMode::safety_net),
                       "does not support setting the ring time"));
  auto t = codes(Carrier::tmobile, ForwardingMode::total_ai, 20);
  EXPECT_EQ(t.activation_code, "**21*+15550109999#");
  EXPECT_TRUE(has_note(t, "--ring 20 is ignored in total_ai mode"));
  EXPECT_TRUE(codes(Carrier::tmobile, ForwardingMode::total_ai).notes.empty());
}

TEST(Forwarding, CarrierSpecificNotes) {
  EXPECT_TRUE(has_note(codes(Carrier::sprint, ForwardingMode::total_ai), "T-Mobile"));
  EXPECT_TRUE(has_note(codes(Carrier::other_gsm, ForwardingMode::total_ai), "##002#"));
  // CDMA: the seed keeps the '+'; a NANP number also gets the 10-digit fallback.
  EXPECT_TRUE(has_note(codes(Carrier::verizon, ForwardingMode::total_ai), "*725550109999"));
  EXPECT_TRUE(has_note(codes(Carrier::verizon, ForwardingMode::safety_net), "*715550109999"));
  auto uk = codes(Carrier::other_cdma, ForwardingMode::total_ai, std::nullopt, "+447700900123");
  EXPECT_EQ(uk.activation_code, "*72+447700900123");
  EXPECT_FALSE(has_note(uk, "10-digit"));
}

TEST(Forwarding, DestinationMustBeE164) {
  for (const char* bad : {"15550109999", "+1 555-010-9999", "+05550109999", "", "+1555",
                          "+1555010999912345", "+1555\x1b[31m", "tel:+15550109999"}) {
    auto r = forwarding_codes({Carrier::tmobile, ForwardingMode::total_ai, bad, std::nullopt});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage) << bad;
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(
      codes(Carrier::att, ForwardingMode::total_ai, std::nullopt, "+447700900123").activation_code,
      "*21*+447700900123#");
}

TEST(Forwarding, NamesParseBothWays) {
  for (const auto& n : carrier_names()) {
    auto c = parse_carrier(n);
    ASSERT_TRUE(c) << n;
    EXPECT_EQ(carrier_name(*c), n);
  }
  for (const auto& n : forwarding_mode_names()) {
    auto m = parse_forwarding_mode(n);
    ASSERT_TRUE(m) << n;
    EXPECT_EQ(forwarding_mode_name(*m), n);
  }
  auto bad = parse_carrier("vodafone");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("other_gsm"), std::string::npos);
  EXPECT_FALSE(parse_forwarding_mode("always"));
  EXPECT_EQ(network_of(Carrier::verizon), Network::cdma);
  EXPECT_EQ(network_of(Carrier::sprint), Network::gsm);
}
