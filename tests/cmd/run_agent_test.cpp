// Running `agent create | list | show | disable | enable` against the suite's migrated database:
// the real roles and RLS, the global agent_routes table, row and schema tenants.
#include "cmd_harness.hpp"
#include "core/crypto.hpp"

#include <thread>

using namespace crm;

class RunAgent : public test::DbTest {
protected:
  void SetUp() override {
    DbTest::SetUp();
    slug = make_tenant("Agent Clinic");
    ASSERT_FALSE(slug.empty());
  }
  test::CliRun in_tenant(const std::string& t, std::vector<std::string> args) {
    args.insert(args.begin(), {"--tenant", t});
    return run(args);
  }
  test::CliRun create(const std::string& provider, const std::string& external_id,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"agent",  "create",        "--provider",
                                     provider, "--external-id", external_id};
    args.insert(args.end(), extra.begin(), extra.end());
    return in_tenant(slug, args);
  }
  long agents(const std::string& t) {
    return count("SELECT count(*) FROM agents WHERE org_id = $1::uuid", {tenant_id(t)});
  }
  long routes(const std::string& t) {
    return count("SELECT count(*) FROM agent_routes WHERE org_id = $1::uuid", {tenant_id(t)});
  }
  /// Rows of any table, in any schema, whose text holds `needle` (superuser: RLS hides nothing).
  long rows_mentioning(const std::string& needle) {
    auto tables =
        m_conn->exec("SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t "
                     "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND "
                     "table_schema NOT IN ('pg_catalog', 'information_schema')");
    EXPECT_TRUE(tables);
    long n = 0;
    for (std::size_t i = 0; tables && i < tables->size(); ++i)
      n += count("SELECT count(*) FROM " + tables->get(i, "t") + " x WHERE strpos(x::text, $1) > 0",
                 {needle});
    return n;
  }
  std::string slug;
};

TEST_F(RunAgent, CreatePrintsTheUrlAndTheSecretOnceAndStoresOnlyItsHash) {
  auto r = create("vapi", "asst_front_1", {"--name", "Front desk"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"id", "tenant", "provider", "external_id", "name", "status", "webhook_url",
                        "has_webhook_secret", "validated_at", "created_at", "created", "dry_run",
                        "webhook_secret"});
  std::string id = j["id"], secret = j["webhook_secret"];
  EXPECT_EQ(j["tenant"], slug);
  EXPECT_EQ(j["provider"], "vapi");
  EXPECT_EQ(j["external_id"], "asst_front_1");
  EXPECT_EQ(j["name"], "Front desk");
  EXPECT_EQ(j["status"], "pending_validation");
  EXPECT_EQ(j["created"], true);
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["has_webhook_secret"], true);
  EXPECT_TRUE(j["validated_at"].is_null());
  EXPECT_TRUE(test::is_rfc3339_utc(j["created_at"])) << j.dump();
  EXPECT_FALSE(j.contains("plan")) << j.dump();
  // No webhook_base_url in the (absent) profile: the path, and a notice saying what to set.
  EXPECT_EQ(j["webhook_url"], "/webhooks/agent/" + id);
  EXPECT_NE(r.err.find("webhook_base_url"), std::string::npos) << r;
  EXPECT_NE(r.err.find("store the webhook secret now"), std::string::npos) << r;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret on stderr";
  EXPECT_EQ(secret.rfind("whk_", 0), 0u) << secret;
  EXPECT_EQ(secret.size(), 4u + 43u) << secret; // base64url of 32 bytes
  // Only the SHA-256 is stored; the secret itself is nowhere in the database.
  EXPECT_EQ(scalar("SELECT webhook_token_hash FROM agents WHERE id = $1::uuid", {id}),
            crypto::hex(crypto::sha256(secret)));
  EXPECT_EQ(rows_mentioning(secret), 0);
  EXPECT_EQ(rows_mentioning(secret.substr(4)), 0);
  // The route and the tenant row committed together, with an audit row.
  EXPECT_EQ(scalar("SELECT org_id::text || ' ' || agent_id::text FROM agent_routes WHERE "
                   "provider = 'vapi' AND external_id = 'asst_front_1'"),
            tenant_id(slug) + " " + id);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'agent.create' AND target = "
                  "$1 AND org_id = $2::uuid AND outcome = 'ok'",
                  {"agents/" + id, tenant_id(slug)}),
            1);
  EXPECT_EQ(agents(slug), 1);
}

TEST_F(RunAgent, WebhookUrlUsesTheProfileBaseUrl) {
  cli.env["CRMCTL_CONFIG"] =
      cli.home.write("config.yaml", "default_profile: p\nprofiles:\n  p:\n    webhook_base_url: "
                                    "https://hooks.example.com/\n");
  auto r = create("elevenlabs", "agent_el_1");
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["name"], "agent_el_1"); // the name defaults to the external id
  EXPECT_EQ(j["webhook_url"],
            "https://hooks.example.com/webhooks/agent/" + j["id"].get<std::string>());
  EXPECT_EQ(r.err.find("webhook_base_url"), std::string::npos) << r;
  auto show = in_tenant(slug, {"agent", "show", "agent_el_1"});
  ASSERT_EQ(show.code, 0) << show;
  EXPECT_EQ(show.json()["webhook_url"], j["webhook_url"]);
}

TEST_F(RunAgent, CreatingAgainIsIdempotentAndAnotherNameIsAConflict) {
  auto first = create("retell", "agent_9f2", {"--name", "Night line"});
  ASSERT_EQ(first.code, 0) << first;
  std::string id = first.json()["id"];
  auto before = snapshot();
  auto again = create("retell", "agent_9f2", {"--name", "Night line"});
  ASSERT_EQ(again.code, 0) << again;
  auto j = again.json();
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["created"], false);
  EXPECT_FALSE(j.contains("webhook_secret")) << "a second secret for the same agent";
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());

  auto renamed = create("retell", "agent_9f2", {"--name", "Day line"});
  EXPECT_EQ(renamed.code, 4) << renamed;
  EXPECT_EQ(renamed.error_json()["kind"], "conflict");
  EXPECT_NE(renamed.err.find("Night line"), std::string::npos) << renamed;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  // The same external id at another provider is another agent.
  auto other = create("vapi", "agent_9f2");
  ASSERT_EQ(other.code, 0) << other;
  EXPECT_NE(other.json()["id"], id);
  EXPECT_EQ(agents(slug), 2);
}

TEST_F(RunAgent, AnIdRegisteredToAnotherTenantIsAConflictNamingNoOne) {
  auto mine = create("vapi", "asst_shared_7", {"--name", "Mine"});
  ASSERT_EQ(mine.code, 0) << mine;
  auto rival = make_tenant("Agent Rival");
  auto before = snapshot();
  for (const char* name : {"Mine", "Theirs"}) {
    auto r = in_tenant(rival, {"agent", "create", "--provider", "vapi", "--external-id",
                               "asst_shared_7", "--name", name});
    EXPECT_EQ(r.code, 4) << r;
    EXPECT_EQ(r.error_json()["kind"], "conflict");
    EXPECT_NE(r.err.find("registered to another tenant"), std::string::npos) << r;
    for (const auto& leak : {slug, tenant_id(slug), mine.json()["id"].get<std::string>()})
      EXPECT_EQ(r.err.find(leak), std::string::npos) << "names the owner: " << r;
    EXPECT_TRUE(r.out.empty()) << r;
  }
  // The dry run reports the same conflict.
  auto dry = in_tenant(rival, {"--dry-run", "agent", "create", "--provider", "vapi",
                               "--external-id", "asst_shared_7"});
  EXPECT_EQ(dry.code, 4) << dry;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(agents(rival), 0);
  EXPECT_EQ(routes(rival), 0);
}

TEST_F(RunAgent, HostileIdsAndNamesAreStoredAsData) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x');DROP_TABLE_agents;--", "Robert'); DROP TABLE agents; --"},
      {"it's\"quoted\"", "\"double\" and 'single'"},
      {"агент_1", "Агент Ω"},
      {"🦷_tooth", "Dr. 🦷 Smile"},
      {"%_\\*$1", "100% \\ $1 ${x}"},
      {std::string(200, 'a'), std::string(200, 'n')},
  };
  for (const auto& [ext, name] : cases) {
    auto r = create("vapi", ext, {"--name", name});
    ASSERT_EQ(r.code, 0) << ext << "\n" << r;
    EXPECT_EQ(r.json()["external_id"], ext);
    EXPECT_EQ(r.json()["name"], name);
    auto show = in_tenant(slug, {"agent", "show", ext});
    ASSERT_EQ(show.code, 0) << ext << "\n" << show;
    EXPECT_EQ(show.json()["name"], name);
    EXPECT_EQ(show.json()["id"], r.json()["id"]);
    EXPECT_EQ(count("SELECT count(*) FROM agent_routes WHERE external_id = $1", {ext}), 1);
  }
  EXPECT_EQ(agents(slug), static_cast<long>(cases.size()));
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = "
                  "'agents'"),
            1);
  EXPECT_EQ(in_tenant(slug, {"agent", "list"}).json().size(), cases.size());
}

TEST_F(RunAgent, ControlCharactersInvalidUtf8AndWhitespaceAreRefusedWithNothingWritten) {
  auto before = snapshot();
  const std::vector<std::string> bad_ids = {std::string("a\0b", 3),
                                            "a\x01z",
                                            "esc\x1b[31m",
                                            "\xff\xfe",
                                            "\xc0\xaf",
                                            "tab\there",
                                            "new\nline",
                                            "a b",
                                            "nbsp\xc2\xa0x",
                                            "bidi\xe2\x80\xae",
                                            "",
                                            std::string(201, 'x')};
  for (const auto& ext : bad_ids) {
    auto r = create("vapi", ext);
    EXPECT_EQ(r.code, 2) << "external id of " << ext.size() << " bytes\n" << r;
    EXPECT_TRUE(r.out.empty()) << r;
    EXPECT_EQ(r.error_json()["kind"], "usage") << r;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "raw escape on stderr";
  }
  for (const auto& name : {std::string("a\0b", 3), std::string("bell\x07"), std::string("\xff"),
                           std::string("rtl\xe2\x80\xae"), std::string("two\nlines"),
                           std::string(201, 'n'), std::string("   ")}) {
    auto r = create("vapi", "asst_ok", {"--name", name});
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_TRUE(r.out.empty()) << r;
  }
  // The lookups refuse the same input (exit 2, not a database error).
  EXPECT_EQ(in_tenant(slug, {"agent", "show", "a\x01z"}).code, 2);
  EXPECT_EQ(in_tenant(slug, {"agent", "show", "\xff"}).code, 2);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunAgent, DryRunShowsThePlanAndWritesNothing) {
  auto before = snapshot();
  auto r = create("vapi", "asst_dry", {"--dry-run"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["created"], false);
  EXPECT_TRUE(j["id"].is_null());
  EXPECT_TRUE(j["webhook_url"].is_null());
  EXPECT_FALSE(j.contains("webhook_secret")) << j.dump();
  ASSERT_TRUE(j["plan"].is_array());
  EXPECT_GE(j["plan"].size(), 3u);
  EXPECT_NE(j["plan"].dump().find("agent_routes"), std::string::npos) << j.dump();
  EXPECT_EQ(r.err.find("already exists"), std::string::npos) << r;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  EXPECT_EQ(in_tenant(slug, {"agent", "list"}).json().size(), 0u);
}

TEST_F(RunAgent, ListShowDisableEnable) {
  auto a = create("vapi", "asst_a");
  auto b = create("elevenlabs", "agent_b", {"--name", "B"});
  ASSERT_EQ(a.code, 0) << a;
  ASSERT_EQ(b.code, 0) << b;
  std::string id_a = a.json()["id"], id_b = b.json()["id"];

  auto list = in_tenant(slug, {"agent", "list"});
  ASSERT_EQ(list.code, 0) << list;
  auto l = list.json();
  ASSERT_TRUE(l.is_array());
  ASSERT_EQ(l.size(), 2u) << l.dump();
  for (const auto& x : l) {
    test::expect_keys(x, {"id", "provider", "external_id", "name", "status", "webhook_url",
                          "has_webhook_secret", "validated_at", "created_at"});
    EXPECT_FALSE(x.contains("webhook_secret"));
  }
  EXPECT_FALSE(list.mentions(a.json()["webhook_secret"].get<std::string>()));
  auto vapi = in_tenant(slug, {"agent", "list", "--provider", "vapi"}).json();
  ASSERT_EQ(vapi.size(), 1u);
  EXPECT_EQ(vapi[0]["id"], id_a);

  // show by our UUID (any case) or by the provider's id
  auto by_id = in_tenant(slug, {"agent", "show", id_b});
  ASSERT_EQ(by_id.code, 0) << by_id;
  test::expect_keys(by_id.json(), {"id", "tenant", "provider", "external_id", "name", "status",
                                   "webhook_url", "validated_at", "created_at"});
  EXPECT_EQ(by_id.json()["external_id"], "agent_b");
  std::string upper = id_b;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_EQ(in_tenant(slug, {"agent", "show", upper}).json()["id"], id_b);
  EXPECT_EQ(in_tenant(slug, {"agent", "show", "asst_a"}).json()["id"], id_a);
  auto missing = in_tenant(slug, {"agent", "show", "asst_nope"});
  EXPECT_EQ(missing.code, 3) << missing;
  EXPECT_EQ(missing.error_json()["kind"], "not_found");
  EXPECT_NE(missing.err.find("asst_nope"), std::string::npos) << missing;
  EXPECT_NE(missing.err.find("crmctl agent list --tenant " + slug), std::string::npos) << missing;

  // disable: destructive, so confirmed; --dry-run writes nothing; twice is a no-op
  auto unconfirmed = in_tenant(slug, {"agent", "disable", "asst_a"});
  EXPECT_EQ(unconfirmed.code, 2) << unconfirmed;
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed;
  auto before = snapshot();
  auto dry = in_tenant(slug, {"--dry-run", "agent", "disable", "asst_a"});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_EQ(dry.json()["changed"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  auto off = in_tenant(slug, {"--yes", "agent", "disable", "asst_a"});
  ASSERT_EQ(off.code, 0) << off;
  test::expect_keys(off.json(), {"id", "tenant", "provider", "external_id", "previous_status",
                                 "status", "changed", "dry_run"});
  EXPECT_EQ(off.json()["status"], "disabled");
  EXPECT_EQ(off.json()["previous_status"], "pending_validation");
  EXPECT_EQ(off.json()["changed"], true);
  auto twice = in_tenant(slug, {"--yes", "agent", "disable", id_a});
  ASSERT_EQ(twice.code, 0) << twice;
  EXPECT_EQ(twice.json()["changed"], false);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'agent.disable' AND target = "
                  "$1",
                  {"agents/" + id_a}),
            1);
  auto disabled = in_tenant(slug, {"agent", "list", "--status", "disabled"}).json();
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0]["id"], id_a);
  // The route stays; creating it again is still idempotent and says it is disabled.
  EXPECT_EQ(routes(slug), 2);
  auto recreate = create("vapi", "asst_a");
  ASSERT_EQ(recreate.code, 0) << recreate;
  EXPECT_NE(recreate.err.find("agent enable"), std::string::npos) << recreate;

  // enable: back to pending_validation (never validated)
  auto on = in_tenant(slug, {"agent", "enable", "asst_a"});
  ASSERT_EQ(on.code, 0) << on;
  EXPECT_EQ(on.json()["status"], "pending_validation");
  EXPECT_EQ(on.json()["changed"], true);
  EXPECT_EQ(in_tenant(slug, {"agent", "enable", "asst_a"}).json()["changed"], false);
  EXPECT_EQ(in_tenant(slug, {"--yes", "agent", "disable", "nope"}).code, 3);
}

TEST_F(RunAgent, EnableReturnsAValidatedAgentToActive) {
  auto c = create("retell", "agent_validated");
  ASSERT_EQ(c.code, 0) << c;
  std::string id = c.json()["id"];
  // What the daemon does on the first valid webhook.
  ASSERT_TRUE(m_conn->exec("UPDATE agents SET status = 'active', validated_at = now() WHERE id = "
                           "$1::uuid",
                           {id}));
  ASSERT_EQ(in_tenant(slug, {"--yes", "agent", "disable", id}).code, 0);
  auto on = in_tenant(slug, {"agent", "enable", id});
  ASSERT_EQ(on.code, 0) << on;
  EXPECT_EQ(on.json()["status"], "active");
  EXPECT_TRUE(test::is_rfc3339_utc(in_tenant(slug, {"agent", "show", id}).json()["validated_at"]));
}

TEST_F(RunAgent, AnExternalIdSharedByTwoProvidersNeedsTheProvider) {
  ASSERT_EQ(create("vapi", "same_id").code, 0);
  ASSERT_EQ(create("retell", "same_id").code, 0);
  auto r = in_tenant(slug, {"agent", "show", "same_id"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("--provider"), std::string::npos) << r;
  auto v = in_tenant(slug, {"agent", "show", "same_id", "--provider", "retell"});
  ASSERT_EQ(v.code, 0) << v;
  EXPECT_EQ(v.json()["provider"], "retell");
}

TEST_F(RunAgent, AnotherTenantCannotSeeOrChangeTheAgent) {
  auto c = create("vapi", "asst_private");
  ASSERT_EQ(c.code, 0) << c;
  std::string id = c.json()["id"];
  auto other = make_tenant("Agent Stranger");
  EXPECT_EQ(in_tenant(other, {"agent", "list"}).json().size(), 0u);
  for (const auto& key : {std::string("asst_private"), id}) {
    EXPECT_EQ(in_tenant(other, {"agent", "show", key}).code, 3);
    EXPECT_EQ(in_tenant(other, {"--yes", "agent", "disable", key}).code, 3);
    EXPECT_EQ(in_tenant(other, {"agent", "enable", key}).code, 3);
  }
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE id = $1::uuid", {id}), "pending_validation");
  EXPECT_EQ(run({"--tenant", "no-such-clinic", "agent", "list"}).code, 3);
}

TEST_F(RunAgent, SchemaTenantKeepsItsAgentInItsSchema) {
  auto schema_slug = make_tenant("Agent Schema", {"--isolation", "schema"});
  ASSERT_FALSE(schema_slug.empty());
  std::string org = tenant_id(schema_slug);
  std::string schema = scalar("SELECT schema_name FROM organizations WHERE id = $1::uuid", {org});
  ASSERT_FALSE(schema.empty());
  auto r = in_tenant(schema_slug, {"agent", "create", "--provider", "elevenlabs", "--external-id",
                                   "agent_schema_1", "--name", "Schema desk"});
  ASSERT_EQ(r.code, 0) << r;
  std::string id = r.json()["id"];
  EXPECT_EQ(count("SELECT count(*) FROM " + db::quote_ident(schema) + ".agents WHERE id = $1::uuid",
                  {id}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM public.agents WHERE id = $1::uuid", {id}), 0);
  EXPECT_EQ(scalar("SELECT org_id::text FROM agent_routes WHERE external_id = 'agent_schema_1'"),
            org);
  EXPECT_EQ(in_tenant(schema_slug, {"agent", "list"}).json().size(), 1u);
  EXPECT_EQ(in_tenant(schema_slug, {"agent", "show", "agent_schema_1"}).json()["id"], id);
  EXPECT_EQ(in_tenant(schema_slug, {"--yes", "agent", "disable", id}).json()["status"], "disabled");
  // A row tenant does not see it, and cannot take its id.
  EXPECT_EQ(in_tenant(slug, {"agent", "show", "agent_schema_1"}).code, 3);
  EXPECT_EQ(create("elevenlabs", "agent_schema_1").code, 4);
  // The same id again in the schema tenant is idempotent.
  auto again = in_tenant(schema_slug, {"agent", "create", "--provider", "elevenlabs",
                                       "--external-id", "agent_schema_1", "--name", "Schema desk"});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["created"], false);
}

TEST_F(RunAgent, SuspendedTenantIsRefused) {
  ASSERT_EQ(run({"--yes", "tenant", "suspend", slug}).code, 0);
  auto before = snapshot();
  auto r = create("vapi", "asst_suspended");
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunAgent, ConcurrentRegistrationsOfOneIdLeaveOneOwner) {
  auto rival = make_tenant("Agent Race");
  for (int round = 0; round < 5; ++round) {
    std::string ext = "asst_race_" + std::to_string(round);
    test::CliRun a, b;
    test::Cli cli_a, cli_b;
    auto go = [&](test::Cli& c, const std::string& t, test::CliRun& out) {
      out = c({"--db", s_db->url(), "-o", "json", "--tenant", t, "agent", "create", "--provider",
               "vapi", "--external-id", ext});
    };
    std::thread ta(go, std::ref(cli_a), slug, std::ref(a));
    std::thread tb(go, std::ref(cli_b), rival, std::ref(b));
    ta.join();
    tb.join();
    // Exactly one wins; the other is a conflict, never a database error.
    EXPECT_EQ((a.code == 0) + (b.code == 0), 1) << a << b;
    EXPECT_EQ((a.code == 4) + (b.code == 4), 1) << a << b;
    EXPECT_EQ(count("SELECT count(*) FROM agent_routes WHERE external_id = $1", {ext}), 1);
    EXPECT_EQ(count("SELECT count(*) FROM agents WHERE external_id = $1", {ext}), 1);
    EXPECT_EQ(scalar("SELECT org_id::text FROM agent_routes WHERE external_id = $1", {ext}),
              tenant_id(a.code == 0 ? slug : rival));
  }
}
