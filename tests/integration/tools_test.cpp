// Vapi tool sync end to end: the whole CLI (in process, real libcurl, fake clock) against the
// provider simulator and a real PostgreSQL (one database per test: the tool registry is global).
// Every test asserts on the simulator's recorded requests and on the database, not only on
// crmctl's output: e.g. no PATCH ever drops a tool id crmctl does not own.
#include "cmd/cmd_harness.hpp"
#include "db/db.hpp"
#include "providers/vapi.hpp"
#include "support/sim.hpp"
#include "tools/sync.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

using namespace crm;
using nlohmann::json;

namespace {

const std::string k_key = "vapi_private_0123456789abcdef";
const std::vector<std::string> k_tools = {"bookClinicAppointment", "checkAvailability",
                                          "getKnowledgeBase", "lookupCaller", "transferCall"};

class ToolsTest : public test::DbTest {
protected:
  void SetUp() override {
    m_own = std::make_unique<test::TempDatabase>(test::Start::migrated);
    s_db = m_own.get();
    test::DbTest::SetUp();
    sim = std::make_unique<test::Simulator>(std::vector<std::string>{"vapi:" + k_key});
    cli.real_http = true;
    cli.env["TEST_VAPI_KEY"] = k_key;
    write_config("https://api.clinic.test");
    cli.env["CRMCTL_CONFIG"] = config_path;
    foreign = sim->plant_vapi_tool({{"type", "function"},
                                    {"function", {{"name", "crmNotOurs"}}},
                                    {"server", {{"url", "https://other.example/x"}}}})["id"];
    a = make_tenant("Tools A");
    b = make_tenant("Tools B");
    a1 = add_assistant(a, "asst_a1", {foreign});
    a2 = add_assistant(a, "asst_a2", {});
    b1 = add_assistant(b, "asst_b1", {});
  }
  void TearDown() override {
    m_conn.reset();
    s_db = nullptr;
    m_own.reset();
  }

  void write_config(const std::string& backend, const std::string& extra = "") {
    config_path = cli.home.write(
        "config.yaml", "default_profile: t\nprofiles:\n  t:\n    pool_size: 6\n    providers:\n"
                       "      vapi: {base_url: " +
                           sim->url() + ", private_key: env:TEST_VAPI_KEY}\n    tools:\n"
                                        "      backend_url: " +
                           backend + "\n" + extra);
  }
  /// Plants an assistant at the simulator and registers it as the tenant's vapi agent.
  std::string add_assistant(const std::string& tenant, const std::string& id,
                            std::vector<std::string> tool_ids, json extra_model = json::object()) {
    json model = {{"provider", "openai"},
                  {"model", "gpt-4o"},
                  {"messages", json::array({{{"role", "system"}, {"content", "Prompt of " + id}}})},
                  {"toolIds", tool_ids}};
    for (auto it = extra_model.begin(); it != extra_model.end(); ++it)
      model[it.key()] = it.value();
    auto planted = sim->plant_vapi_assistant({{"id", id}, {"name", id}, {"model", model}});
    EXPECT_EQ(planted.value("id", ""), id);
    auto r = run({"agent", "create", "--tenant", tenant, "--provider", "vapi", "--external-id", id});
    EXPECT_EQ(r.code, 0) << r;
    return id;
  }
  test::CliRun tools(std::vector<std::string> args) {
    args.insert(args.begin(), "tools");
    return run(args);
  }
  /// Requests the simulator processed for METHOD on paths starting with `prefix`.
  int processed(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : sim->requests(method, prefix))
      if (r["processed"] == true) ++n;
    return n;
  }
  int writes() {
    return processed("POST", "/tool") + processed("PATCH", "/tool") +
           processed("DELETE", "/tool") + processed("PATCH", "/assistant");
  }
  json assistant(const std::string& id) {
    auto state = sim->vapi_state();
    for (const auto& x : state["assistants"])
      if (x["id"] == id) return x;
    return nullptr;
  }
  std::vector<std::string> tool_ids(const std::string& id) {
    auto x = assistant(id);
    if (x.is_null()) return {};
    return x["model"].value("toolIds", std::vector<std::string>{});
  }
  std::map<std::string, std::string> registry() {
    std::map<std::string, std::string> out;
    auto r = m_conn->exec("SELECT name, coalesce(provider_tool_id, '') AS pid FROM public.tools");
    EXPECT_TRUE(r);
    for (std::size_t i = 0; r && i < r->size(); ++i)
      out[r->get(i, "name")] = r->get(i, "pid");
    return out;
  }
  std::set<std::string> our_ids() {
    std::set<std::string> out;
    for (const auto& [name, id] : registry())
      out.insert(id);
    return out;
  }
  /// Every PATCH /assistant the simulator saw kept the foreign tool id when the assistant had it.
  void expect_foreign_kept() {
    for (const auto& r : sim->requests("PATCH", "/assistant/" + a1)) {
      auto body = json::parse(r["body"].get<std::string>(), nullptr, false);
      ASSERT_TRUE(body.is_object()) << r.dump();
      auto ids = body["model"].value("toolIds", std::vector<std::string>{});
      EXPECT_NE(std::find(ids.begin(), ids.end(), foreign), ids.end())
          << "a PATCH dropped the foreign tool id: " << r.dump();
    }
  }

  std::unique_ptr<test::TempDatabase> m_own;
  std::unique_ptr<test::Simulator> sim;
  std::string config_path, a, b, a1, a2, b1, foreign;
};

TEST_F(ToolsTest, FirstSyncRegistersOnceLinksEverywhereAndASecondRunWritesNothing) {
  auto plan = tools({"plan", "--exit-code"});
  EXPECT_EQ(plan.code, 5) << plan;
  auto pj = plan.json();
  EXPECT_EQ(pj["counts"]["tools_to_register"], 5);
  EXPECT_EQ(pj["assistants_missing_links"].size(), 3u) << pj.dump();
  EXPECT_EQ(writes(), 0) << "plan wrote";

  auto r = tools({"sync", "--all-tenants", "--jobs", "2"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["counts"]["assistants_patched"], 3);
  EXPECT_EQ(j["counts"]["failures"], 0);
  // Registered once, globally: five POSTs whatever the number of tenants.
  EXPECT_EQ(processed("POST", "/tool"), 5);
  EXPECT_EQ(processed("PATCH", "/assistant"), 3);
  auto reg = registry();
  ASSERT_EQ(reg.size(), 5u);
  for (const auto& n : k_tools)
    EXPECT_FALSE(reg[n].empty()) << n;
  // Each assistant: our five ids, the foreign one kept, the prompt and model resent intact.
  for (const auto& id : {a1, a2, b1}) {
    auto ids = tool_ids(id);
    for (const auto& pid : our_ids())
      EXPECT_NE(std::find(ids.begin(), ids.end(), pid), ids.end()) << id;
    auto x = assistant(id);
    EXPECT_EQ(x["model"]["provider"], "openai");
    EXPECT_EQ(x["model"]["model"], "gpt-4o");
    EXPECT_EQ(x["model"]["messages"][0]["content"], "Prompt of " + id);
  }
  auto ids = tool_ids(a1);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), foreign), ids.end());
  expect_foreign_kept();
  // The registered bodies carry the filled placeholders.
  auto vapi_tools = sim->vapi_state()["tools"];
  for (const auto& t : vapi_tools)
    if (t["function"]["name"] == "lookupCaller") {
      EXPECT_EQ(t["server"]["url"], "https://api.clinic.test/api/vapi/tools/lookupCaller");
    }
  // org_tools: five rows per tenant, the tenant's assistants, the definition hash.
  EXPECT_EQ(count("SELECT count(*) FROM org_tools WHERE org_id = $1::uuid", {tenant_id(a)}), 5);
  EXPECT_EQ(count("SELECT count(*) FROM org_tools WHERE org_id = $1::uuid AND assistant_ids = "
                  "ARRAY['asst_a1', 'asst_a2'] AND definition_hash = (SELECT definition_hash "
                  "FROM public.tools t WHERE t.id = tool_id)",
                  {tenant_id(a)}),
            5);
  EXPECT_EQ(count("SELECT count(*) FROM org_tools WHERE org_id = $1::uuid AND assistant_ids = "
                  "ARRAY['asst_b1']",
                  {tenant_id(b)}),
            5);
  EXPECT_GE(count("SELECT count(*) FROM audit_events WHERE action = 'tools.register'"), 5);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'tools.link'"), 2);

  // Nothing changed: a second run only reads, and the database does not move either.
  int before = writes();
  auto snap = snapshot();
  auto again = tools({"sync"});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(writes(), before) << "a no-op sync wrote to Vapi";
  EXPECT_TRUE(test::diff(snap, snapshot()).empty());
  auto clean = tools({"plan", "--exit-code"});
  EXPECT_EQ(clean.code, 0) << clean;
  auto verify = tools({"verify"});
  EXPECT_EQ(verify.code, 0) << verify;
}

TEST_F(ToolsTest, CachedNoOpReadsEachToolAndAssistantAtMostOnce) {
  ASSERT_EQ(tools({"sync"}).code, 0);
  auto gets_before = processed("GET", "/assistant/");
  auto lists_before = processed("GET", "/assistant") - gets_before;
  auto r = tools({"sync", "--cached"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(processed("GET", "/assistant/"), gets_before) << "--cached fetched assistants one by one";
  int lists = processed("GET", "/assistant") - processed("GET", "/assistant/") - lists_before;
  EXPECT_EQ(lists, 1);
  EXPECT_EQ(processed("GET", "/tool/"), 0);
  EXPECT_EQ(processed("POST", "/tool") + processed("PATCH", "/tool"), 5); // the first run only
  EXPECT_EQ(processed("PATCH", "/assistant"), 3);
}

TEST_F(ToolsTest, ChangedDefinitionIsUpdatedInPlaceAndDashboardEditsAreDrift) {
  ASSERT_EQ(tools({"sync"}).code, 0);
  auto reg = registry();
  // A new backend URL changes every definition hash: five PATCH /tool, ids kept, no relinking.
  write_config("https://api2.clinic.test");
  auto plan = tools({"plan", "--exit-code"});
  EXPECT_EQ(plan.code, 5) << plan;
  EXPECT_EQ(plan.json()["counts"]["tools_to_update"], 5);
  auto r = tools({"sync"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(processed("PATCH", "/tool/"), 5);
  EXPECT_EQ(processed("POST", "/tool"), 5);
  EXPECT_EQ(processed("PATCH", "/assistant"), 3) << "an update relinked assistants";
  EXPECT_EQ(registry(), reg);
  for (const auto& p : sim->requests("PATCH", "/tool/"))
    EXPECT_FALSE(json::parse(p["body"].get<std::string>()).contains("type")) << p.dump();
  EXPECT_EQ(count("SELECT count(*) FROM org_tools WHERE definition_hash = (SELECT "
                  "definition_hash FROM public.tools t WHERE t.id = tool_id)"),
            10);

  // Edited in the dashboard: verify reports it (exit 5), sync puts the definition back.
  std::string id = registry()["lookupCaller"];
  ASSERT_EQ(sim->edit_vapi("tools", id,
                           {{"function", {{"name", "lookupCaller"}, {"description", "hacked"}}}}),
            200);
  auto v = tools({"verify"});
  EXPECT_EQ(v.code, 5) << v;
  EXPECT_TRUE(v.mentions("edited outside crmctl")) << v;
  // --cached notices too: Vapi's updatedAt moved.
  auto cached_plan = tools({"plan", "--cached", "--exit-code"});
  EXPECT_EQ(cached_plan.code, 5) << cached_plan;
  ASSERT_EQ(tools({"sync", "--cached"}).code, 0);
  EXPECT_EQ(processed("PATCH", "/tool/" + id), 2);
  auto vapi_tools = sim->vapi_state()["tools"];
  for (const auto& t : vapi_tools)
    if (t["id"] == id) {
      EXPECT_NE(t["function"]["description"], "hacked");
    }
  EXPECT_EQ(tools({"verify"}).code, 0);

  // A link removed in the dashboard: drift, and one PATCH puts it back keeping the rest.
  auto ids = tool_ids(a2);
  ids.erase(std::find(ids.begin(), ids.end(), id));
  auto model = assistant(a2)["model"];
  model["toolIds"] = ids;
  ASSERT_EQ(sim->edit_vapi("assistants", a2, {{"model", model}}), 200);
  auto v2 = tools({"verify", "--tenant", a});
  EXPECT_EQ(v2.code, 5) << v2;
  EXPECT_TRUE(v2.mentions("removed outside crmctl")) << v2;
  auto patches = processed("PATCH", "/assistant");
  ASSERT_EQ(tools({"sync", "--tenant", a}).code, 0);
  EXPECT_EQ(processed("PATCH", "/assistant"), patches + 1);
  EXPECT_EQ(tool_ids(a2).size(), 5u);
  expect_foreign_kept();
}

TEST_F(ToolsTest, MissingAssistantAndRejectedPatchAreReportedAndTheOthersLinked) {
  auto ghost = "asst_ghost";
  auto r0 = run({"agent", "create", "--tenant", b, "--provider", "vapi", "--external-id", ghost});
  ASSERT_EQ(r0.code, 0) << r0;
  ASSERT_TRUE(sim->fault(R"({"path_prefix":"/assistant/asst_a2","method":"PATCH","status":400,)"
                         R"("body":{"message":["model.toolIds must be valid"],"error":"Bad Request",)"
                         R"("statusCode":400}})"));
  auto r = tools({"sync", "--all-tenants"});
  EXPECT_EQ(r.code, 8) << r;
  EXPECT_TRUE(r.mentions("asst_ghost")) << r;
  EXPECT_TRUE(r.mentions("404")) << r;
  EXPECT_TRUE(r.mentions("model.toolIds must be valid")) << r;
  auto j = r.json();
  EXPECT_EQ(j["counts"]["assistants_failed"], 2);
  EXPECT_EQ(j["counts"]["assistants_patched"], 2);
  EXPECT_EQ(tool_ids(a1).size(), 6u);
  EXPECT_EQ(tool_ids(b1).size(), 5u);
  EXPECT_EQ(tool_ids(a2).size(), 0u);
  // org_tools records only what is linked.
  EXPECT_EQ(count("SELECT count(*) FROM org_tools WHERE org_id = $1::uuid AND assistant_ids = "
                  "ARRAY['asst_a1']",
                  {tenant_id(a)}),
            5);
  // The rerun finishes the rejected one.
  auto again = tools({"sync", "--tenant", a});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(tool_ids(a2).size(), 5u);
  expect_foreign_kept();
}

TEST_F(ToolsTest, RateLimitStormsAreRetriedHonouringRetryAfter) {
  ASSERT_TRUE(sim->fault(R"({"path_prefix":"/tool","method":"POST","status":429,)"
                         R"("retry_after":"3","count":2})"));
  ASSERT_TRUE(sim->fault(R"({"path_prefix":"/assistant/","status":429,"retry_after":"1","count":3})"));
  auto r = tools({"sync"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(processed("POST", "/tool"), 5);
  EXPECT_EQ(sim->requests("POST", "/tool").size(), 7u);
  EXPECT_EQ(processed("PATCH", "/assistant"), 3);
  // Retry-After honoured (on the fake clock, in slices): 2 x 3 s for the POSTs, 3 x 1 s for the GETs.
  std::chrono::milliseconds slept{0};
  for (auto d : cli.clock.slept())
    slept += d;
  EXPECT_GE(slept.count(), 9000);
  EXPECT_LT(slept.count(), 20000);
}

TEST_F(ToolsTest, ToolDeletedRemotelyBetweenPlanAndSyncIsRegisteredAgainAndRelinked) {
  ASSERT_EQ(tools({"sync"}).code, 0);
  std::string old = registry()["transferCall"];
  ASSERT_TRUE(sim->delete_vapi("tools", old));
  auto plan = tools({"plan"});
  ASSERT_EQ(plan.code, 0) << plan;
  EXPECT_TRUE(plan.mentions("deleted at Vapi")) << plan;
  EXPECT_EQ(tools({"verify"}).code, 5);
  auto r = tools({"sync"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(processed("POST", "/tool"), 6);
  std::string fresh = registry()["transferCall"];
  EXPECT_NE(fresh, old);
  for (const auto& id : {a1, a2, b1}) {
    auto ids = tool_ids(id);
    EXPECT_NE(std::find(ids.begin(), ids.end(), fresh), ids.end()) << id;
    EXPECT_EQ(std::find(ids.begin(), ids.end(), old), ids.end()) << id << ": stale id kept";
  }
  expect_foreign_kept();
  EXPECT_EQ(tools({"verify"}).code, 0);
}

TEST_F(ToolsTest, LostRegistrationAnswerIsSettledByListingNeverByPostingAgain) {
  // Vapi creates the tool, then the connection dies before the answer.
  ASSERT_TRUE(sim->fault(R"({"path_prefix":"/tool","method":"POST",)"
                         R"("body_contains":"getKnowledgeBase","drop":"close"})"));
  auto r = tools({"sync"});
  ASSERT_EQ(r.code, 0) << r;
  int posts = 0;
  for (const auto& p : sim->requests("POST", "/tool"))
    if (p["body"].get<std::string>().find("getKnowledgeBase") != std::string::npos) ++posts;
  EXPECT_EQ(posts, 1) << "the registration was sent twice";
  EXPECT_EQ(sim->vapi_state()["tools"].size(), 6u); // five ours + the foreign one
  EXPECT_FALSE(registry()["getKnowledgeBase"].empty());

  // An intent left behind by a crash (row without id, tool created): adopted, not re-posted.
  ASSERT_TRUE(m_conn->exec("UPDATE public.tools SET provider_tool_id = NULL WHERE name = "
                           "'lookupCaller'"));
  auto plan = tools({"plan"});
  EXPECT_TRUE(plan.mentions("registration interrupted; found at Vapi")) << plan;
  ASSERT_EQ(tools({"sync"}).code, 0);
  EXPECT_EQ(processed("POST", "/tool"), 5);
  EXPECT_FALSE(registry()["lookupCaller"].empty());
}

TEST_F(ToolsTest, TwoConcurrentSyncsNeverRegisterTwice) {
  // A sync holding the lock: the second one is refused with exit 4 naming the holder.
  auto other = m_own->connect();
  ASSERT_TRUE(other);
  auto got = db::try_lock(*other, crm::tools::sync_lock_key());
  ASSERT_TRUE(got && *got);
  auto refused = tools({"sync"});
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_TRUE(refused.mentions("another `crmctl tools sync`")) << refused;
  EXPECT_EQ(writes(), 0);
  ASSERT_TRUE(db::release_lock(*other, crm::tools::sync_lock_key()));

  // Two at once, for real: whichever gets the lock runs; the other is refused (exit 4) or, when
  // it starts after the first finished, finds nothing to do. Never a second registration.
  ASSERT_TRUE(sim->set_latency(20));
  test::Cli second;
  second.real_http = true;
  second.env = cli.env;
  second.env["HOME"] = second.home.path.string();
  std::atomic<int> code2{-1};
  std::thread t([&] {
    auto r2 = second({"--db", m_own->url(), "-o", "json", "tools", "sync"});
    code2 = r2.code;
  });
  auto r1 = tools({"sync"});
  t.join();
  EXPECT_TRUE(r1.code == 0 || r1.code == 4) << r1;
  EXPECT_TRUE(code2 == 0 || code2 == 4) << code2;
  EXPECT_TRUE(r1.code == 0 || code2 == 0);
  EXPECT_EQ(processed("POST", "/tool"), 5);
  EXPECT_EQ(processed("PATCH", "/assistant"), 3);
}

TEST_F(ToolsTest, PruneRemovesUndefinedToolsAndNativeInterceptors) {
  // Definitions in a scratch copy, so one can be removed.
  std::string dir = (cli.home.path / "tools").string();
  std::filesystem::create_directories(dir);
  for (const auto& n : k_tools)
    std::filesystem::copy_file(std::string(CRM_SOURCE_DIR) + "/templates/tools/" + n + ".json",
                               dir + "/" + n + ".json");
  auto native = sim->plant_vapi_tool({{"type", "google.calendar.event.create"}})["id"];
  auto n1 = add_assistant(b, "asst_b2", {native},
                          {{"tools", json::array({{{"type", "google.calendar.availability.check"}},
                                                  {{"type", "endCall"}}})}});
  ASSERT_EQ(tools({"sync", "--definitions", dir}).code, 0);
  std::string gone = registry()["getKnowledgeBase"];
  std::filesystem::remove(dir + "/getKnowledgeBase.json");

  auto plan = tools({"plan", "--definitions", dir});
  ASSERT_EQ(plan.code, 0) << plan;
  auto pj = plan.json();
  EXPECT_EQ(pj["counts"]["tools_no_longer_defined"], 1);
  EXPECT_EQ(pj["links_to_remove"].size(), 4u) << pj.dump();
  EXPECT_EQ(pj["native_tools"].size(), 2u) << pj.dump();
  // sync leaves the undefined tool alone.
  int before = writes();
  ASSERT_EQ(tools({"sync", "--definitions", dir}).code, 0);
  EXPECT_EQ(writes(), before);

  auto dry = tools({"--dry-run", "prune", "--native", "--definitions", dir});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(writes(), before) << "prune --dry-run wrote";
  auto refused = tools({"prune", "--definitions", dir});
  EXPECT_EQ(refused.code, 2) << refused; // no terminal, no --yes

  auto r = tools({"--yes", "prune", "--definitions", dir});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(processed("DELETE", "/tool/" + gone), 1);
  EXPECT_EQ(registry().count("getKnowledgeBase"), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM org_tools"), 8);
  for (const auto& id : {a1, a2, b1, n1}) {
    auto ids = tool_ids(id);
    EXPECT_EQ(std::find(ids.begin(), ids.end(), gone), ids.end()) << id;
    EXPECT_EQ(ids.size(), id == a1 ? 5u : id == n1 ? 5u : 4u) << id;
  }
  expect_foreign_kept();
  // The natives survive a plain prune; --native removes them, inline and linked, nothing else.
  EXPECT_EQ(assistant(n1)["model"]["tools"].size(), 2u);
  ASSERT_EQ(tools({"--yes", "prune", "--native", "--definitions", dir}).code, 0);
  auto x = assistant(n1);
  EXPECT_EQ(x["model"]["tools"], json::array({{{"type", "endCall"}}}));
  auto ids = tool_ids(n1);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), native), ids.end());
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(x["model"]["messages"][0]["content"], "Prompt of asst_b2");
  auto v = tools({"verify", "--definitions", dir});
  EXPECT_EQ(v.code, 0) << v;
}

TEST_F(ToolsTest, BadDefinitionsAndConfigurationFailBeforeAnyRequest) {
  std::string dir = (cli.home.path / "bad").string();
  std::filesystem::create_directories(dir);
  cli.home.write("bad/lookupCaller.json", "{\n  \"type\": \"function\",\n  \"function\": {\n"
                                          "    \"name\": \"lookupCaller\",\n  }\n}\n");
  auto r = tools({"sync", "--definitions", dir});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(r.mentions("lookupCaller.json: line 5")) << r;

  cli.home.write("bad/lookupCaller.json",
                 R"({"type":"function","function":{"name":"lookupCaller"},)"
                 "\n"
                 R"("server":{"url":"{{backend_url}}/x","headers":{"X-Clinic":"{{clinic_key}}"}}})");
  auto p = tools({"plan", "--definitions", dir});
  EXPECT_EQ(p.code, 10) << p;
  EXPECT_TRUE(p.mentions("{{clinic_key}} has no value")) << p;
  EXPECT_TRUE(p.mentions("tools.values.clinic_key")) << p;
  EXPECT_TRUE(p.mentions("line 2")) << p;
  write_config("https://api.clinic.test", "      values: {clinic_key: env:TEST_CLINIC_KEY}\n");
  cli.env["TEST_CLINIC_KEY"] = "ck_secret_value_42";
  auto ok = tools({"plan", "--definitions", dir});
  EXPECT_EQ(ok.code, 0) << ok;
  EXPECT_FALSE(ok.mentions("ck_secret_value_42")) << "a secret placeholder value was printed";

  // No Vapi key in the profile: a configuration error, nothing sent.
  cli.env.erase("TEST_VAPI_KEY");
  auto nokey = tools({"sync"});
  EXPECT_EQ(nokey.code, 10) << nokey;
  auto both = tools({"--tenant", a, "sync", "--all-tenants"});
  EXPECT_EQ(both.code, 2) << both;
  EXPECT_EQ(sim->requests("GET", "/tool").size() + sim->requests("POST", "/tool").size(), 1u)
      << "only the good plan read Vapi";
}

TEST_F(ToolsTest, ClientPagesThroughListsAndTheSimulatorRefusesAModelWithoutProvider) {
  for (int i = 0; i < 7; ++i)
    sim->plant_vapi_tool({{"type", "function"}, {"function", {{"name", "t" + std::to_string(i)}}}});
  auto raw = http::make_curl_client();
  providers::vapi::Account acc{sim->url(), k_key, 3};
  auto list = providers::vapi::list_tools(*raw, acc);
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->size(), 8u);
  std::set<std::string> ids;
  for (const auto& t : *list)
    ids.insert(t.id);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_GE(sim->requests("GET", "/tool").size(), 3u);
  for (const auto& q : sim->requests("GET", "/tool"))
    EXPECT_NE(q["query"].get<std::string>().find("limit=3"), std::string::npos);

  auto assistants = providers::vapi::list_assistants(*raw, acc);
  ASSERT_TRUE(assistants);
  EXPECT_EQ(assistants->size(), 3u);
  // Vapi refuses a model without provider/model; the client refuses to send one.
  auto r = raw->send({"PATCH",
                      sim->url() + "/assistant/" + a1,
                      {{"Authorization", "Bearer " + k_key}, {"Content-Type", "application/json"}},
                      json{{"model", {{"toolIds", json::array()}}}}.dump(),
                      std::chrono::milliseconds(5000)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  auto refused = providers::vapi::update_assistant_model(*raw, acc, a1, {{"toolIds", json::array()}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::usage);
  EXPECT_EQ(tool_ids(a1), std::vector<std::string>{foreign});
}

} // namespace
