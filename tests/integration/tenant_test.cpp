// Tenant provisioning, users, API keys and the vault against a real PostgreSQL with the canonical
// schema, roles and RLS policies.
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "migrate/migrate.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"
#include "tenant/tenant.hpp"
#include "tenant/users.hpp"
#include "tenant/vault.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace crm;
namespace fs = std::filesystem;

namespace {

class TenantTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto s = migrate::load_migrations(std::string(CRM_SOURCE_DIR) + "/templates/migrations");
    ASSERT_TRUE(s) << s.error().message;
    set = *s;
    std::atomic<bool> stop{false};
    auto rep = migrate::up(
        set, {}, [this] { return db::Connection::open(db.url()); }, clock, {}, stop);
    ASSERT_TRUE(rep && rep->failed_count() == 0);
    c = db.connect();
    auto t = tenant::load_template(std::string(CRM_SOURCE_DIR) + "/templates/tenant/default.yaml");
    ASSERT_TRUE(t) << t.error().message;
    tmpl = *t;
  }
  tenant::CreateSpec spec(const std::string& name, db::Isolation iso = db::Isolation::row) {
    tenant::CreateSpec s;
    s.name = name;
    s.isolation = iso;
    s.timezone = "Europe/London";
    s.admin_email = "owner@" + slugify(name).substr(0, 20) + ".example";
    s.cogs_per_minute = *Decimal::parse("0.07");
    s.markup = *Decimal::parse("2");
    s.free_minutes = 100;
    s.tmpl = tmpl;
    return s;
  }
  tenant::TenantRef create(const tenant::CreateSpec& s) {
    auto r = tenant::create(*c, s, set, tenancy, actor, false);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    auto t = tenant::resolve(*c, r ? r->org_id : "missing");
    EXPECT_TRUE(t);
    return t ? *t : tenant::TenantRef{};
  }
  long count(const std::string& sql, const db::Params& p = {}) {
    auto r = c->exec(sql, p);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::stol(r->get(0, r->columns[0])) : -1;
  }
  // Every tenant table's row count as the application role scoped to `t`.
  std::map<std::string, long> app_counts(const tenant::TenantRef& t) {
    std::map<std::string, long> out;
    auto tables =
        *tenant::tenant_tables(*c, t.isolation == db::Isolation::schema ? t.schema : "public");
    auto tx = c->tenant(tenant::scope_of(t, tenancy));
    EXPECT_TRUE(tx);
    for (const auto& tb : tables) {
      auto r = (*tx)->exec("SELECT count(*) AS n FROM " + db::quote_ident(tb));
      EXPECT_TRUE(r) << tb;
      out[tb] = r ? std::stol(r->get(0, "n")) : -1;
    }
    return out;
  }
  Result<tenant::CreateResult> try_create(const tenant::CreateSpec& s) {
    return tenant::create(*c, s, set, tenancy, actor, false);
  }
  test::TempDatabase db;
  test::FakeClock clock;
  migrate::MigrationSet set;
  std::unique_ptr<db::Connection> c;
  tenant::Template tmpl;
  tenant::Tenancy tenancy;
  tenant::Actor actor{"test"};
};

MasterKey key_of(char fill) {
  return *master_key_from_base64(crypto::base64_encode(std::string(32, fill)), "test");
}

} // namespace

TEST_F(TenantTest, CreatesEverythingInOneStepForBothIsolations) {
  auto spec_row = spec("Serenity MedSpa");
  auto row = create(spec_row);
  EXPECT_EQ(row.slug, "serenity-medspa");
  auto counts = app_counts(row);
  EXPECT_EQ(counts["services"], 7);
  EXPECT_EQ(counts["credit_accounts"], 1);
  EXPECT_EQ(counts["memberships"], 1);
  EXPECT_EQ(
      count("SELECT count(*) FROM organizations WHERE id = $1::uuid AND rate_per_minute = 0.14 AND "
            "free_minutes = 100 AND modules ? 'voice_agent'",
            {row.id}),
      1);
  EXPECT_EQ(count("SELECT count(*) FROM services WHERE org_id = $1::uuid AND name = 'Botox' AND "
                  "price = 400.00 "
                  "AND 'wrinkle' = ANY(keywords)",
                  {row.id}),
            1);
  EXPECT_EQ(
      count(
          "SELECT count(*) FROM audit_events WHERE org_id = $1::uuid AND action = 'tenant.create'",
          {row.id}),
      1);

  auto sch = create(spec("Acme Dental", db::Isolation::schema));
  ASSERT_EQ(sch.isolation, db::Isolation::schema);
  EXPECT_EQ(sch.schema.rfind("org_", 0), 0u);
  auto sc = app_counts(sch);
  EXPECT_EQ(sc["services"], 7);
  EXPECT_EQ(sc["memberships"], 1);
  // The new schema is at the current tenant version, recorded per version, and keeps RLS.
  EXPECT_EQ(count("SELECT count(*) FROM crm.schema_migrations WHERE schema_name = $1 AND status = "
                  "'applied'",
                  {sch.schema}),
            static_cast<long>(set.tenant.size()));
  EXPECT_EQ(count("SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
                  "WHERE n.nspname = $1 "
                  "AND t.relkind = 'r' AND NOT (t.relrowsecurity AND t.relforcerowsecurity)",
                  {sch.schema}),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = "
                  "'calls_org_started'",
                  {sch.schema}),
            1);
  auto st = migrate::status(*c, set);
  EXPECT_EQ(st->tenant_behind, 0u);
  // The schema tenant's rows are in its schema, not in the shared tables.
  EXPECT_EQ(count("SELECT count(*) FROM public.services WHERE org_id = $1::uuid", {sch.id}), 0);
}

TEST_F(TenantTest, NamesAreDataNeverSql) {
  for (std::string name :
       {std::string("O'Brien \"Dental\" & Sons"), std::string("Café 🦷 Zürich"),
        std::string("x'); DROP TABLE organizations; --")}) {
    auto s = spec(name);
    s.slug = "";
    if (slugify(name).empty()) s.slug = "emoji-clinic";
    auto t = create(s);
    EXPECT_EQ(t.name, name);
  }
  EXPECT_EQ(count("SELECT count(*) FROM organizations"), 3);
  auto emoji = spec("🦷🦷🦷");
  auto r = try_create(emoji);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_NE(r.error().message.find("--slug"), std::string::npos);
}

TEST_F(TenantTest, BadInputIsRefusedAndWritesNothing) {
  long orgs = count("SELECT count(*) FROM organizations"),
       users = count("SELECT count(*) FROM users");
  auto expect_usage = [&](tenant::CreateSpec s, const std::string& needle) {
    auto r = try_create(s);
    ASSERT_FALSE(r) << needle;
    EXPECT_EQ(r.error().kind, ErrorKind::usage) << r.error().message;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  };
  expect_usage(spec(std::string(300, 'a')), "300 characters");
  auto tz = spec("Tz Clinic");
  tz.timezone = "Mars/Olympus";
  expect_usage(tz, "Mars/Olympus");
  auto cur = spec("Cur Clinic");
  cur.currency = "XYZ";
  expect_usage(cur, "XYZ");
  auto low = spec("Cur2 Clinic");
  low.currency = "usd";
  expect_usage(low, "usd");
  auto mail = spec("Mail Clinic");
  mail.admin_email = "owner@@example";
  expect_usage(mail, "owner@@example");
  auto slug = spec("Slug Clinic");
  slug.slug = "Bad Slug!";
  expect_usage(slug, "Bad Slug!");
  auto both = spec("Both Clinic");
  both.rate_per_minute = *Decimal::parse("0.2");
  expect_usage(both, "not both");
  auto neg = spec("Neg Clinic");
  neg.cogs_per_minute = *Decimal::parse("-0.01");
  expect_usage(neg, "--cogs-per-minute must not be negative");
  auto nl = spec("Line\nBreak");
  expect_usage(nl, "control character");
  EXPECT_EQ(count("SELECT count(*) FROM organizations"), orgs);
  EXPECT_EQ(count("SELECT count(*) FROM users"), users);
}

TEST_F(TenantTest, DuplicateSlugIsAConflictUnlessIdenticalAndIfNotExists) {
  auto s = spec("Serenity MedSpa");
  auto first = create(s);
  auto again = try_create(s);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_NE(again.error().message.find("--if-not-exists"), std::string::npos);
  s.if_not_exists = true;
  auto same = try_create(s);
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->created);
  EXPECT_EQ(same->org_id, first.id);
  s.timezone = "Europe/Paris";
  auto diff = try_create(s);
  ASSERT_FALSE(diff);
  EXPECT_EQ(diff.error().kind, ErrorKind::conflict);
  EXPECT_NE(diff.error().message.find("timezone"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM organizations"), 1);
}

TEST_F(TenantTest, DryRunWritesNothing) {
  auto r = tenant::create(*c, spec("Dry Clinic", db::Isolation::schema), set, tenancy, actor, true);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->dry_run);
  EXPECT_GE(r->steps.size(), 5u);
  EXPECT_EQ(count("SELECT count(*) FROM organizations"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'org\\_%'"), 0);
}

TEST_F(TenantTest, FailureMidwayLeavesNothing) {
  // A service template that violates a constraint only at insert time (duplicate names differ in
  // case-sensitive parse but collide in the table's unique key is impossible, so force one):
  auto s = spec("Half Clinic", db::Isolation::schema);
  s.tmpl.services.push_back(s.tmpl.services.front()); // duplicate name → unique violation on insert
  auto r = try_create(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(count("SELECT count(*) FROM organizations"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM users"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'org\\_%'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM crm.schema_migrations WHERE schema_name LIKE 'org\\_%'"),
            0);
}

TEST_F(TenantTest, AdminPasswordIsBcrypt2b) {
  auto s = spec("Pw Clinic");
  s.admin_password = "correct horse battery";
  create(s);
  auto h = c->exec("SELECT password_hash FROM users WHERE email = $1", {s.admin_email});
  ASSERT_TRUE(h && !h->empty());
  std::string hash = h->get(0, "password_hash");
  EXPECT_EQ(hash.rfind("$2b$12$", 0), 0u);
  EXPECT_TRUE(crypto::bcrypt_verify("correct horse battery", hash));
}

TEST_F(TenantTest, SuspendedTenantIsRefused) {
  auto t = create(spec("Sleepy Clinic"));
  ASSERT_TRUE(tenant::set_status(*c, t, "suspended", actor, false));
  t = *tenant::resolve(*c, t.slug);
  auto r = tenant::create_user(*c, t, tenancy, {"x@sleepy.example", "", "viewer", std::nullopt},
                               actor, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("tenant resume"), std::string::npos);
  EXPECT_FALSE(tenant::list_api_keys(*c, t, tenancy, clock.now()));
  ASSERT_TRUE(tenant::set_status(*c, t, "active", actor, false));
  t = *tenant::resolve(*c, t.slug);
  EXPECT_TRUE(tenant::create_user(*c, t, tenancy, {"x@sleepy.example", "", "viewer", std::nullopt},
                                  actor, false));
}

TEST_F(TenantTest, UsersMembershipsAndCsvImport) {
  auto t = create(spec("Users Clinic"));
  auto u = tenant::create_user(*c, t, tenancy,
                               {"Ana@Users.example", "Ana", "manager", std::string("pw-123456")},
                               actor, false);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ((*u)["email"], "ana@users.example");
  auto same = tenant::create_user(*c, t, tenancy,
                                  {"ana@users.example", "", "manager", std::nullopt}, actor, false);
  ASSERT_TRUE(same);
  EXPECT_FALSE((*same)["created"].get<bool>());
  auto other = tenant::create_user(*c, t, tenancy,
                                   {"ana@users.example", "", "viewer", std::nullopt}, actor, false);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::conflict);
  EXPECT_FALSE(
      tenant::create_user(*c, t, tenancy, {"ana", "", "viewer", std::nullopt}, actor, false));
  EXPECT_FALSE(tenant::create_user(*c, t, tenancy, {"b@users.example", "", "wizard", std::nullopt},
                                   actor, false));

  long members = app_counts(t)["memberships"];
  auto bad = tenant::parse_users_csv(
      "email,name,role\nbob@users.example,Bob,employee\nnot-an-email,X,viewer\n"
      "\"carol@users.example\",\"Carol, Jr.\",viewer\n");
  ASSERT_TRUE(bad);
  auto res = tenant::import_users(*c, t, tenancy, *bad, actor, false);
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[1].result, "error");
  EXPECT_EQ((*res)[1].line, 3u);
  EXPECT_EQ((*res)[0].result, "not_imported");
  EXPECT_EQ(app_counts(t)["memberships"], members);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email = 'bob@users.example'"), 0);

  auto good = tenant::parse_users_csv("email,name,role\r\nbob@users.example,Bob,employee\r\n"
                                      "\"carol@users.example\",\"Carol, Jr.\",viewer\r\n");
  auto ok = tenant::import_users(*c, t, tenancy, *good, actor, false);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].result, "created");
  EXPECT_EQ((*ok)[1].name, "Carol, Jr.");
  EXPECT_EQ(app_counts(t)["memberships"], members + 2);
  auto again = tenant::import_users(*c, t, tenancy, *good, actor, false);
  EXPECT_EQ((*again)[0].result, "exists");
  ASSERT_TRUE(tenant::disable_user(*c, t, tenancy, "bob@users.example", actor, false));
  auto list = tenant::list_users(*c, t, tenancy);
  ASSERT_TRUE(list);
  int disabled = 0;
  for (const auto& x : *list)
    disabled += x["status"] == "disabled";
  EXPECT_EQ(disabled, 1);
}

TEST_F(TenantTest, ApiKeysShowSecretOnceAndStoreOnlyAHash) {
  auto t = create(spec("Keys Clinic"));
  tenant::ApiKeySpec s{"zapier", {"calls:read", "contacts:read"}, std::chrono::hours(24 * 90)};
  auto k = tenant::create_api_key(*c, t, tenancy, s, clock.now(), actor, false);
  ASSERT_TRUE(k) << k.error().message;
  std::string secret = (*k)["secret"];
  EXPECT_EQ(secret.rfind("crm_" + (*k)["prefix"].get<std::string>() + "_", 0), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM api_keys WHERE key_hash = $1",
                  {crypto::hex(crypto::sha256(secret))}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM api_keys WHERE key_hash = $1 OR prefix = $1", {secret}), 0);
  auto list = tenant::list_api_keys(*c, t, tenancy, clock.now());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].contains("secret"));
  EXPECT_EQ((*list)[0]["status"], "active");
  EXPECT_EQ((*tenant::list_api_keys(*c, t, tenancy,
                                    clock.now() + std::chrono::hours(24 * 91)))[0]["status"],
            "expired");
  ASSERT_TRUE(tenant::revoke_api_key(*c, t, tenancy, (*k)["prefix"], actor, false));
  EXPECT_EQ((*tenant::list_api_keys(*c, t, tenancy, clock.now()))[0]["status"], "revoked");
  EXPECT_FALSE(tenant::create_api_key(*c, t, tenancy, {"x", {"root"}, std::nullopt}, clock.now(),
                                      actor, false));
  auto missing = tenant::revoke_api_key(*c, t, tenancy, "nope", actor, false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_F(TenantTest, VaultEncryptsMasksAndRefusesTheWrongKey) {
  auto t = create(spec("Vault Clinic", db::Isolation::schema));
  auto k1 = key_of('a'), k2 = key_of('b');
  tenant::Values v{{"account_sid", "AC0123456789abcdef0123456789abcdef"},
                   {"auth_token", "supersecrettoken42"}};
  auto r = tenant::set_credentials(*c, t, tenancy, "twilio", v, k1, actor, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->dump().find("supersecrettoken42"), std::string::npos);
  // Nothing in the database holds the plaintext.
  EXPECT_EQ(count("SELECT count(*) FROM " + tenant::table_of(t, "org_credentials") +
                  " WHERE position(convert_to('supersecrettoken42', 'UTF8') in ciphertext) > 0 OR "
                  "masked::text LIKE "
                  "'%supersecrettoken42%'"),
            0);
  EXPECT_EQ(
      count("SELECT count(*) FROM audit_events WHERE arguments::text LIKE '%supersecrettoken42%'"),
      0);
  auto back = tenant::load_credentials(*c, t, tenancy, "twilio", k1);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at("auth_token"), "supersecrettoken42");
  // The wrong master key: clear error, nothing overwritten.
  auto wrong = tenant::load_credentials(*c, t, tenancy, "twilio", k2);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::config);
  auto over = tenant::set_credentials(*c, t, tenancy, "twilio", v, k2, actor, false);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ErrorKind::config);
  EXPECT_TRUE(tenant::load_credentials(*c, t, tenancy, "twilio", k1));
  // A tampered row does not decrypt.
  ASSERT_TRUE(c->exec("UPDATE " + tenant::table_of(t, "org_credentials") +
                      " SET ciphertext = overlay(ciphertext placing '\\x00'::bytea from 1 for 1)"));
  EXPECT_FALSE(tenant::load_credentials(*c, t, tenancy, "twilio", k1));
  EXPECT_FALSE(tenant::parse_credential_text("vapi", "api_key=x"));
  EXPECT_FALSE(tenant::parse_credential_text("twilio", "auth_token=x"));
  EXPECT_FALSE(tenant::parse_credential_text("twilio", "account_sid=AC1\nauth_token=t\nextra=1"));
  EXPECT_TRUE(tenant::parse_credential_text("elevenlabs", "{\"api_key\":\"sk_x\"}"));
}

TEST_F(TenantTest, RotateKeyIsAllOrNothingAndRerunnable) {
  auto a = create(spec("Rot A")), b = create(spec("Rot B", db::Isolation::schema));
  auto k1 = key_of('a'), k2 = key_of('b'), k3 = key_of('c');
  tenant::Values el{{"api_key", "sk_elevenlabs_key_0001"}};
  ASSERT_TRUE(tenant::set_credentials(*c, a, tenancy, "elevenlabs", el, k1, actor, false));
  ASSERT_TRUE(tenant::set_credentials(*c, b, tenancy, "elevenlabs", el, k1, actor, false));
  auto r = tenant::rotate_key(*c, k1, k2, actor, false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["rotated"], 2);
  EXPECT_TRUE(tenant::load_credentials(*c, b, tenancy, "elevenlabs", k2));
  EXPECT_FALSE(tenant::load_credentials(*c, b, tenancy, "elevenlabs", k1));
  auto again = tenant::rotate_key(*c, k1, k2, actor, false);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["already_rotated"], 2);
  // A rotation from the wrong current key changes nothing.
  auto bad = tenant::rotate_key(*c, k3, key_of('d'), actor, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::config);
  EXPECT_TRUE(tenant::load_credentials(*c, a, tenancy, "elevenlabs", k2));
}

TEST_F(TenantTest, IsolationEveryTenantCommandForAStaysInA) {
  auto a = create(spec("Alpha Clinic")), b = create(spec("Beta Clinic"));
  auto a2 = create(spec("Gamma Clinic", db::Isolation::schema));
  ASSERT_TRUE(tenant::create_user(*c, b, tenancy, {"b1@beta.example", "", "viewer", std::nullopt},
                                  actor, false));
  ASSERT_TRUE(tenant::create_api_key(*c, b, tenancy, {"b", {"calls:read"}, std::nullopt},
                                     clock.now(), actor, false));
  ASSERT_TRUE(tenant::set_credentials(*c, b, tenancy, "retell", {{"api_key", "key_beta_000001"}},
                                      key_of('k'), actor, false));
  auto before = app_counts(b);
  auto k = key_of('k');
  for (const auto* t : {&a, &a2}) {
    ASSERT_TRUE(tenant::create_user(
        *c, *t, tenancy, {"a1@alpha.example", "", "manager", std::nullopt}, actor, false));
    auto rows = tenant::parse_users_csv("email,name,role\na2@alpha.example,,viewer\n");
    ASSERT_TRUE(tenant::import_users(*c, *t, tenancy, *rows, actor, false));
    ASSERT_TRUE(tenant::disable_user(*c, *t, tenancy, "a2@alpha.example", actor, false));
    auto key = tenant::create_api_key(*c, *t, tenancy, {"a", {"calls:read"}, std::nullopt},
                                      clock.now(), actor, false);
    ASSERT_TRUE(key);
    ASSERT_TRUE(tenant::revoke_api_key(*c, *t, tenancy, (*key)["prefix"], actor, false));
    ASSERT_TRUE(tenant::set_credentials(*c, *t, tenancy, "retell", {{"api_key", "key_alpha_00001"}},
                                        k, actor, false));
    ASSERT_TRUE(tenant::delete_credentials(*c, *t, tenancy, "retell", actor, false));
    // Reads for A see nothing of B.
    auto users = tenant::list_users(*c, *t, tenancy);
    for (const auto& u : *users)
      EXPECT_NE(u["email"], "b1@beta.example");
    EXPECT_EQ(tenant::list_api_keys(*c, *t, tenancy, clock.now())->size(), 1u);
    EXPECT_TRUE(tenant::list_credentials(*c, *t, tenancy)->empty());
    auto shown = tenant::show(*c, *t, tenancy);
    EXPECT_EQ((*shown)["counts"]["users"], 2); // the admin and a1 (a2 is disabled)
    fs::path out = fs::temp_directory_path() / ("crmctl-export-" + uuid_v4());
    auto m = tenant::export_to(*c, *t, tenancy, out.string(), clock.now(), actor);
    ASSERT_TRUE(m) << m.error().message;
    for (const auto& e : fs::directory_iterator(out)) {
      std::ifstream f(e.path());
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      EXPECT_EQ(text.find(b.id), std::string::npos) << e.path();
      EXPECT_EQ(text.find("key_beta"), std::string::npos) << e.path();
    }
    fs::remove_all(out);
  }
  EXPECT_EQ(app_counts(b), before);
  auto b_keys = tenant::list_api_keys(*c, b, tenancy, clock.now());
  EXPECT_EQ((*b_keys)[0]["status"], "active");
  EXPECT_TRUE(tenant::load_credentials(*c, b, tenancy, "retell", k));
}

TEST_F(TenantTest, ExportWritesJsonlAndManifest) {
  auto t = create(spec("Export Clinic", db::Isolation::schema));
  fs::path out = fs::temp_directory_path() / ("crmctl-export-" + uuid_v4());
  auto m = tenant::export_to(*c, t, tenancy, out.string(), clock.now(), actor);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)["tenant"]["id"], t.id);
  EXPECT_EQ((*m)["schema_version"], set.tenant.back().version);
  bool saw_services = false;
  for (const auto& tb : (*m)["tables"]) {
    EXPECT_TRUE(fs::exists(out / tb["file"].get<std::string>()));
    if (tb["table"] == "services") {
      saw_services = true;
      EXPECT_EQ(tb["rows"], 7);
      std::ifstream f(out / "services.jsonl");
      std::string line;
      std::getline(f, line);
      EXPECT_EQ(nlohmann::json::parse(line)["org_id"], t.id);
    }
  }
  EXPECT_TRUE(saw_services);
  EXPECT_TRUE(fs::exists(out / "manifest.json"));
  fs::remove_all(out);
}

TEST_F(TenantTest, SoftDeleteAndPurge) {
  auto row = create(spec("Purge Row")), sch = create(spec("Purge Schema", db::Isolation::schema));
  auto keep = create(spec("Keep Me"));
  ASSERT_TRUE(tenant::remove(*c, row, false, actor, false));
  EXPECT_EQ((*tenant::resolve(*c, row.slug)).status, "deleted");
  EXPECT_EQ(count("SELECT count(*) FROM services WHERE org_id = $1::uuid", {row.id}), 7);
  auto purged = tenant::remove(*c, row, true, actor, false);
  ASSERT_TRUE(purged) << purged.error().message;
  ASSERT_TRUE(tenant::remove(*c, sch, true, actor, false));
  EXPECT_EQ(count("SELECT count(*) FROM services WHERE org_id = $1::uuid", {row.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {sch.schema}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id IN ($1::uuid, $2::uuid)",
                  {row.id, sch.id}),
            0);
  EXPECT_FALSE(tenant::resolve(*c, row.slug));
  EXPECT_EQ(app_counts(keep)["services"], 7);
  EXPECT_GE(count("SELECT count(*) FROM audit_events WHERE action = 'tenant.purge'"), 2);
}

TEST_F(TenantTest, ResolveIsUuidFirst) {
  auto t = create(spec("Resolve Clinic"));
  EXPECT_EQ(tenant::resolve(*c, t.id)->slug, "resolve-clinic");
  EXPECT_EQ(tenant::resolve(*c, "resolve-clinic")->id, t.id);
  auto missing = tenant::resolve(*c, uuid_v4());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  ASSERT_TRUE(tenant::update(*c, t,
                             {std::nullopt, std::string("renamed"), std::nullopt, std::nullopt,
                              std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                              std::nullopt},
                             actor, false));
  EXPECT_EQ(tenant::resolve(*c, t.id)->slug, "renamed");
  tenant::UpdateSpec bad;
  bad.markup = *Decimal::parse("-2");
  auto r = tenant::update(*c, *tenant::resolve(*c, t.id), bad, actor, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--markup must not be negative");
}
