// Tenant provisioning, users, API keys and the vault against a real PostgreSQL with the canonical
// schema, roles and RLS policies.
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "db/catalog.hpp"
#include "migrate/migrate.hpp"
#include "support/fakes.hpp"
#include "support/tenant_fixture.hpp"
#include "tenant/export.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace crm;
namespace fs = std::filesystem;

namespace {

class TenantTest : public test::TenantFixture {
protected:
  // What `crmctl tenant export` does: one REPEATABLE READ snapshot in the tenant's scope.
  Result<tenant::ExportManifest> export_tenant(const tenant::TenantRef& t, const fs::path& out) {
    auto tx = c->tenant(tenant::scope_of(t, tenancy),
                        {db::TxIsolation::repeatable_read, db::TxAccess::read_only});
    if (!tx) return std::move(tx).error();
    tenant::ExportOptions o;
    o.out_dir = out.string();
    o.now = clock.now();
    o.schema_version = set.tenant.back().version;
    auto m = tenant::export_to(**tx, t, o);
    if (m) CRM_TRY((*tx)->commit());
    return m;
  }
};
using test::key_of;

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
  {
    auto tx = *c->admin();
    db::RlsExpectation want;
    want.schemas = {sch.schema};
    auto rls = db::tenant_table_rls(*tx, want);
    ASSERT_TRUE(rls) << rls.error().message;
    EXPECT_GE(rls->size(), 10u);
    for (const auto& t : *rls)
      EXPECT_TRUE(t.problems.empty()) << t.table << ": " << t.problems.front();
  }
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
  s.if_not_exists = tenant::IfNotExists::yes;
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
  auto r = do_create(spec("Dry Clinic", db::Isolation::schema), true);
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
  ASSERT_TRUE(set_status(t, "suspended"));
  t = *resolve(t.slug);
  auto r = create_user(t, {"x@sleepy.example", "", "viewer", std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_NE(r.error().message.find("tenant resume"), std::string::npos);
  EXPECT_FALSE(list_api_keys(t, clock.now()));
  ASSERT_TRUE(set_status(t, "active"));
  t = *resolve(t.slug);
  EXPECT_TRUE(create_user(t, {"x@sleepy.example", "", "viewer", std::nullopt}));
}

TEST_F(TenantTest, UsersMembershipsAndCsvImport) {
  auto t = create(spec("Users Clinic"));
  auto u = create_user(t, {"Ana@Users.example", "Ana", "manager", std::string("pw-123456")});
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->email, "ana@users.example");
  auto same = create_user(t, {"ana@users.example", "", "manager", std::nullopt});
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->created);
  auto other = create_user(t, {"ana@users.example", "", "viewer", std::nullopt});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::conflict);
  EXPECT_FALSE(create_user(t, {"ana", "", "viewer", std::nullopt}));
  EXPECT_FALSE(create_user(t, {"b@users.example", "", "wizard", std::nullopt}));

  long members = app_counts(t)["memberships"];
  auto bad = tenant::parse_users_csv(
      "email,name,role\nbob@users.example,Bob,employee\nnot-an-email,X,viewer\n"
      "\"carol@users.example\",\"Carol, Jr.\",viewer\n");
  ASSERT_TRUE(bad);
  auto res = import_users(t, *bad);
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[1].result, "error");
  EXPECT_EQ((*res)[1].line, 3u);
  EXPECT_EQ((*res)[0].result, "not_imported");
  EXPECT_EQ(app_counts(t)["memberships"], members);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email = 'bob@users.example'"), 0);

  auto good = tenant::parse_users_csv("email,name,role\r\nbob@users.example,Bob,employee\r\n"
                                      "\"carol@users.example\",\"Carol, Jr.\",viewer\r\n");
  auto ok = import_users(t, *good);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].result, "created");
  EXPECT_EQ((*ok)[1].name, "Carol, Jr.");
  EXPECT_EQ(app_counts(t)["memberships"], members + 2);
  auto again = import_users(t, *good);
  EXPECT_EQ((*again)[0].result, "exists");
  ASSERT_TRUE(disable_user(t, "bob@users.example"));
  auto list = list_users(t);
  ASSERT_TRUE(list);
  int disabled = 0;
  for (const auto& x : *list)
    disabled += x.status == "disabled";
  EXPECT_EQ(disabled, 1);
}

TEST_F(TenantTest, ApiKeysShowSecretOnceAndStoreOnlyAHash) {
  auto t = create(spec("Keys Clinic"));
  tenant::ApiKeySpec s{"zapier", {"calls:read", "contacts:read"}, std::chrono::hours(24 * 90)};
  auto k = create_api_key(t, s, clock.now());
  ASSERT_TRUE(k) << k.error().message;
  std::string secret = k->secret;
  EXPECT_EQ(secret.rfind("crm_" + k->prefix + "_", 0), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM api_keys WHERE key_hash = $1",
                  {crypto::hex(crypto::sha256(secret))}),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM api_keys WHERE key_hash = $1 OR prefix = $1", {secret}), 0);
  auto list = list_api_keys(t, clock.now());
  ASSERT_EQ(list->size(), 1u);

  EXPECT_EQ((*list)[0].status, "active");
  EXPECT_EQ((*list_api_keys(t, clock.now() + std::chrono::hours(24 * 91)))[0].status, "expired");
  ASSERT_TRUE(revoke_api_key(t, k->prefix));
  EXPECT_EQ((*list_api_keys(t, clock.now()))[0].status, "revoked");
  EXPECT_FALSE(create_api_key(t, {"x", {"root"}, std::nullopt}, clock.now()));
  auto missing = revoke_api_key(t, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_F(TenantTest, VaultEncryptsMasksAndRefusesTheWrongKey) {
  auto t = create(spec("Vault Clinic", db::Isolation::schema));
  auto k1 = key_of('a'), k2 = key_of('b');
  tenant::Values v{{"account_sid", "AC0123456789abcdef0123456789abcdef"},
                   {"auth_token", "supersecrettoken42"}};
  auto r = set_credentials(t, "twilio", v, k1);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->masked.at("auth_token").find("supersecrettoken42"), std::string::npos);
  // Nothing in the database holds the plaintext.
  EXPECT_EQ(count("SELECT count(*) FROM " + tenant::table_of(t, "org_credentials") +
                  " WHERE position(convert_to('supersecrettoken42', 'UTF8') in ciphertext) > 0 OR "
                  "masked::text LIKE "
                  "'%supersecrettoken42%'"),
            0);
  EXPECT_EQ(
      count("SELECT count(*) FROM audit_events WHERE arguments::text LIKE '%supersecrettoken42%'"),
      0);
  auto back = load_credentials(t, "twilio", k1);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at("auth_token"), "supersecrettoken42");
  // The wrong master key: clear error, nothing overwritten.
  auto wrong = load_credentials(t, "twilio", k2);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::config);
  auto over = set_credentials(t, "twilio", v, k2);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ErrorKind::config);
  EXPECT_TRUE(load_credentials(t, "twilio", k1));
  // A tampered row does not decrypt.
  ASSERT_TRUE(c->exec("UPDATE " + tenant::table_of(t, "org_credentials") +
                      " SET ciphertext = overlay(ciphertext placing '\\x00'::bytea from 1 for 1)"));
  EXPECT_FALSE(load_credentials(t, "twilio", k1));
  EXPECT_FALSE(tenant::parse_credential_text("vapi", "api_key=x"));
  EXPECT_FALSE(tenant::parse_credential_text("twilio", "auth_token=x"));
  EXPECT_FALSE(tenant::parse_credential_text("twilio", "account_sid=AC1\nauth_token=t\nextra=1"));
  EXPECT_TRUE(tenant::parse_credential_text("elevenlabs", "{\"api_key\":\"sk_x\"}"));
}

TEST_F(TenantTest, RotateKeyIsAllOrNothingAndRerunnable) {
  auto a = create(spec("Rot A")), b = create(spec("Rot B", db::Isolation::schema));
  auto k1 = key_of('a'), k2 = key_of('b'), k3 = key_of('c');
  tenant::Values el{{"api_key", "sk_elevenlabs_key_0001"}};
  ASSERT_TRUE(set_credentials(a, "elevenlabs", el, k1));
  ASSERT_TRUE(set_credentials(b, "elevenlabs", el, k1));
  auto r = rotate_key(k1, k2);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->rotated, 2);
  EXPECT_TRUE(load_credentials(b, "elevenlabs", k2));
  EXPECT_FALSE(load_credentials(b, "elevenlabs", k1));
  auto again = rotate_key(k1, k2);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->already_rotated, 2);
  // A rotation from the wrong current key changes nothing.
  auto bad = rotate_key(k3, key_of('d'));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::config);
  EXPECT_TRUE(load_credentials(a, "elevenlabs", k2));
}

TEST_F(TenantTest, IsolationEveryTenantCommandForAStaysInA) {
  auto a = create(spec("Alpha Clinic")), b = create(spec("Beta Clinic"));
  auto a2 = create(spec("Gamma Clinic", db::Isolation::schema));
  ASSERT_TRUE(create_user(b, {"b1@beta.example", "", "viewer", std::nullopt}));
  ASSERT_TRUE(create_api_key(b, {"b", {"calls:read"}, std::nullopt}, clock.now()));
  ASSERT_TRUE(set_credentials(b, "retell", {{"api_key", "key_beta_000001"}}, key_of('k')));
  auto before = app_counts(b);
  auto k = key_of('k');
  for (const auto* t : {&a, &a2}) {
    ASSERT_TRUE(create_user(*t, {"a1@alpha.example", "", "manager", std::nullopt}));
    auto rows = tenant::parse_users_csv("email,name,role\na2@alpha.example,,viewer\n");
    ASSERT_TRUE(import_users(*t, *rows));
    ASSERT_TRUE(disable_user(*t, "a2@alpha.example"));
    auto key = create_api_key(*t, {"a", {"calls:read"}, std::nullopt}, clock.now());
    ASSERT_TRUE(key);
    ASSERT_TRUE(revoke_api_key(*t, key->prefix));
    ASSERT_TRUE(set_credentials(*t, "retell", {{"api_key", "key_alpha_00001"}}, k));
    ASSERT_TRUE(delete_credentials(*t, "retell"));
    // Reads for A see nothing of B.
    auto users = list_users(*t);
    for (const auto& u : *users)
      EXPECT_NE(u.email, "b1@beta.example");
    EXPECT_EQ(list_api_keys(*t, clock.now())->size(), 1u);
    EXPECT_TRUE(list_credentials(*t)->empty());
    auto shown = show(*t);
    EXPECT_EQ(shown->counts.users, 2); // the admin and a1 (a2 is disabled)
    fs::path out = fs::temp_directory_path() / ("crmctl-export-" + uuid_v4());
    auto m = export_tenant(*t, out);
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
  auto b_keys = list_api_keys(b, clock.now());
  EXPECT_EQ((*b_keys)[0].status, "active");
  EXPECT_TRUE(load_credentials(b, "retell", k));
}

TEST_F(TenantTest, ExportWritesJsonlAndManifest) {
  auto t = create(spec("Export Clinic", db::Isolation::schema));
  fs::path out = fs::temp_directory_path() / ("crmctl-export-" + uuid_v4());
  auto m = export_tenant(t, out);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->tenant.id, t.id);
  EXPECT_EQ(m->schema_version, set.tenant.back().version);
  bool saw_services = false;
  for (const auto& tb : m->tables) {
    EXPECT_TRUE(fs::exists(out / tb.file));
    if (tb.name == "services") {
      saw_services = true;
      EXPECT_EQ(tb.rows, 7u);
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
  ASSERT_TRUE(remove(row, false));
  EXPECT_EQ((*resolve(row.slug)).status, "deleted");
  EXPECT_EQ(count("SELECT count(*) FROM services WHERE org_id = $1::uuid", {row.id}), 7);
  auto purged = remove(row, true);
  ASSERT_TRUE(purged) << purged.error().message;
  ASSERT_TRUE(remove(sch, true));
  EXPECT_EQ(count("SELECT count(*) FROM services WHERE org_id = $1::uuid", {row.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {sch.schema}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id IN ($1::uuid, $2::uuid)",
                  {row.id, sch.id}),
            0);
  EXPECT_FALSE(resolve(row.slug));
  EXPECT_EQ(app_counts(keep)["services"], 7);
  EXPECT_GE(count("SELECT count(*) FROM audit_events WHERE action = 'tenant.purge'"), 2);
}

TEST_F(TenantTest, ResolveIsUuidFirst) {
  auto t = create(spec("Resolve Clinic"));
  EXPECT_EQ(resolve(t.id)->slug, "resolve-clinic");
  EXPECT_EQ(resolve("resolve-clinic")->id, t.id);
  auto missing = resolve(uuid_v4());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  ASSERT_TRUE(
      update(t, {std::nullopt, std::string("renamed"), std::nullopt, std::nullopt, std::nullopt,
                 std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(resolve(t.id)->slug, "renamed");
  tenant::UpdateSpec bad;
  bad.markup = *Decimal::parse("-2");
  auto r = update(*resolve(t.id), bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--markup must not be negative");
}

TEST_F(TenantTest, TheRlsCatalogCheckCatchesAPolicyThatLetsEveryRowIn) {
  auto t = create(spec("Leaky Clinic"));
  auto clean = [&] {
    auto tx = *c->admin();
    db::RlsExpectation want;
    want.schemas = {"public"};
    auto rls = db::tenant_table_rls(*tx, want);
    EXPECT_TRUE(rls);
    std::map<std::string, std::vector<std::string>> problems;
    for (const auto& x : *rls)
      if (!x.problems.empty()) problems[x.table] = x.problems;
    return problems;
  };
  EXPECT_TRUE(clean().empty());
  // Enabled and forced, but a second permissive policy ORs every row in.
  ASSERT_TRUE(c->exec("CREATE POLICY leak ON services FOR SELECT TO crm_app USING (true)"));
  auto p = clean();
  ASSERT_EQ(p.size(), 1u);
  ASSERT_TRUE(p.count("services"));
  EXPECT_NE(p["services"].front().find("leak"), std::string::npos);
  ASSERT_TRUE(c->exec("DROP POLICY leak ON services"));
  ASSERT_TRUE(c->exec("ALTER TABLE calls NO FORCE ROW LEVEL SECURITY"));
  EXPECT_EQ(clean()["calls"].front(), "row-level security is not forced");
  EXPECT_EQ(app_counts(t)["services"], 7);
}

TEST_F(TenantTest, DomainOperationsComposeInOneTransaction) {
  auto t = create(spec("Compose Clinic"));
  long keys = app_counts(t)["api_keys"];
  // A user and an API key in one transaction; the second fails, so the first is rolled back too.
  {
    auto tx = *c->admin();
    ASSERT_TRUE(tenant::create_user(*tx, t, tenancy, {"new@compose.example", "", "viewer", {}},
                                    actor, DryRun::no));
    auto scoped = *db::scoped(*tx, tenant::scope_of(t, tenancy));
    auto bad = tenant::create_api_key(*scoped, t, {"k", {"no:such"}, std::nullopt}, clock.now(),
                                      actor, DryRun::no);
    ASSERT_FALSE(bad);
  } // destroyed without commit
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email = 'new@compose.example'"), 0);
  // Both succeed: one commit makes both visible.
  {
    auto tx = *c->admin();
    ASSERT_TRUE(tenant::create_user(*tx, t, tenancy, {"new@compose.example", "", "viewer", {}},
                                    actor, DryRun::no));
    {
      auto scoped = *db::scoped(*tx, tenant::scope_of(t, tenancy));
      ASSERT_TRUE(tenant::create_api_key(*scoped, t, {"k", {"calls:read"}, std::nullopt},
                                         clock.now(), actor, DryRun::no));
    }
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE email = 'new@compose.example'"), 1);
  EXPECT_EQ(app_counts(t)["api_keys"], keys + 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = $1::uuid AND action IN "
                  "('user.create', 'apikey.create')",
                  {t.id}),
            2);
}
