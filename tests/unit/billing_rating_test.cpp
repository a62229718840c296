// Billing arithmetic with hand-computed expectations (shared/docs/billing.md rules 1-6).
#include "billing/calls.hpp"
#include "billing/rating.hpp"
#include "billing/statement.hpp"
#include "core/json_exact.hpp"
#include "core/rfc3339.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace crm;
using namespace crm::billing;

namespace {

Decimal D(const char* s) { return *Decimal::parse(s, {24, 18}); }

// Usage of billable phone calls of these durations, none with a provider cost.
Usage usage_of(const std::vector<long long>& seconds) {
  Usage u;
  for (long long s : seconds) {
    ++u.calls;
    ++u.billable_calls;
    u.billable_seconds += s;
    u.billable_ceil_minutes += (s + 59) / 60;
    u.est_seconds += s;
    u.est_ceil_minutes += (s + 59) / 60;
  }
  return u;
}

Terms terms(const char* rate, long long free, tenant::Rounding r,
            const char* cogs = "0.05") {
  Terms t;
  t.rate_per_minute = D(rate);
  t.cogs_per_minute = D(cogs);
  t.free_minutes = free;
  t.rounding = r;
  return t;
}

const auto k_ceil = tenant::Rounding::per_call_ceil_minute;
const auto k_sec = tenant::Rounding::per_second;

} // namespace

TEST(BillingRating, EveryRoundingBoundaryPerCallCeilMinute) {
  // seconds -> whole minutes billed, each call on its own (Twilio style)
  const std::vector<std::pair<long long, long long>> cases = {
      {1, 1}, {59, 1}, {60, 1}, {61, 2}, {119, 2}, {120, 2}, {3599, 60}, {3600, 60}, {3601, 61}};
  for (auto [s, m] : cases) {
    Rated r = rate(usage_of({s}), terms("0.145", 0, k_ceil));
    EXPECT_EQ(r.units.to_string(0), std::to_string(m)) << s << " s";
    EXPECT_EQ(r.charge, (Decimal::from_int(m) * D("0.145")).round_half_up(2)) << s << " s";
  }
  // All nine together: 190 minutes x 0.145 = 27.55.
  Rated all = rate(usage_of({1, 59, 60, 61, 119, 120, 3599, 3600, 3601}), terms("0.145", 0, k_ceil));
  EXPECT_EQ(all.units.to_string(), "190");
  EXPECT_EQ(all.charge.to_string(2), "27.55");
  EXPECT_EQ(all.cogs.to_string(2), "9.50"); // 190 x 0.05
}

TEST(BillingRating, EveryRoundingBoundaryPerSecond) {
  const std::vector<std::pair<long long, const char*>> cases = {
      {1, "0.016667"},   {59, "0.983333"},   {60, "1.000000"},
      {61, "1.016667"},  {119, "1.983333"},  {120, "2.000000"},
      {3599, "59.983333"}, {3600, "60.000000"}, {3601, "60.016667"}};
  for (auto [s, m] : cases) {
    Rated r = rate(usage_of({s}), terms("0.145", 0, k_sec));
    EXPECT_EQ(r.units.to_string(6), m) << s << " s";
  }
  // 1 s at 0.145/min = 0.0024166.. -> 0.00; 3601 s = 8.7024166.. -> 8.70
  EXPECT_EQ(rate(usage_of({1}), terms("0.145", 0, k_sec)).charge.to_string(2), "0.00");
  EXPECT_EQ(rate(usage_of({3601}), terms("0.145", 0, k_sec)).charge.to_string(2), "8.70");
  // All nine: 11220 s = 187 min; 11220 x 0.145 / 60 = 27.115 exactly -> half-up 27.12
  // (a double gives 27.11).
  Rated all = rate(usage_of({1, 59, 60, 61, 119, 120, 3599, 3600, 3601}), terms("0.145", 0, k_sec));
  EXPECT_EQ(all.units.to_string(6), "187.000000");
  EXPECT_EQ(all.charge.to_string(2), "27.12");
  EXPECT_EQ(all.paid_seconds, 11220);
}

TEST(BillingRating, BothPoliciesOnTheSameData) {
  auto u = usage_of({61, 61, 61}); // 3 x 2 min ceil = 6 min; 183 s = 3.05 min
  Rated ceil = rate(u, terms("0.10", 0, k_ceil));
  Rated sec = rate(u, terms("0.10", 0, k_sec));
  EXPECT_EQ(ceil.units.to_string(), "6");
  EXPECT_EQ(ceil.charge.to_string(2), "0.60");
  EXPECT_EQ(sec.units.to_string(6), "3.050000");
  EXPECT_EQ(sec.charge.to_string(2), "0.31"); // 183 x 0.10 / 60 = 0.305 -> 0.31
}

TEST(BillingRating, FreeMinutesLargerAndSmallerThanUsage) {
  auto u = usage_of({1, 59, 60, 61, 119, 120, 3599, 3600, 3601}); // 190 ceil min, 11220 s
  Rated more = rate(u, terms("0.145", 200, k_ceil));
  EXPECT_EQ(more.free_units.to_string(), "190");
  EXPECT_EQ(more.paid_units.to_string(), "0");
  EXPECT_EQ(more.charge.to_string(2), "0.00");
  EXPECT_EQ(more.cogs.to_string(2), "9.50"); // COGS covers the free minutes too (rule 5)
  Rated less = rate(u, terms("0.145", 100, k_ceil));
  EXPECT_EQ(less.free_units.to_string(), "100");
  EXPECT_EQ(less.paid_units.to_string(), "90");
  EXPECT_EQ(less.charge.to_string(2), "13.05");
  // per second: 6000 s free, 5220 s paid: 5220 x 0.145 / 60 = 12.615 -> 12.62
  Rated sec = rate(u, terms("0.145", 100, k_sec));
  EXPECT_EQ(sec.free_units.to_string(6), "100.000000");
  EXPECT_EQ(sec.paid_units.to_string(6), "87.000000");
  EXPECT_EQ(sec.paid_seconds, 5220);
  EXPECT_EQ(sec.charge.to_string(2), "12.62");
}

TEST(BillingRating, HalfUpOnceAndExactProviderCost) {
  EXPECT_EQ(round_money(D("0.145") * Decimal::from_int(25)).to_string(2), "3.63");
  Usage u = usage_of({60});
  u.provider_cost_calls = 1;
  u.est_seconds = 0;
  u.est_ceil_minutes = 0;
  u.provider_cost = D("0.123456789012345678");
  Rated r = rate(u, terms("0.10", 0, k_ceil));
  EXPECT_EQ(r.cogs.to_string(), "0.123456789012345678"); // provider cost preferred, exact
  EXPECT_EQ(r.charge.to_string(2), "0.10");
}

TEST(BillingRating, ExcludedUsageIsCountedApart) {
  Usage u;
  u.calls = 3;
  u.excluded_calls = 3;
  u.excluded_seconds = 150;
  u.excluded_ceil_minutes = 4; // 90 s + 60 s + 0 s
  u.excluded_est_seconds = 150;
  u.excluded_est_ceil_minutes = 4;
  Rated r = rate(u, terms("0.10", 0, k_ceil, "0.05"));
  EXPECT_EQ(r.units.to_string(), "0");
  EXPECT_EQ(r.charge.to_string(2), "0.00");
  EXPECT_EQ(r.excluded_units.to_string(), "4");
  EXPECT_EQ(r.excluded_cogs.to_string(2), "0.20");
}

TEST(BillingRating, UsageStateRoundTrips) {
  Usage u = usage_of({61, 3601});
  u.provider_cost = D("1.000000000000000001");
  u.excluded_provider_cost = D("0.5");
  auto back = usage_from_json(to_json(u));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, u);
}

TEST(BillingPeriod, ParsesMonthsAndKnowsTheirDays) {
  auto p = parse_period("2028-02");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first_day(), "2028-02-01");
  EXPECT_EQ(p->last_day(), "2028-02-29");
  EXPECT_EQ(p->next().text(), "2028-03");
  EXPECT_EQ(parse_period("2026-12")->next().text(), "2027-01");
  EXPECT_EQ(parse_period("2026-01")->prev().text(), "2025-12");
  for (const char* bad : {"2026-13", "2026-00", "26-11", "2026/11", "2026-1", "2026-11-01", "",
                          "abcd-ef", "1999-12"}) {
    auto r = parse_period(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_NE(r.error().message.find("YYYY-MM"), std::string::npos);
  }
}

TEST(BillingDecimal, DividedByRoundsTheExactQuotientOnce) {
  EXPECT_EQ(D("1626.9").divided_by(60, 2).to_string(2), "27.12"); // 27.115
  EXPECT_EQ(D("1").divided_by(60, 6).to_string(6), "0.016667");
  EXPECT_EQ(D("-1626.9").divided_by(60, 2).to_string(2), "-27.12");
  EXPECT_EQ(D("0.29").divided_by(60, 2).to_string(2), "0.00");
  EXPECT_EQ(D("0.3").divided_by(60, 2).to_string(2), "0.01"); // 0.005 -> half-up
}

TEST(BillingCalls, TimestampsAreStrictRfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2026-11-01T00:30:00-07:00"), parse_rfc3339("2026-11-01T07:30:00Z"));
  EXPECT_TRUE(parse_rfc3339("2028-02-29T12:00:00.123456Z"));
  for (const char* bad : {"2026-11-01", "2026-11-01T00:00:00", "2026-02-30T00:00:00Z",
                          "2027-02-29T00:00:00Z", "2026-11-01T24:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-01T00:00:00+25:00", "2026-11-01T00:00:00Zjunk", "now"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(BillingCalls, JsonlCostIsReadFromItsTokenText) {
  std::string line = R"({"provider":"vapi","external_call_id":"c1","started_at":"2026-11-03T09:15:00Z","duration_seconds":61,"cost":0.123456789012345678})";
  auto p = parse_calls(line + "\n", CallFormat::jsonl);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->errors.empty()) << p->errors[0].message;
  ASSERT_EQ(p->rows.size(), 1u);
  ASSERT_TRUE(p->rows[0].cost);
  EXPECT_EQ(p->rows[0].cost->to_string(), "0.123456789012345678");
  EXPECT_EQ(p->rows[0].duration_seconds, 61);
  auto j = parse_json_exact(R"({"a":1.10,"b":7,"c":1e3})", "t");
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["a"], "1.10");
  EXPECT_EQ((*j)["b"], 7);
  EXPECT_EQ((*j)["c"], "1e3");
}

TEST(BillingCalls, EveryBadRowIsReportedWithItsLine) {
  std::string csv =
      "provider,external_call_id,call_type,started_at,ended_at,duration_seconds,cost,from_number\r\n"
      "vapi,a1,phone,2026-11-03T09:15:00Z,,60,0.10,+15551230001\r\n"
      "vapi,a2,fax,2026-11-03T09:15:00Z,,60,0.10,+15551230001\r\n"
      "vapi,,phone,2026-11-03T09:15:00Z,,60,abc,555-1234\r\n"
      "vapi,a4,phone,yesterday,,60,,\r\n"
      "vapi,a5,phone,2026-11-03T09:15:00Z,2026-11-03T09:14:00Z,,-1,\r\n"
      "vapi,a6,web,2026-11-03T09:15:00Z,2026-11-03T09:16:30Z,,,\r\n";
  auto p = parse_calls(csv, CallFormat::csv);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[1].duration_seconds, 90); // from ended_at - started_at
  EXPECT_EQ(p->rows[1].call_type, "web");
  std::set<std::size_t> lines;
  for (const auto& e : p->errors)
    lines.insert(e.line);
  EXPECT_EQ(lines, (std::set<std::size_t>{3, 4, 5, 6}));
  Error e = row_errors(p->errors, "calls.csv");
  EXPECT_EQ(e.kind, ErrorKind::usage);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  for (const char* needle : {"line 3: call_type", "line 4: external_call_id", "line 4: cost",
                             "line 4: from_number", "line 5: started_at", "line 6: ended_at",
                             "4 bad row(s), nothing imported"})
    EXPECT_NE(e.message.find(needle), std::string::npos) << needle << " in " << e.message;
}

TEST(BillingCalls, HostileJsonlIsRefusedNotCrashed) {
  std::string text = std::string("{\"provider\":\"vapi\",\"external_call_id\":\"x\\u0000y\",") +
                     "\"started_at\":\"2026-11-03T09:15:00Z\",\"duration_seconds\":1}\n" +
                     "[1,2]\n{not json\n" + std::string(200, '[') + "\n" +
                     "{\"provider\":\"vapi\",\"external_call_id\":{\"a\":1}}\n" +
                     "{\"provider\":\"VAPI'; DROP TABLE calls;--\",\"external_call_id\":\"z\"," +
                     "\"started_at\":\"2026-11-03T09:15:00Z\",\"duration_seconds\":1,\"extra\":1}\n";
  auto p = parse_calls(text, CallFormat::jsonl);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->rows.empty());
  std::set<std::size_t> lines;
  for (const auto& e : p->errors)
    lines.insert(e.line);
  EXPECT_EQ(lines, (std::set<std::size_t>{1, 2, 3, 4, 5, 6}));
}

TEST(BillingStatement, CsvIsRfc4180WithFixedDecimals) {
  Statement s;
  s.tenant_slug = "acme";
  s.period = *parse_period("2026-10");
  s.status = "closed";
  s.currency = "USD";
  s.rounding = "per_call_ceil_minute";
  s.total = D("13.05");
  s.lines.push_back({1, "usage", "Voice minutes (each call rounded up, \"ceil\")", D("190"),
                     D("100"), D("90"), D("0.145"), D("13.05"), 9, "2026-10-01", "2026-10-31"});
  EXPECT_EQ(statement_csv(s),
            "period,line,kind,description,units,free_units,paid_units,unit_price,amount,currency,"
            "calls,period_from,period_to\r\n"
            "2026-10,1,usage,\"Voice minutes (each call rounded up, \"\"ceil\"\")\",190.000000,"
            "100.000000,90.000000,0.145000,13.05,USD,9,2026-10-01,2026-10-31\r\n"
            "2026-10,,total,Total (closed),,,,,13.05,USD,,2026-10-01,2026-10-31\r\n");
  EXPECT_EQ(brand_color_of({{"primary_color", "#AA3300"}}, nlohmann::json::object(), "#000000"),
            "#AA3300");
  EXPECT_EQ(brand_color_of({{"primary_color", "red; evil"}}, {{"brand_color", "#00ff00"}},
                           "#000000"),
            "#00ff00");
  EXPECT_EQ(brand_color_of(nlohmann::json(), nlohmann::json(), "#123456"), "#123456");
}
