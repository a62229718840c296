// Phone numbers end to end: the whole CLI (in process, real libcurl, fake clock) against the
// provider simulator and a real PostgreSQL with the real roles and RLS. Every test asserts on the
// database and on the simulator's recorded requests, not only on crmctl's output.
#include "cmd/cmd_harness.hpp"
#include "support/sim.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace crm;
using nlohmann::json;

namespace {

const std::string k_sid = "AC11112222333344445555666677778888";
const std::string k_token = "tok_platform_0123456789";
const std::string k_tenant_sid = "AC99990000aaaabbbbccccddddeeeeffff";
const std::string k_tenant_token = "tok_tenant_abcdef987654";
const std::string k_el_key = "sk_el_platform_12345678";

class NumberTest : public test::OwnDbTest {
protected:
  void SetUp() override {
    test::OwnDbTest::SetUp();
    static int n = 0;
    k_agent = "agent_rachel_" + std::to_string(++n);
    sim = std::make_unique<test::Simulator>(std::vector<std::string>{
        "twilio:" + k_sid + ":" + k_token, "twilio:" + k_tenant_sid + ":" + k_tenant_token,
        "elevenlabs:" + k_el_key});
    sim_add_agent(k_agent, "Rachel");
    write_config(true);
    cli.real_http = true;
    cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('n');
    cli.env["TEST_TWILIO_TOKEN"] = k_token;
    cli.env["TEST_EL_KEY"] = k_el_key;
    cli.env["CRMCTL_CONFIG"] = config_path;
    slug = make_tenant("Numbers Co");
    add_agent(slug, k_agent);
  }

  /// The profile: platform accounts on the simulator (or none), the webhook base.
  void write_config(bool platform) {
    std::string y = "default_profile: t\nprofiles:\n  t:\n    webhook_base_url: "
                    "https://hooks.example.test\n    providers:\n";
    if (platform)
      y += "      twilio: {base_url: " + sim->url() + ", account_sid: " + k_sid +
           ", auth_token: env:TEST_TWILIO_TOKEN}\n      elevenlabs: {base_url: " + sim->url() +
           ", api_key: env:TEST_EL_KEY}\n";
    else
      y += "      twilio: {base_url: " + sim->url() +
           "}\n      elevenlabs: {base_url: " + sim->url() + "}\n";
    config_path = cli.home.write("config.yaml", y);
  }

  void sim_post(const std::string& path, const json& body) {
    auto c = http::make_curl_client();
    auto r = c->send({"POST",
                      sim->url() + path,
                      {{"Content-Type", "application/json"}},
                      body.dump(),
                      std::chrono::milliseconds(5000)});
    ASSERT_TRUE(r && r->status / 100 == 2) << path;
  }
  void sim_delete(const std::string& path) {
    auto c = http::make_curl_client();
    auto r = c->send({"DELETE", sim->url() + path, {}, "", std::chrono::milliseconds(5000)});
    ASSERT_TRUE(r && r->status / 100 == 2) << path;
  }
  void sim_add_agent(const std::string& id, const std::string& name) {
    sim_post("/__sim/elevenlabs/agents", {{"api_key", k_el_key}, {"agent_id", id}, {"name", name}});
  }
  void add_agent(const std::string& tenant, const std::string& external) {
    auto r = run({"agent", "create", "--tenant", tenant, "--provider", "elevenlabs",
                  "--external-id", external});
    ASSERT_EQ(r.code, 0) << r;
  }

  /// Twilio numbers in the simulator, by phone number.
  std::map<std::string, json> twilio_numbers() {
    std::map<std::string, json> out;
    auto s = sim->inspect("/__sim/state");
    for (const auto& n : s["twilio"]["numbers"])
      out[n["phone_number"].get<std::string>()] = n;
    return out;
  }
  std::map<std::string, json> el_numbers() {
    std::map<std::string, json> out;
    auto s = sim->inspect("/__sim/state");
    for (const auto& n : s["elevenlabs"]["phone_numbers"])
      out[n["phone_number"].get<std::string>()] = n;
    return out;
  }
  /// Requests the simulator processed (not faulted) for METHOD on paths starting with `prefix`.
  int processed(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : sim->requests(method, prefix))
      if (r["processed"] == true) ++n;
    return n;
  }
  std::string purchases() { return "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers.json"; }
  std::string status_of(const std::string& e164) {
    return scalar("SELECT status FROM phone_numbers WHERE org_id = $1 AND e164 = $2",
                  {tenant_id(slug), e164});
  }
  long routes(const std::string& e164) {
    return count("SELECT count(*) FROM number_routes WHERE e164 = $1", {e164});
  }
  test::CliRun buy(const std::string& e164, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"number", "buy", "--tenant", slug, "--number", e164};
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  }
  test::CliRun reconcile(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"number", "reconcile", "--tenant", slug, "--min-age", "0s"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  }

  std::unique_ptr<test::Simulator> sim;
  std::string config_path, slug;
  std::string k_agent; // the tenant's ElevenLabs agent (agent ids are global: one per test)
};

TEST_F(NumberTest, BuyRecordsRoutesAndPointsTheNumberAtTheWebhooks) {
  auto r = buy("+14155550100");
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["e164"], "+14155550100");
  EXPECT_EQ(j["status"], "purchased");
  EXPECT_EQ(j["twilio_account_sid"], k_sid);
  EXPECT_TRUE(j["twilio_sid"].get<std::string>().rfind("PN", 0) == 0);
  EXPECT_EQ(j["changed"], true);
  test::expect_keys(j, {"tenant", "e164", "status", "twilio_sid", "operation_id", "notes"});
  EXPECT_EQ(status_of("+14155550100"), "purchased");
  EXPECT_EQ(routes("+14155550100"), 1);
  auto live = twilio_numbers().at("+14155550100");
  EXPECT_EQ(live["voice_url"], "https://hooks.example.test/webhooks/twilio/voice");
  EXPECT_EQ(live["sms_url"], "https://hooks.example.test/webhooks/twilio/sms");
  EXPECT_EQ(count("SELECT count(*) FROM number_operations WHERE org_id = $1 AND kind = 'buy' AND "
                  "state = 'done'",
                  {tenant_id(slug)}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'number.buy' AND org_id = $1 "
                  "AND outcome = 'ok'",
                  {tenant_id(slug)}),
            1);
  // The same purchase again is a no-op; another tenant cannot have the number.
  auto again = buy("+14155550100");
  EXPECT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["changed"], false);
  std::string other = make_tenant("Other Numbers");
  auto theirs = run({"number", "buy", "--tenant", other, "--number", "+14155550100"});
  EXPECT_EQ(theirs.code, 4) << theirs;
  EXPECT_TRUE(theirs.mentions("another tenant")) << theirs;
  EXPECT_EQ(processed("POST", purchases()), 1);
  auto rec = reconcile();
  EXPECT_EQ(rec.code, 5) << rec; // bought, not imported yet
  ASSERT_EQ(rec.json().size(), 1u) << rec;
  EXPECT_EQ(rec.json()[0]["kind"], "not_imported");
}

TEST_F(NumberTest, BuyByAreaCodeAndTheTwilioErrorCodes) {
  auto r = run({"number", "buy", "--tenant", slug, "--area-code", "778", "--country", "CA"});
  ASSERT_EQ(r.code, 0) << r;
  std::string bought = r.json()["e164"];
  EXPECT_EQ(bought.rfind("+1778", 0), 0u) << bought;
  EXPECT_EQ(routes(bought), 1);
  auto before = snapshot();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"--area-code", "533"}, 3, "21452"},
      {{"--number", "+15005550000"}, 4, "21422"},
      {{"--number", "+15005550001"}, 2, "21421"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> a = {"number", "buy", "--tenant", slug};
    a.insert(a.end(), c.args.begin(), c.args.end());
    auto e = run(a);
    EXPECT_EQ(e.code, c.code) << e;
    EXPECT_TRUE(e.mentions(c.says)) << e;
    EXPECT_EQ(e.err.find('\n'), e.err.size() - 1) << "one line: " << e.err;
  }
  auto after = snapshot();
  // Nothing half-written: only the operation log (failed intents) and the audit trail changed.
  for (const auto& t : test::diff(before, after))
    EXPECT_TRUE(t.find("number_operations") != std::string::npos ||
                t.find("audit_events") != std::string::npos)
        << t;
  EXPECT_EQ(count("SELECT count(*) FROM number_operations WHERE org_id = $1 AND state = "
                  "'in_flight'",
                  {tenant_id(slug)}),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM number_routes WHERE e164 IN ('+15005550000', "
                  "'+15005550001')"),
            0);
}

TEST_F(NumberTest, InvalidNumbersAreRefusedBeforeAnyProviderCall) {
  for (std::string bad :
       {"15551234567", "+05551234567", "+1 555 123 4567", "+1555123456a", "+1234567890123456", "",
        "+", "+1-555-123-4567", "+١٢٣٤٥٦٧٨", "+1555\n1234567", "'; DROP TABLE phone_numbers; --"}) {
    auto r = buy(bad);
    EXPECT_EQ(r.code, 2) << bad << "\n" << r;
  }
  auto area = run({"number", "buy", "--tenant", slug, "--area-code", "7a8"});
  EXPECT_EQ(area.code, 2) << area;
  auto both = run({"number", "buy", "--tenant", slug});
  EXPECT_EQ(both.code, 2) << both;
  EXPECT_EQ(sim->requests("POST", "/2010-04-01").size(), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM number_operations WHERE org_id = $1", {tenant_id(slug)}),
            0);
}

TEST_F(NumberTest, BadCredentialsAndMissingCredentialsAreConfigErrors) {
  write_config(false); // no platform account
  auto none = buy("+14155550111");
  EXPECT_EQ(none.code, 10) << none;
  EXPECT_TRUE(none.mentions("crmctl creds set --tenant " + slug + " twilio")) << none;
  // The tenant's own (BYOC) credentials, with a token Twilio refuses.
  auto set = run({"creds", "set", "--tenant", slug, "twilio", "--from-stdin"},
                 "account_sid=" + k_tenant_sid + "\nauth_token=wrong_token_value\n");
  ASSERT_EQ(set.code, 0) << set;
  auto bad = buy("+14155550111");
  EXPECT_EQ(bad.code, 10) << bad;
  EXPECT_TRUE(bad.mentions("20003")) << bad;
  EXPECT_FALSE(bad.mentions("wrong_token_value")) << bad;
  EXPECT_EQ(status_of("+14155550111"), "");
  EXPECT_EQ(routes("+14155550111"), 0);
  // With the right token the number lands on the tenant's own account.
  set = run({"creds", "set", "--tenant", slug, "twilio", "--from-stdin"},
            "account_sid=" + k_tenant_sid + "\nauth_token=" + k_tenant_token + "\n");
  ASSERT_EQ(set.code, 0) << set;
  auto ok = buy("+14155550111");
  ASSERT_EQ(ok.code, 0) << ok;
  EXPECT_EQ(ok.json()["twilio_account_sid"], k_tenant_sid);
  EXPECT_EQ(twilio_numbers().at("+14155550111")["account_sid"], k_tenant_sid);
}

TEST_F(NumberTest, RateLimitsAreRetriedAndAStormFailsCleanly) {
  ASSERT_TRUE(
      sim->fault(R"({"path_prefix":"/2010-04-01","method":"POST","status":429,"count":2})"));
  auto r = buy("+14155550122");
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(sim->requests("POST", purchases()).size(), 3u);
  EXPECT_EQ(processed("POST", purchases()), 1);
  ASSERT_TRUE(sim->fault(
      R"({"path_prefix":"/2010-04-01","method":"POST","status":429,"retry_after":"1","count":50})"));
  auto storm = buy("+14155550133");
  EXPECT_EQ(storm.code, 6) << storm;
  EXPECT_EQ(processed("POST", purchases()), 1); // the storm bought nothing
  EXPECT_EQ(status_of("+14155550133"), "");
  EXPECT_EQ(routes("+14155550133"), 0);
  auto rec = reconcile();
  EXPECT_FALSE(rec.mentions("+14155550133")) << rec;
}

TEST_F(NumberTest, ADropAfterThePurchaseIsSettledByReadingTwilioNeverByBuyingAgain) {
  for (std::string drop : {"close", "partial"}) {
    std::string e164 = drop == "close" ? "+14155550144" : "+14155550155";
    ASSERT_TRUE(
        sim->fault(R"({"path_prefix":"/2010-04-01","method":"POST","drop":")" + drop + R"("})"));
    auto r = buy(e164);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.json()["status"], "purchased");
    EXPECT_EQ(status_of(e164), "purchased");
  }
  EXPECT_EQ(processed("POST", purchases()), 2);
  EXPECT_EQ(sim->requests("POST", purchases()).size(), 2u); // never re-sent
  EXPECT_GE(sim->requests("GET", purchases()).size(), 2u);  // looked up instead
  auto rec = reconcile();
  for (const auto& f : rec.json())
    EXPECT_EQ(f["kind"], "not_imported") << rec;
}

TEST_F(NumberTest, ACrashAtAnyStepIsResolvedByReconcile) {
  std::string org = tenant_id(slug);
  // A purchase that reached Twilio and crashed before recording it: intent row in flight, the
  // number on Twilio under crmctl's marker.
  std::string marker = slug.substr(0, 40) + " crmctl:aaaabbbbcccc";
  ASSERT_TRUE(
      m_conn->exec("INSERT INTO number_routes (e164, org_id) VALUES ('+14155550166', $1)", {org}));
  ASSERT_TRUE(m_conn->exec(
      "INSERT INTO phone_numbers (org_id, e164, status, twilio_account_sid, friendly_name) VALUES "
      "($1, '+14155550166', 'purchasing', $2, $3)",
      {org, k_sid, marker}));
  ASSERT_TRUE(m_conn->exec(
      "INSERT INTO number_operations (org_id, id, idempotency_key, kind, e164, step, state, "
      "provider_refs) VALUES ($1, 'aaaabbbb-cccc-4ddd-8eee-ffff00001111', 'k1', 'buy', "
      "'+14155550166', 'purchase', 'in_flight', $2::jsonb)",
      {org, json{{"account_sid", k_sid}, {"friendly_name", marker}}.dump()}));
  sim_post("/__sim/twilio/numbers",
           {{"account_sid", k_sid}, {"phone_number", "+14155550166"}, {"friendly_name", marker}});
  // A purchase that crashed before Twilio saw it.
  ASSERT_TRUE(
      m_conn->exec("INSERT INTO number_routes (e164, org_id) VALUES ('+14155550177', $1)", {org}));
  ASSERT_TRUE(m_conn->exec("INSERT INTO phone_numbers (org_id, e164, status) VALUES ($1, "
                           "'+14155550177', 'purchasing')",
                           {org}));
  ASSERT_TRUE(m_conn->exec(
      "INSERT INTO number_operations (org_id, id, idempotency_key, kind, e164, step, state, "
      "provider_refs) VALUES ($1, 'aaaabbbb-cccc-4ddd-8eee-ffff00002222', 'k2', 'buy', "
      "'+14155550177', 'purchase', 'in_flight', $2::jsonb)",
      {org,
       json{{"account_sid", k_sid}, {"friendly_name", slug + " crmctl:000011112222"}}.dump()}));
  // While in flight, a buy of the same number is refused, not sent.
  auto busy = buy("+14155550177");
  EXPECT_EQ(busy.code, 4) << busy;
  // Young operations are left to the command that runs them.
  auto young = run({"number", "reconcile", "--tenant", slug, "--fix"});
  EXPECT_EQ(status_of("+14155550166"), "purchasing") << young;

  auto report = reconcile();
  EXPECT_EQ(report.code, 5) << report;
  std::set<std::string> kinds;
  for (const auto& f : report.json())
    kinds.insert(f["kind"].get<std::string>() + " " + f["e164"].get<std::string>());
  EXPECT_TRUE(kinds.count("bought_unrecorded +14155550166")) << report;
  EXPECT_TRUE(kinds.count("purchase_not_made +14155550177")) << report;
  auto fixed = reconcile({"--fix"});
  EXPECT_EQ(fixed.code, 5) << fixed; // the recorded number is not imported yet
  std::set<std::string> after;
  for (const auto& f : fixed.json())
    after.insert(f["kind"].get<std::string>() + (f["fixed"] == true ? " fixed" : ""));
  // The planted number had no webhook URLs: pointed at ours once recorded.
  EXPECT_EQ(after, (std::set<std::string>{"bought_unrecorded fixed", "purchase_not_made fixed",
                                          "wrong_webhook_url fixed", "not_imported"}))
      << fixed;
  EXPECT_EQ(status_of("+14155550166"), "purchased");
  EXPECT_EQ(status_of("+14155550177"), "");
  EXPECT_EQ(routes("+14155550177"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM number_operations WHERE org_id = $1 AND state = "
                  "'in_flight'",
                  {org}),
            0);
  auto clean = reconcile();
  ASSERT_EQ(clean.json().size(), 1u) << clean;
  EXPECT_EQ(clean.json()[0]["kind"], "not_imported");
  EXPECT_EQ(processed("POST", purchases()), 0); // reconcile never buys
}

TEST_F(NumberTest, ConcurrentBuysOfOneNumberBuyItOnce) {
  ASSERT_TRUE(sim->fault(R"({"path_prefix":"/2010-04-01","method":"POST","delay_ms":400})"));
  test::CliRun a, b;
  test::Cli cli2;
  cli2.env = cli.env;
  cli2.real_http = true;
  std::string url = s_db->url();
  std::thread t1([&] {
    a = cli(
        {"--db", url, "-o", "json", "number", "buy", "--tenant", slug, "--number", "+14155550188"});
  });
  std::thread t2([&] {
    b = cli2(
        {"--db", url, "-o", "json", "number", "buy", "--tenant", slug, "--number", "+14155550188"});
  });
  t1.join();
  t2.join();
  std::vector<int> codes = {a.code, b.code};
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(codes, (std::vector<int>{0, 4})) << a << b;
  EXPECT_EQ(processed("POST", purchases()), 1);
  EXPECT_EQ(status_of("+14155550188"), "purchased");
}

TEST_F(NumberTest, IdempotencyKeyReturnsTheFirstOutcome) {
  auto first = buy("+14155550199", {"--idempotency-key", "onboard-1"});
  ASSERT_EQ(first.code, 0) << first;
  auto second = buy("+14155550199", {"--idempotency-key", "onboard-1"});
  ASSERT_EQ(second.code, 0) << second;
  EXPECT_EQ(second.json()["operation_id"], first.json()["operation_id"]);
  EXPECT_EQ(processed("POST", purchases()), 1);
}

TEST_F(NumberTest, DryRunWritesNothingAndCallsNoProvider) {
  auto before = snapshot();
  auto r = run({"--dry-run", "number", "buy", "--tenant", slug, "--number", "+14155550200"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(sim->requests("POST", "/2010-04-01").size(), 0u);
}

TEST_F(NumberTest, ActivateImportsAssignsAndSurvivesADroppedImport) {
  ASSERT_EQ(buy("+14155550211").code, 0);
  ASSERT_EQ(buy("+14155550222").code, 0);
  auto a = run({"number", "activate", "--tenant", slug, "+14155550211"});
  ASSERT_EQ(a.code, 0) << a;
  EXPECT_EQ(a.json()["status"], "active");
  EXPECT_EQ(a.json()["agent_external_id"], k_agent);
  auto el = el_numbers();
  ASSERT_TRUE(el.count("+14155550211"));
  EXPECT_EQ(el.at("+14155550211")["agent_id"], k_agent);
  EXPECT_EQ(a.json()["elevenlabs_phone_number_id"], el.at("+14155550211")["phone_number_id"]);
  // The import is committed, the answer lost: listed, never imported twice.
  ASSERT_TRUE(
      sim->fault(R"({"path_prefix":"/v1/convai/phone-numbers","method":"POST","drop":"close"})"));
  auto b = run({"number", "activate", "--tenant", slug, "+14155550222", "--agent", k_agent});
  ASSERT_EQ(b.code, 0) << b;
  EXPECT_EQ(processed("POST", "/v1/convai/phone-numbers"), 2);
  EXPECT_EQ(sim->requests("POST", "/v1/convai/phone-numbers").size(), 2u);
  EXPECT_EQ(status_of("+14155550222"), "active");
  // Activating again changes nothing; an unknown agent is not found.
  auto again = run({"number", "activate", "--tenant", slug, "+14155550211"});
  EXPECT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["changed"], false);
  auto unknown = run({"number", "activate", "--tenant", slug, "+14155550211", "--agent", "nope"});
  EXPECT_EQ(unknown.code, 3) << unknown;
  auto rec = reconcile();
  EXPECT_EQ(rec.code, 0) << rec;
  EXPECT_TRUE(rec.json().empty()) << rec;
}

TEST_F(NumberTest, RouteTogglesTheVoiceUrlAndBack) {
  ASSERT_EQ(buy("+14155550233").code, 0);
  ASSERT_EQ(run({"number", "activate", "--tenant", slug, "+14155550233"}).code, 0);
  std::string ai_url = twilio_numbers().at("+14155550233")["voice_url"];
  auto off = run({"number", "route", "--tenant", slug, "+14155550233", "--ai", "off"});
  EXPECT_EQ(off.code, 2) << off; // --forward-to needed the first time
  off = run({"number", "route", "--tenant", slug, "+14155550233", "--ai", "off", "--forward-to",
             "+16045550199"});
  ASSERT_EQ(off.code, 0) << off;
  EXPECT_EQ(off.json()["ai_enabled"], false);
  EXPECT_EQ(twilio_numbers().at("+14155550233")["voice_url"],
            "https://hooks.example.test/webhooks/twilio/forward?to=%2B16045550199");
  EXPECT_EQ(reconcile().code, 0);
  auto on = run({"number", "route", "--tenant", slug, "+14155550233", "--ai", "on"});
  ASSERT_EQ(on.code, 0) << on;
  EXPECT_EQ(twilio_numbers().at("+14155550233")["voice_url"], ai_url);
  EXPECT_EQ(reconcile().code, 0);
}

TEST_F(NumberTest, ReleaseRemovesEverywhereAndRefusesOtherTenantsNumbers) {
  ASSERT_EQ(buy("+14155550244").code, 0);
  ASSERT_EQ(run({"number", "activate", "--tenant", slug, "+14155550244"}).code, 0);
  std::string other = make_tenant("Release Other");
  auto theirs = run({"--yes", "number", "release", "--tenant", other, "+14155550244"});
  EXPECT_EQ(theirs.code, 3) << theirs;
  auto unconfirmed = run({"number", "release", "--tenant", slug, "+14155550244"});
  EXPECT_EQ(unconfirmed.code, 2) << unconfirmed;
  EXPECT_EQ(status_of("+14155550244"), "active");
  auto r = run({"--yes", "number", "release", "--tenant", slug, "+14155550244"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(status_of("+14155550244"), "released");
  EXPECT_EQ(routes("+14155550244"), 0);
  EXPECT_FALSE(twilio_numbers().count("+14155550244"));
  EXPECT_FALSE(el_numbers().count("+14155550244"));
  // The number can be bought again, by another tenant too.
  auto again = run({"number", "buy", "--tenant", other, "--number", "+14155550244"});
  EXPECT_EQ(again.code, 0) << again;
}

TEST_F(NumberTest, ReconcileFindsAndFixesDrift) {
  ASSERT_EQ(buy("+14155550255").code, 0);
  ASSERT_EQ(buy("+14155550266").code, 0);
  ASSERT_EQ(buy("+14155550277").code, 0);
  ASSERT_EQ(run({"number", "activate", "--tenant", slug}).code, 0);
  // Behind crmctl's back: one number released in the console, one re-pointed, one agent
  // unassigned.
  sim_delete("/__sim/twilio/numbers/%2B14155550255");
  auto numbers = twilio_numbers();
  {
    auto c = http::make_curl_client();
    std::string sid = numbers.at("+14155550266")["sid"];
    auto r = c->send(
        {"POST",
         sim->url() + "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers/" + sid + ".json",
         {{"Authorization", "Basic " + crypto::base64_encode(k_sid + ":" + k_token)},
          {"Content-Type", "application/x-www-form-urlencoded"}},
         "SmsUrl=https%3A%2F%2Fevil.example%2Fsms",
         std::chrono::milliseconds(5000)});
    ASSERT_TRUE(r && r->status == 200);
    std::string el_id = el_numbers().at("+14155550277")["phone_number_id"];
    auto p = c->send({"PATCH",
                      sim->url() + "/v1/convai/phone-numbers/" + el_id,
                      {{"xi-api-key", k_el_key}, {"Content-Type", "application/json"}},
                      R"({"agent_id":null})",
                      std::chrono::milliseconds(5000)});
    ASSERT_TRUE(p && p->status == 200);
  }
  auto report = reconcile();
  EXPECT_EQ(report.code, 5) << report;
  std::set<std::string> kinds;
  for (const auto& f : report.json())
    kinds.insert(f["kind"].get<std::string>() + " " + f["e164"].get<std::string>());
  EXPECT_EQ(kinds,
            (std::set<std::string>{"recorded_but_gone +14155550255",
                                   "wrong_webhook_url +14155550266", "wrong_agent +14155550277"}))
      << report;
  // A read-only session may look, not fix.
  EXPECT_EQ(run({"--read-only", "number", "reconcile", "--tenant", slug, "--min-age", "0s"}).code,
            5);
  auto refused =
      run({"--read-only", "number", "reconcile", "--tenant", slug, "--min-age", "0s", "--fix"});
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_TRUE(refused.mentions("--read-only is set")) << refused;
  EXPECT_EQ(status_of("+14155550255"), "active"); // nothing fixed
  auto fixed = reconcile({"--fix"});
  EXPECT_EQ(fixed.code, 0) << fixed;
  EXPECT_EQ(status_of("+14155550255"), "released");
  EXPECT_EQ(twilio_numbers().at("+14155550266")["sms_url"],
            "https://hooks.example.test/webhooks/twilio/sms");
  EXPECT_EQ(el_numbers().at("+14155550277")["agent_id"], k_agent);
  auto clean = reconcile();
  EXPECT_EQ(clean.code, 0) << clean;
  // Every tenant at once also reports numbers on the platform account nobody records.
  sim_post("/__sim/twilio/numbers", {{"account_sid", k_sid}, {"phone_number", "+14155550288"}});
  auto all = run({"number", "reconcile", "--min-age", "0s"});
  EXPECT_EQ(all.code, 5) << all;
  EXPECT_TRUE(all.mentions("+14155550288")) << all;
  EXPECT_TRUE(all.mentions("untracked")) << all;
}

TEST_F(NumberTest, ListAndSearch) {
  ASSERT_EQ(buy("+14155550299").code, 0);
  auto l = run({"number", "list", "--tenant", slug});
  ASSERT_EQ(l.code, 0) << l;
  ASSERT_EQ(l.json().size(), 1u);
  EXPECT_EQ(l.json()[0]["e164"], "+14155550299");
  auto all = run({"number", "list", "--status", "purchased"});
  ASSERT_EQ(all.code, 0) << all;
  bool seen = false;
  for (const auto& n : all.json())
    if (n["e164"] == "+14155550299") seen = n["tenant"] == slug;
  EXPECT_TRUE(seen) << all;
  auto s = run({"number", "search", "--country", "CA", "--area-code", "778", "--limit", "3"});
  ASSERT_EQ(s.code, 0) << s;
  ASSERT_EQ(s.json().size(), 3u) << s;
  EXPECT_EQ(s.json()[0]["phone_number"].get<std::string>().rfind("+1778", 0), 0u);
  auto bad = run({"number", "search", "--area-code", "77"});
  EXPECT_EQ(bad.code, 2) << bad;
}

} // namespace

namespace {

TEST_F(NumberTest, DoctorProvidersChecksEachPlatformCredentialInOneLine) {
  auto ok = run({"doctor", "--providers"});
  std::map<std::string, std::string> status;
  for (const auto& c : ok.json())
    status[c["check"].get<std::string>()] = c["status"].get<std::string>();
  EXPECT_EQ(status["provider twilio"], "ok") << ok;
  EXPECT_EQ(status["provider elevenlabs"], "ok") << ok;
  EXPECT_EQ(status["provider vapi"], "skip") << ok;
  EXPECT_EQ(ok.code, 0) << ok;
  cli.env["TEST_TWILIO_TOKEN"] = "not_the_token_987";
  auto bad = run({"doctor", "--providers"});
  EXPECT_EQ(bad.code, 10) << bad;
  EXPECT_TRUE(bad.mentions("20003")) << bad;
  EXPECT_FALSE(bad.mentions("not_the_token_987")) << bad;
  auto plain = run({"doctor"});
  EXPECT_FALSE(plain.mentions("provider twilio")) << plain;
  EXPECT_EQ(sim->requests("GET", "/2010-04-01/Accounts/" + k_sid + ".json").size(), 2u);
}

} // namespace
