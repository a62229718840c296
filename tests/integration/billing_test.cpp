// Billing end to end: calls imported through the CLI into a real PostgreSQL (real roles, RLS),
// rolled up, closed, re-rated after late usage, rendered as statements and the cross-tenant
// report. Expected totals are computed by hand in the comments.
#include "cmd/cmd_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace crm;
using nlohmann::json;

namespace {

class BillingTest : public test::OwnDbTest {
public:
  /// A tenant with the given terms (rate 0.145, COGS 0.05 by default).
  std::string tenant(const std::string& base, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"--cogs-per-minute", "0.05", "--rate-per-minute", "0.145"};
    a.insert(a.end(), extra.begin(), extra.end());
    return make_tenant(base, a);
  }
  /// One JSONL call line.
  static std::string call(const std::string& id, const std::string& started, long long seconds,
                          const std::string& type = "phone", const std::string& cost = "") {
    json j = {{"provider", "vapi"},
              {"external_call_id", id},
              {"call_type", type},
              {"started_at", started},
              {"duration_seconds", seconds}};
    if (!cost.empty()) j["cost"] = cost;
    return j.dump() + "\n";
  }
  test::CliRun import(const std::string& slug, const std::string& jsonl,
                      const std::string& name = "calls.jsonl") {
    return run({"calls", "import", "--tenant", slug, cli.home.write(name, jsonl)});
  }
  json rollup(const std::string& slug, const std::string& period,
              std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"billing", "rollup", "--tenant", slug, "--period", period};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = run(a);
    EXPECT_EQ(r.code, 0) << r;
    return r.code == 0 ? r.json() : json();
  }
  std::string statement_csv(const std::string& slug, const std::string& period) {
    auto r = run_raw({"billing", "statement", "--tenant", slug, "--period", period, "--format",
                      "csv"});
    EXPECT_EQ(r.code, 0) << r;
    return r.out;
  }
  long calls_of(const std::string& slug) {
    return count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)});
  }
};

// The nine boundary durations of the issue, in November 2026 (UTC tenant).
std::string boundary_calls(const std::string& prefix) {
  std::string s;
  int i = 0;
  for (long long d : {1, 59, 60, 61, 119, 120, 3599, 3600, 3601}) {
    ++i;
    s += BillingTest::call(prefix + std::to_string(i),
                           "2026-11-0" + std::to_string(1 + i % 9) + "T10:00:00Z", d);
  }
  return s;
}

} // namespace

TEST_F(BillingTest, ImportIsAllOrNothingAndIdempotent) {
  auto slug = tenant("Import Co");
  std::string good = call("g1", "2026-11-03T09:15:00Z", 61) + call("g2", "2026-11-03T10:00:00Z", 30);
  std::string bad = good + R"({"provider":"vapi","external_call_id":"b1","started_at":"tomorrow","duration_seconds":5})" +
                    "\n" + R"({"provider":"vapi","external_call_id":"b2","started_at":"2026-11-03T09:15:00Z","duration_seconds":5,"cost":"1.2.3"})" +
                    "\n";
  auto r = import(slug, bad);
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(r.mentions("line 3: started_at")) << r;
  EXPECT_TRUE(r.mentions("line 4: cost")) << r;
  EXPECT_EQ(calls_of(slug), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = $1 AND action = 'calls.import'",
                  {tenant_id(slug)}),
            0);

  std::string dup = good + call("g1", "2026-11-03T09:15:00Z", 61); // delivered twice
  r = import(slug, dup);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["imported"], 2);
  EXPECT_EQ(r.json()["duplicates_in_file"], 1);
  r = import(slug, dup);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["imported"], 0);
  EXPECT_EQ(r.json()["already_present"], 2);
  EXPECT_EQ(calls_of(slug), 2);

  // CSV, a dry run that writes nothing, and list.
  std::string csv = "provider,external_call_id,call_type,started_at,duration_seconds,cost,"
                    "caller_name\nretell,r1,web,2026-11-04T10:00:00Z,90,0.5,\"O'Brien, \"\"Pat\"\"\"\n";
  auto before = snapshot();
  r = run({"--dry-run", "calls", "import", "--tenant", slug, cli.home.write("c.csv", csv)});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  r = run({"calls", "import", "--tenant", slug, cli.home.file("c.csv")});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(scalar("SELECT caller_name || '|' || is_billable FROM calls WHERE external_call_id = "
                   "'r1' AND org_id = $1",
                   {tenant_id(slug)}),
            "O'Brien, \"Pat\"|false");
  r = run({"calls", "list", "--tenant", slug, "--since", "2026-11-04T00:00:00Z"});
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_EQ(r.json().size(), 1u);
  EXPECT_EQ(r.json()[0]["external_call_id"], "r1");
}

TEST_F(BillingTest, ProviderCostIsStoredAndSummedExactly) {
  auto slug = tenant("Exact Co");
  ASSERT_EQ(import(slug, call("x1", "2026-11-05T10:00:00Z", 60, "phone", "0.123456789012345678") +
                             call("x2", "2026-11-05T11:00:00Z", 60, "phone", "0.000000000000000001"))
                .code,
            0);
  EXPECT_EQ(scalar("SELECT provider_cost::text FROM calls WHERE org_id = $1 AND external_call_id "
                   "= 'x1'",
                   {tenant_id(slug)}),
            "0.123456789012345678");
  auto j = rollup(slug, "2026-11");
  EXPECT_EQ(j["cogs_exact"], "0.123456789012345679");
  EXPECT_EQ(j["cogs_from_provider_calls"], 2);
  EXPECT_EQ(j["charge"], "0.29"); // 2 min x 0.145 = 0.29
}

TEST_F(BillingTest, CostsWithMoreThan18DecimalsFromTheDaemonAreRatedNotRefused) {
  // The webhook daemon stores a provider's cost with every digit it sent (unconstrained numeric);
  // rating reads each call's cost at 18 places, so the rollup works and stays additive.
  auto slug = tenant("Precise Co");
  ASSERT_TRUE(m_conn->exec("INSERT INTO calls (org_id, provider, external_call_id, call_type, "
                           "started_at, duration_seconds, is_billable, provider_cost, metadata) VALUES "
                           "($1::uuid, 'vapi', 'p1', 'phone', '2026-11-05T10:00:00Z', 60, true, "
                           "0.12345678901234567890123, '{}'), ($1::uuid, 'vapi', 'p2', 'phone', "
                           "'2026-11-05T11:00:00Z', 60, true, 0.0000000000000000014, '{}')",
                           {tenant_id(slug)}));
  auto j = rollup(slug, "2026-11");
  EXPECT_EQ(j["cogs_exact"], "0.12345678901234568"); // ...679 (half up) + ...001
  EXPECT_EQ(j["cogs_from_provider_calls"], 2);
  auto full = rollup(slug, "2026-11", {"--full"});
  EXPECT_EQ(full["cogs_exact"], j["cogs_exact"]);
}

TEST_F(BillingTest, HandComputedTotalsForBothRoundingPolicies) {
  auto slug = tenant("Rounding Co");
  // Plus one web call, one test call and one zero-length phone call: not billable.
  std::string data = boundary_calls("b") + call("w", "2026-11-10T10:00:00Z", 300, "web") +
                     call("t", "2026-11-10T11:00:00Z", 120, "test") +
                     call("z", "2026-11-10T12:00:00Z", 0);
  ASSERT_EQ(import(slug, data).code, 0);
  auto j = rollup(slug, "2026-11");
  EXPECT_EQ(j["status"], "draft");
  EXPECT_EQ(j["calls"], 12);
  EXPECT_EQ(j["billable_calls"], 9);
  EXPECT_EQ(j["billed_minutes"], "190.000000"); // 1+1+1+2+2+2+60+60+61
  EXPECT_EQ(j["charge"], "27.55");              // 190 x 0.145
  EXPECT_EQ(j["cogs"], "9.50");                 // 190 x 0.05
  EXPECT_EQ(j["margin"], "18.05");
  EXPECT_EQ(j["excluded_calls"], 3);
  EXPECT_EQ(j["excluded_minutes"], "7.000000"); // 5 + 2 + 0
  EXPECT_EQ(j["excluded_cogs"], "0.35");

  // The same data under per_second: 11220 s = 187 min; 11220 x 0.145 / 60 = 27.115 -> 27.12.
  ASSERT_EQ(run({"tenant", "update", slug, "--rounding", "per_second"}).code, 0);
  j = rollup(slug, "2026-11");
  EXPECT_EQ(j["rounding"], "per_second");
  EXPECT_EQ(j["billed_minutes"], "187.000000");
  EXPECT_EQ(j["charge"], "27.12");
  EXPECT_EQ(j["cogs"], "9.35"); // 11220 x 0.05 / 60

  // Free minutes larger, then smaller than usage.
  ASSERT_EQ(run({"tenant", "update", slug, "--rounding", "per_call_ceil_minute", "--free-minutes",
                 "200"})
                .code,
            0);
  j = rollup(slug, "2026-11");
  EXPECT_EQ(j["free_minutes_applied"], "190.000000");
  EXPECT_EQ(j["paid_minutes"], "0.000000");
  EXPECT_EQ(j["charge"], "0.00");
  EXPECT_EQ(j["cogs"], "9.50");
  ASSERT_EQ(run({"tenant", "update", slug, "--free-minutes", "100"}).code, 0);
  j = rollup(slug, "2026-11");
  EXPECT_EQ(j["paid_minutes"], "90.000000");
  EXPECT_EQ(j["charge"], "13.05");

  // The statement says it, with fixed decimals, in line order.
  std::string csv = statement_csv(slug, "2026-11");
  EXPECT_NE(csv.find("2026-11,1,usage,Voice minutes (calls rounded up to the minute),"
                     "190.000000,100.000000,90.000000,0.145000,13.05,USD,9,2026-11-01,2026-11-30\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("not_billed"), std::string::npos);
  EXPECT_NE(csv.find("2026-11,,total,Total (draft),,,,,13.05,USD,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("cogs"), std::string::npos); // white-label: no COGS
  EXPECT_EQ(csv.find("vapi"), std::string::npos); // no provider names
  // Deterministic: a rerun gives the same bytes and no extra lines.
  rollup(slug, "2026-11");
  EXPECT_EQ(statement_csv(slug, "2026-11"), csv);
  EXPECT_EQ(count("SELECT count(*) FROM statement_lines WHERE org_id = $1", {tenant_id(slug)}), 2);
}

TEST_F(BillingTest, PeriodIsTheMonthInTheTenantsTimezone) {
  auto slug = tenant("Vancouver Co", {"--timezone", "America/Vancouver"});
  // 2026-11-01T05:30Z is Oct 31 22:30 in Vancouver (PDT); 08:30Z is Nov 1 01:30 (PDT ends Nov 1).
  ASSERT_EQ(import(slug, call("oct", "2026-11-01T05:30:00Z", 600) +
                             call("nov", "2026-11-01T08:30:00Z", 120) +
                             call("dec", "2026-12-01T07:59:59Z", 60)) // Nov 30 23:59:59 PST
                .code,
            0);
  auto oct = rollup(slug, "2026-10");
  EXPECT_EQ(oct["billable_calls"], 1);
  EXPECT_EQ(oct["billed_minutes"], "10.000000");
  auto nov = rollup(slug, "2026-11");
  EXPECT_EQ(nov["billable_calls"], 2);
  EXPECT_EQ(nov["billed_minutes"], "3.000000");
  EXPECT_EQ(nov["timezone"], "America/Vancouver");
}

TEST_F(BillingTest, EmptyTenantGetsAZeroStatement) {
  auto slug = tenant("Empty Co");
  auto j = rollup(slug, "2026-11");
  EXPECT_EQ(j["calls"], 0);
  EXPECT_EQ(j["total"], "0.00");
  auto csv = statement_csv(slug, "2026-11");
  EXPECT_NE(csv.find(",total,Total (draft),,,,,0.00,USD,"), std::string::npos) << csv;
  auto r = run({"billing", "statement", "--tenant", slug, "--period", "2026-09"});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_TRUE(r.mentions("billing rollup")) << r;
}

TEST_F(BillingTest, LateUsageAfterCloseBecomesAnAdjustmentOnce) {
  auto slug = tenant("Late Co", {"--free-minutes", "100"});
  // October: 95 minutes, all free.
  ASSERT_EQ(import(slug, call("o1", "2026-10-10T10:00:00Z", 95 * 60)).code, 0);
  auto r = run({"billing", "rollup", "--tenant", slug, "--period", "2026-10", "--close"});
  EXPECT_EQ(r.code, 2) << r; // closing asks; no TTY -> --yes required
  ASSERT_EQ(rollup(slug, "2026-10", {"--close", "--yes"})["status"], "closed");
  const std::string oct_csv = statement_csv(slug, "2026-10");
  EXPECT_NE(oct_csv.find(",0.00,USD,"), std::string::npos);

  // A late 10-minute October call: 105 minutes, 5 paid -> adjustment 5 x 0.145 = 0.73 (0.725).
  ASSERT_EQ(import(slug, call("o2", "2026-10-20T10:00:00Z", 600), "late.jsonl").code, 0);
  auto oct = rollup(slug, "2026-10");
  EXPECT_EQ(oct["already_closed"], true);
  EXPECT_EQ(oct["billed_minutes"], "95.000000"); // closed: immutable
  EXPECT_EQ(statement_csv(slug, "2026-10"), oct_csv);

  ASSERT_EQ(import(slug, call("n1", "2026-11-02T10:00:00Z", 60), "nov.jsonl").code, 0);
  // New terms apply to open periods only: October is re-rated at its own 0.145.
  ASSERT_EQ(run({"tenant", "update", slug, "--rate-per-minute", "0.20"}).code, 0);
  auto nov = rollup(slug, "2026-11");
  EXPECT_EQ(nov["rate_per_minute"], "0.200000");
  EXPECT_EQ(nov["adjustments"][0]["unit_price"], "0.145000");
  ASSERT_EQ(nov["adjustments"].size(), 1u) << nov.dump(2);
  EXPECT_EQ(nov["adjustments"][0]["for_period"], "2026-10");
  EXPECT_EQ(nov["adjustments"][0]["units"], "10.000000");
  EXPECT_EQ(nov["adjustments"][0]["free_units"], "5.000000");
  EXPECT_EQ(nov["adjustments"][0]["paid_units"], "5.000000");
  EXPECT_EQ(nov["adjustments"][0]["amount"], "0.73");
  EXPECT_EQ(nov["charge"], "0.00");  // November's one minute is free
  EXPECT_EQ(nov["total"], "0.73");
  // A rerun never duplicates the adjustment.
  nov = rollup(slug, "2026-11");
  EXPECT_EQ(nov["adjustments"].size(), 1u);
  EXPECT_EQ(count("SELECT count(*) FROM billing_adjustments WHERE org_id = $1", {tenant_id(slug)}),
            1);
  auto csv = statement_csv(slug, "2026-11");
  EXPECT_NE(csv.find("adjustment,Adjustment for 2026-10: late usage,10.000000,5.000000,5.000000,"
                     "0.145000,0.73,USD,1,2026-10-01,2026-10-31"),
            std::string::npos)
      << csv;
  // Once November is closed, December owes nothing more for October.
  ASSERT_EQ(rollup(slug, "2026-11", {"--close", "--yes"})["status"], "closed");
  auto dec = rollup(slug, "2026-12");
  EXPECT_TRUE(dec["adjustments"].empty()) << dec.dump(2);
}

TEST_F(BillingTest, CreditIsDebitedOnceAtClose) {
  auto slug = tenant("Credit Co");
  auto r = run({"billing", "credit", "add", "--tenant", slug, "10.00", "--reason", "top-up"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["balance"], "10.00");
  EXPECT_EQ(run({"billing", "credit", "add", "--tenant", slug, "-5", "--reason", "x"}).code, 2);
  EXPECT_EQ(run({"billing", "credit", "add", "--tenant", slug, "1.001", "--reason", "x"}).code, 2);
  EXPECT_EQ(run({"billing", "credit", "add", "--tenant", slug, "1", "--reason", ""}).code, 2);
  // 90 minutes x 0.145 = 13.05 > 10.00
  ASSERT_EQ(import(slug, call("c1", "2026-11-05T10:00:00Z", 90 * 60)).code, 0);
  auto j = rollup(slug, "2026-11", {"--close", "--yes"});
  EXPECT_EQ(j["total"], "13.05");
  EXPECT_EQ(j["credit_debit"]["balance_after"], "-3.05");
  EXPECT_EQ(j["credit_debit"]["zero_balance"], true);
  rollup(slug, "2026-11", {"--close", "--yes"}); // closed already: never debited twice
  EXPECT_EQ(count("SELECT count(*) FROM credit_transactions WHERE org_id = $1 AND kind = 'debit'",
                  {tenant_id(slug)}),
            1);
  r = run({"billing", "credit", "show", "--tenant", slug});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["balance"], "-3.05");
  EXPECT_EQ(r.json()["zero_balance"], true);
  EXPECT_EQ(r.json()["low_balance"], true);
  ASSERT_EQ(r.json()["history"].size(), 2u);
  EXPECT_EQ(r.json()["history"][0]["kind"], "debit");
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = $1 AND action IN "
                  "('billing.credit_add', 'billing.close')",
                  {tenant_id(slug)}),
            2);
}

TEST_F(BillingTest, IncrementalRerunEqualsAFullRead) {
  auto slug = tenant("Incremental Co");
  ASSERT_EQ(import(slug, boundary_calls("i")).code, 0);
  // Settle them: last changed three hours ago.
  ASSERT_TRUE(m_conn->exec("UPDATE calls SET created_at = now() - interval '3 hours', updated_at = "
                           "now() - interval '3 hours' WHERE org_id = $1",
                           {tenant_id(slug)}));
  auto first = rollup(slug, "2026-11");
  EXPECT_EQ(first["read"], "full");
  ASSERT_EQ(import(slug, call("new1", "2026-11-20T10:00:00Z", 61), "more.jsonl").code, 0);
  auto inc = rollup(slug, "2026-11");
  EXPECT_EQ(inc["read"], "incremental");
  EXPECT_EQ(inc["billed_minutes"], "192.000000");
  auto full = rollup(slug, "2026-11", {"--full"});
  EXPECT_EQ(full["read"], "full");
  for (const char* k : {"calls", "billable_calls", "billed_minutes", "charge", "cogs_exact"})
    EXPECT_EQ(inc[k], full[k]) << k;
  // An edit of a call already counted forces a full read, and is seen.
  ASSERT_TRUE(m_conn->exec("UPDATE calls SET duration_seconds = 7200, updated_at = now() WHERE "
                           "org_id = $1 AND external_call_id = 'i1'",
                           {tenant_id(slug)}));
  auto edited = rollup(slug, "2026-11");
  EXPECT_EQ(edited["read"], "full");
  EXPECT_EQ(edited["billed_minutes"], "311.000000"); // 192 - 1 + 120
}

TEST_F(BillingTest, AllTenantsMatchesOneByOneAndReportAddsUp) {
  auto a = tenant("Fleet A");
  auto b = tenant("Fleet B", {"--rounding", "per_second", "--timezone", "Europe/London"});
  ASSERT_EQ(import(a, boundary_calls("fa")).code, 0);
  ASSERT_EQ(import(b, boundary_calls("fb") + call("web", "2026-11-09T23:30:00Z", 60, "web")).code,
            0);
  auto single_a = rollup(a, "2026-11", {"--dry-run"});
  auto single_b = rollup(b, "2026-11", {"--dry-run"});
  auto r = run({"billing", "rollup", "--all-tenants", "--period", "2026-11", "--full"});
  ASSERT_EQ(r.code, 0) << r;
  std::map<std::string, json> rows;
  for (const auto& row : r.json())
    rows[row["tenant"].get<std::string>()] = row;
  ASSERT_TRUE(rows.count(a) && rows.count(b));
  EXPECT_EQ(rows[a]["total"], single_a["total"]);
  EXPECT_EQ(rows[b]["total"], single_b["total"]);
  EXPECT_EQ(rows[a]["total"], "27.55");
  EXPECT_EQ(rows[b]["total"], "27.12");

  r = run({"billing", "report", "--period", "2026-11"});
  ASSERT_EQ(r.code, 0) << r;
  auto rep = r.json();
  long long hours = 0;
  for (long long h : rep["calls_by_hour"].get<std::vector<long long>>())
    hours += h;
  long long calls = 0;
  for (const auto& t : rep["tenants"])
    calls += t["calls"].get<long long>();
  EXPECT_EQ(hours, calls);
  for (const auto& t : rep["tenants"]) {
    if (t["tenant"] == b) {
      EXPECT_EQ(t["status"], "draft");
      EXPECT_EQ(t["excluded_calls"], 1);
      // 10:00Z in London (GMT in November) is hour 10; the web call 23:30Z is hour 23.
      EXPECT_EQ(t["calls_by_hour"][10], 9);
      EXPECT_EQ(t["calls_by_hour"][23], 1);
      EXPECT_EQ(t["charge"], "27.12");
      EXPECT_EQ(t["cogs"], "9.35");
      EXPECT_EQ(t["margin"], "17.77");
    }
  }
  r = run({"billing", "report", "--period", "2026-11", "--timezone", "America/Vancouver"});
  ASSERT_EQ(r.code, 0) << r;
  for (const auto& t : r.json()["tenants"]) {
    if (t["tenant"] == b) {
      EXPECT_EQ(t["calls_by_hour"][2], 9); // 10:00Z = 02:00 PST
    }
  }
  r = run({"billing", "report", "--period", "2026-11", "--timezone", "Mars/Olympus"});
  EXPECT_EQ(r.code, 2) << r;
  cli.stdout_tty = true;
  r = run_raw({"-o", "table", "billing", "report", "--period", "2026-11"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("Calls by hour of day (tenant-local)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n10 "), std::string::npos) << r.out; // the 24 rows, 00..23
  EXPECT_NE(r.out.find("\n23 "), std::string::npos) << r.out;
  cli.stdout_tty = false;
  r = run_raw({"-o", "csv", "billing", "report", "--period", "2026-11"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out.rfind("tenant,status,currency,calls,", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("TOTAL"), std::string::npos);
}

TEST_F(BillingTest, AllTenantsCoversSchemaTenantsLateUsageAndIncrementalReads) {
  auto rowt = tenant("Bulk Row");
  auto schemat = tenant("Bulk Schema", {"--isolation", "schema"});
  auto latet = tenant("Bulk Late", {"--free-minutes", "100"});
  ASSERT_EQ(import(rowt, boundary_calls("br")).code, 0);
  ASSERT_EQ(import(schemat, boundary_calls("bs")).code, 0);
  ASSERT_EQ(import(latet, call("l1", "2026-10-10T10:00:00Z", 95 * 60)).code, 0);
  ASSERT_EQ(rollup(latet, "2026-10", {"--close", "--yes"})["status"], "closed");
  ASSERT_EQ(import(latet, call("l2", "2026-10-20T10:00:00Z", 600), "late.jsonl").code, 0);
  ASSERT_TRUE(m_conn->exec("UPDATE calls SET created_at = now() - interval '3 hours', updated_at = "
                           "now() - interval '3 hours' WHERE org_id = $1",
                           {tenant_id(rowt)}));
  auto all = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"billing", "rollup", "--all-tenants", "--period", "2026-11"};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = run(a);
    EXPECT_EQ(r.code, 0) << r;
    std::map<std::string, json> rows;
    for (const auto& row : r.json())
      rows[row["tenant"].get<std::string>()] = row;
    return rows;
  };
  auto before = snapshot();
  auto dry = all({"--dry-run"});
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(dry[rowt]["total"], "27.55");
  auto rows = all();
  EXPECT_EQ(rows[rowt]["total"], "27.55");
  EXPECT_EQ(rows[schemat]["total"], "27.55");
  EXPECT_EQ(rows[latet]["adjustments"], "0.73"); // re-rated one by one: 5 paid minutes
  const std::string schema =
      scalar("SELECT schema_name FROM organizations WHERE slug = $1", {schemat});
  EXPECT_EQ(scalar("SELECT total::text FROM " + db::quote_ident(schema) +
                   ".usage_rollups WHERE period = '2026-11'"),
            "27.55");
  // The row tenant's calls are settled: the next run reads only what changed.
  ASSERT_EQ(import(rowt, call("br-new", "2026-11-20T10:00:00Z", 61), "more.jsonl").code, 0);
  rows = all();
  EXPECT_EQ(rows[rowt]["read"], "incremental");
  EXPECT_EQ(rows[rowt]["billed_minutes"], "192.00");
  EXPECT_EQ(rows[rowt]["total"], "27.84"); // 192 x 0.145
  EXPECT_EQ(rows[latet]["adjustments"], "0.73"); // still one adjustment, not two
  EXPECT_EQ(count("SELECT count(*) FROM billing_adjustments WHERE org_id = $1",
                  {tenant_id(latet)}),
            1);
  EXPECT_EQ(rows[rowt]["changed"], true);
  auto full = all({"--full"});
  EXPECT_EQ(full[rowt]["read"], "full");
  EXPECT_EQ(full[rowt]["total"], "27.84");
  // Nothing changed since: the drafts are left as they are (no writes, no audit rows).
  EXPECT_EQ(full[rowt]["changed"], false);
  const long audits = count("SELECT count(*) FROM audit_events WHERE org_id = $1 AND action = "
                            "'billing.rollup'",
                            {tenant_id(rowt)});
  const std::string computed = scalar("SELECT computed_at::text FROM usage_rollups WHERE org_id = "
                                      "$1 AND period = '2026-11'",
                                      {tenant_id(rowt)});
  auto again = all();
  EXPECT_EQ(again[rowt]["changed"], false);
  EXPECT_EQ(again[rowt]["total"], "27.84");
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = $1 AND action = "
                  "'billing.rollup'",
                  {tenant_id(rowt)}),
            audits);
  EXPECT_EQ(scalar("SELECT computed_at::text FROM usage_rollups WHERE org_id = $1 AND period = "
                   "'2026-11'",
                   {tenant_id(rowt)}),
            computed);
  // A change of terms is a change: the draft is re-rated and written.
  ASSERT_EQ(run({"tenant", "update", rowt, "--rate-per-minute", "0.20"}).code, 0);
  auto rerated = all();
  EXPECT_EQ(rerated[rowt]["changed"], true);
  EXPECT_EQ(rerated[rowt]["total"], "38.40"); // 192 x 0.20
}

TEST_F(BillingTest, PdfStatementCarriesNameLinesAndTotal) {
  auto slug = tenant("Clínica \"Sonrisa\" & Co");
  ASSERT_EQ(import(slug, boundary_calls("p")).code, 0);
  rollup(slug, "2026-11");
  const std::string out = cli.home.file("statement.pdf");
  auto r = run({"billing", "statement", "--tenant", slug, "--period", "2026-11", "--format", "pdf",
                "--out", out});
  ASSERT_EQ(r.code, 0) << r;
  std::ifstream f(out, std::ios::binary);
  std::string head(5, '\0');
  f.read(head.data(), 5);
  EXPECT_EQ(head, "%PDF-");
  const std::string txt = cli.home.file("statement.txt");
  ASSERT_EQ(std::system(("pdftotext -layout '" + out + "' '" + txt + "'").c_str()), 0);
  std::ifstream t(txt);
  std::stringstream ss;
  ss << t.rdbuf();
  const std::string text = ss.str();
  for (const char* needle : {"Clínica \"Sonrisa\" & Co", "Statement 2026-11 (draft)",
                             "Voice minutes", "27.55", "Total", "Billed minutes per day"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << " in:\n" << text;
  EXPECT_EQ(text.find("COGS"), std::string::npos);
  // Not on a terminal without --out.
  cli.stdout_tty = true;
  r = run({"billing", "statement", "--tenant", slug, "--period", "2026-11", "--format", "pdf"});
  EXPECT_EQ(r.code, 2) << r;
}

TEST_F(BillingTest, BadInputIsRefusedWithTheRightCode) {
  auto slug = tenant("Bad Input Co");
  EXPECT_EQ(run({"billing", "rollup", "--tenant", slug, "--period", "2026-13"}).code, 2);
  EXPECT_EQ(run({"billing", "rollup", "--tenant", "no-such-tenant", "--period", "2026-11"}).code, 3);
  EXPECT_EQ(run({"billing", "rollup", "--period", "2026-11", "--all-tenants", "--tenant", slug}).code,
            2);
  EXPECT_EQ(run({"calls", "import", "--tenant", slug, cli.home.write("x.txt", "")}).code, 2);
  EXPECT_EQ(run({"calls", "import", "--tenant", slug, cli.home.file("missing.jsonl")}).code, 2);
  EXPECT_EQ(run({"calls", "list", "--tenant", slug, "--since", "yesterday"}).code, 2);
  auto before = snapshot();
  auto r = run({"calls", "import", "--tenant", slug,
                cli.home.write("evil.jsonl", "{\"provider\":\"vapi\",\"external_call_id\":\"a\\u001b[31m\","
                                             "\"started_at\":\"2026-11-03T09:15:00Z\",\"duration_seconds\":1}\n")});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(BillingTest, HostileTextIsRefusedAtTheEdgeAndEscapedOnTheWayOut) {
  auto slug = tenant("Hostile Calls Co");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"Evil\x1b[31mRed", "U+001B"},       {std::string("Nul\0Byte", 8), "U+0000"},
      {"C1\u009b31m", "U+009B"},           {"Bidi\u202Etxt", "U+202E"},
      {"Over\xC0\xAFlong", "overlong"},    {"Stray\xFF", "0xFF"},
      {"Trunc\xE2\x82", "truncated"}};
  for (const auto& [text, needle] : bad) {
    std::string csv = "provider,external_call_id,started_at,duration_seconds,caller_name\n"
                      "vapi,h1,2026-11-03T09:15:00Z,60,\"" + text + "\"\n";
    auto r = run({"calls", "import", "--tenant", slug, cli.home.write("h.csv", csv)});
    EXPECT_EQ(r.code, 2) << needle << ": " << r;
    EXPECT_TRUE(r.mentions("line 2: caller_name")) << r;
    EXPECT_TRUE(r.mentions(needle)) << needle << ": " << r;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
  }
  EXPECT_EQ(calls_of(slug), 0);
  // Names with quotes and SQL are data.
  ASSERT_EQ(import(slug, json({{"provider", "vapi"},
                               {"external_call_id", "x'); DROP TABLE calls;--"},
                               {"caller_name", "Robert'); DROP TABLE students;-- \"Bobby\" 🦷"},
                               {"started_at", "2026-11-03T09:15:00Z"},
                               {"duration_seconds", 60}})
                             .dump() +
                             "\n")
                .code,
            0);
  EXPECT_EQ(scalar("SELECT caller_name FROM calls WHERE org_id = $1", {tenant_id(slug)}),
            "Robert'); DROP TABLE students;-- \"Bobby\" 🦷");
  // Text stored before the edge existed is escaped on a terminal.
  ASSERT_TRUE(m_conn->exec("INSERT INTO calls (org_id, provider, external_call_id, started_at, "
                           "duration_seconds, caller_name) VALUES ($1, 'legacy', E'raw\\x1b[2J', "
                           "'2026-11-04T09:00:00Z', 5, E'Mal\\x1b]0;pwned\\x07ory')",
                           {tenant_id(slug)}));
  cli.stdout_tty = true;
  auto r = run_raw({"-o", "table", "calls", "list", "--tenant", slug});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x07'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Mal\\x1b]0;pwned\\x07ory"), std::string::npos) << r.out; // shown, escaped
  EXPECT_NE(r.out.find("raw\\x1b[2J"), std::string::npos) << r.out;
}

