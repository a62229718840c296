// Running `tools plan | sync | verify | prune` with a FakeHttp (every request must have a stub, and
// every stub must be used) against the suite's own migrated database.
#include "cmd_harness.hpp"

using namespace crm;
using nlohmann::json;

namespace {

http::Response answer(int status, const json& body) {
  return {status, {{"content-type", "application/json"}}, body.dump()};
}

json vapi_tool(const std::string& id, const std::string& name) {
  return {{"id", id},
          {"orgId", "org"},
          {"createdAt", "2026-11-22T00:00:00.000Z"},
          {"updatedAt", "2026-11-22T00:00:00.000Z"},
          {"type", "function"},
          {"function", {{"name", name}}}};
}

class RunTools : public test::OwnDbTest {
protected:
  void SetUp() override {
    OwnDbTest::SetUp();
    slug = make_tenant("Tools Cmd");
    ASSERT_FALSE(slug.empty());
    cli.env["TEST_VAPI_KEY"] = "vapi_cmd_key_123456";
    cli.env["CRMCTL_CONFIG"] = cli.home.write(
        "config.yaml", "default_profile: p\nprofiles:\n  p:\n    providers:\n      vapi: {base_url: "
                       "https://vapi.test/, private_key: env:TEST_VAPI_KEY}\n    tools:\n"
                       "      backend_url: https://api.clinic.test/\n");
  }
  std::string slug;
};

TEST_F(RunTools, SyncRegistersEachToolOnceAndADryRunOnlyReads) {
  cli.http.on("GET", "https://vapi.test/tool?limit=1000", answer(200, json::array()));
  auto dry = run({"--tenant", slug, "--dry-run", "tools", "sync"});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["counts"]["tools_to_register"], 5);
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_EQ(count("SELECT count(*) FROM public.tools"), 0);

  cli.http.on("GET", "https://vapi.test/tool?limit=1000", answer(200, json::array()));
  int n = 0;
  for (const char* name : {"bookClinicAppointment", "checkAvailability", "getKnowledgeBase",
                           "lookupCaller", "transferCall"})
    cli.http.on("POST", "https://vapi.test/tool",
                answer(201, vapi_tool("tool_" + std::to_string(++n), name)));
  auto r = run({"--tenant", slug, "tools", "sync"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(count("SELECT count(*) FROM public.tools WHERE provider_tool_id LIKE 'tool_%'"), 5);
  for (const auto& req : cli.http.requests) {
    EXPECT_EQ(req.headers.at("Authorization"), "Bearer vapi_cmd_key_123456");
    if (req.method != "POST") continue;
    auto body = json::parse(req.body);
    EXPECT_EQ(body["server"]["url"].get<std::string>().rfind("https://api.clinic.test/api/", 0),
              0u)
        << req.body;
    EXPECT_EQ(req.retry_safety, http::RetrySafety::unsafe);
  }
  EXPECT_FALSE(r.mentions("vapi_cmd_key_123456"));
}

TEST_F(RunTools, RefusedBeforeAnyRequestWithoutKeyReadOnlyOrBothTargets) {
  auto ro = run({"--read-only", "--tenant", slug, "tools", "sync"});
  EXPECT_EQ(ro.code, 4) << ro;
  auto both = run({"--tenant", slug, "tools", "plan", "--all-tenants"});
  EXPECT_EQ(both.code, 2) << both;
  cli.env.erase("TEST_VAPI_KEY");
  auto nokey = run({"--tenant", slug, "tools", "plan"});
  EXPECT_EQ(nokey.code, 10) << nokey;
  EXPECT_TRUE(nokey.mentions("providers.vapi.private_key")) << nokey;
  auto missing = run({"--tenant", slug, "tools", "verify", "--definitions", "/nonexistent"});
  EXPECT_EQ(missing.code, 2) << missing;
  EXPECT_TRUE(cli.http.requests.empty());
}

} // namespace
