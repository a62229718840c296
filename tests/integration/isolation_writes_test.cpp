// Tenant isolation for writes, driven through the real roles (TenantTx: SET LOCAL ROLE crm_app +
// app.current_org_id): a tenant scope writes only into its own storage, and the audit trail takes
// only the tenant's own rows. Reads are covered by tenant_test.cpp.
#include "support/tenant_fixture.hpp"

#include <filesystem>

using namespace crm;
namespace fs = std::filesystem;

namespace {

class IsolationWritesTest : public test::TenantFixture {
protected:
  /// Runs one statement in `t`'s scope, as the application role, and commits it.
  Result<db::Rows> as_tenant(const tenant::TenantRef& t, const std::string& sql,
                             const db::Params& p = {}) {
    return as_tenant_on(*c, t, sql, p);
  }
  Result<db::Rows> as_tenant_on(db::Connection& conn, const tenant::TenantRef& t,
                                const std::string& sql, const db::Params& p = {}) {
    auto tx = conn.tenant(tenant::scope_of(t, tenancy));
    if (!tx) return std::move(tx).error();
    CRM_TRY_ASSIGN(auto r, (*tx)->exec(sql, p));
    CRM_TRY((*tx)->commit());
    return r;
  }
  static std::string in(const tenant::TenantRef& t, const std::string& table) {
    return db::quote_ident(t.schema) + "." + table;
  }
  static std::string call_row(const std::string& table) {
    return "INSERT INTO " + table + " (org_id, provider, external_call_id) VALUES ($1::uuid, " +
           "'vapi', $2)";
  }
};

} // namespace

TEST_F(IsolationWritesTest, ASchemaTenantWritesOnlyIntoItsOwnSchema) {
  auto a = create(spec("Alpha Clinic", db::Isolation::schema));
  auto b = create(spec("Beta Clinic", db::Isolation::schema));
  auto r = create(spec("Row Clinic"));
  ASSERT_FALSE(a.schema.empty());
  ASSERT_FALSE(b.schema.empty());

  // A's own rows, stamped A, into B's tables: refused by the pin, whatever the table.
  auto forged = as_tenant(a, call_row(in(b, "calls")), {a.id, "forged-1"});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().sqlstate, "23514") << forged.error().message;
  auto contact = as_tenant(a,
                           "INSERT INTO " + in(b, "contacts") +
                               " (org_id, phone) VALUES "
                               "($1::uuid, '+14155550100')",
                           {a.id});
  ASSERT_FALSE(contact);
  EXPECT_EQ(contact.error().sqlstate, "23514");
  auto service = as_tenant(a,
                           "INSERT INTO " + in(b, "services") +
                               " (org_id, name, price) "
                               "VALUES ($1::uuid, 'Forged', 1)",
                           {a.id});
  EXPECT_FALSE(service);
  // A row tenant cannot either, and B's own id stays refused to A by RLS.
  EXPECT_FALSE(as_tenant(r, call_row(in(b, "calls")), {r.id, "forged-2"}));
  EXPECT_FALSE(as_tenant(a, call_row(in(b, "calls")), {b.id, "forged-3"}));
  // Not even the admin path can put A's rows into B's schema.
  EXPECT_FALSE(c->exec(call_row(in(b, "calls")), {a.id, "forged-4"}));
  EXPECT_EQ(count("SELECT count(*) FROM " + in(b, "calls")), 0);

  // The legitimate writes still succeed: A into its own schema (search_path and qualified), B too.
  EXPECT_TRUE(as_tenant(a, call_row("calls"), {a.id, "own-1"}));
  EXPECT_TRUE(as_tenant(a, call_row(in(a, "calls")), {a.id, "own-2"}));
  EXPECT_TRUE(as_tenant(b, call_row("calls"), {b.id, "own-3"}));
  EXPECT_EQ(app_counts(a)["calls"], 2);
  EXPECT_EQ(app_counts(b)["calls"], 1);

  // Every tenant table of every org_ schema carries the pin, to its own tenant.
  EXPECT_EQ(count(R"(
    SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname LIKE 'org\_%' AND t.relkind = 'r'
      AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polname = 'tenant_isolation')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = t.oid
                      AND k.conname = 'org_id_pinned' AND k.convalidated
                      AND pg_get_constraintdef(k.oid) LIKE '%' || substr(n.nspname, 5, 8) || '%'))"),
            0);
  EXPECT_GE(count("SELECT count(*) FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
                  "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 "
                  "AND k.conname = 'org_id_pinned'",
                  {b.schema}),
            17);
}

TEST_F(IsolationWritesTest, ASchemaTenantCannotWriteIntoTheSharedTenantTables) {
  auto a = create(spec("Alpha Clinic", db::Isolation::schema));
  auto r = create(spec("Row Clinic"));
  auto forged = as_tenant(a, call_row("public.calls"), {a.id, "stray-1"});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().sqlstate, "42501") << forged.error().message;
  EXPECT_FALSE(as_tenant(a,
                         "INSERT INTO public.contacts (org_id, phone) VALUES ($1::uuid, "
                         "'+14155550101')",
                         {a.id}));
  EXPECT_FALSE(as_tenant(a,
                         "INSERT INTO public.services (org_id, name, price) VALUES ($1::uuid, "
                         "'Stray', 1)",
                         {a.id}));
  EXPECT_EQ(count("SELECT count(*) FROM public.calls WHERE org_id = $1::uuid", {a.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM public.services WHERE org_id = $1::uuid", {a.id}), 0);
  // Row tenants keep writing the shared tables; the guard is one restrictive INSERT policy per
  // table, next to the canonical permissive one.
  EXPECT_TRUE(as_tenant(r, call_row("calls"), {r.id, "row-1"}));
  EXPECT_TRUE(as_tenant(r, call_row("public.calls"), {r.id, "row-2"}));
  EXPECT_EQ(app_counts(r)["calls"], 2);
  EXPECT_EQ(count(R"(
    SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND t.relkind = 'r'
      AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polname = 'tenant_isolation')
      AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid
                      AND p.polname = 'row_tenants_only' AND NOT p.polpermissive))"),
            0);
}

TEST_F(IsolationWritesTest, TheAuditTrailTakesOnlyTheTenantsOwnRows) {
  auto a = create(spec("Alpha Clinic"));
  auto b = create(spec("Beta Clinic", db::Isolation::schema));
  const std::string insert = "INSERT INTO audit_events (actor, org_id, action, outcome) VALUES "
                             "('mallory', $1::uuid, 'tenant.delete', 'ok')";
  long before = count("SELECT count(*) FROM audit_events");
  for (const auto& [who, victim] : {std::pair{a, b}, std::pair{b, a}}) {
    auto forged = as_tenant(who, insert, {victim.id});
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().sqlstate, "42501") << forged.error().message;
    EXPECT_FALSE(as_tenant(who, insert, {db::Value{}})); // a row for no tenant either
  }
  EXPECT_EQ(count("SELECT count(*) FROM audit_events"), before);
  // A tenant appends its own rows; nobody rewrites or deletes them.
  EXPECT_TRUE(as_tenant(a, insert, {a.id}));
  EXPECT_TRUE(as_tenant(b, insert, {b.id}));
  EXPECT_FALSE(as_tenant(a, "UPDATE audit_events SET actor = 'x' WHERE org_id = $1::uuid", {a.id}));
  EXPECT_FALSE(as_tenant(a, "DELETE FROM audit_events WHERE org_id = $1::uuid", {a.id}));
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE actor = 'mallory'"), 2);

  // crmctl's own audit writes: from tenant scopes (API keys, vault, user disable) and from the
  // admin path (tenant update, key rotation with no tenant).
  ASSERT_TRUE(create_api_key(a, {"ci", {"calls:read"}, std::nullopt}, clock.now()));
  ASSERT_TRUE(create_api_key(b, {"ci", {"calls:read"}, std::nullopt}, clock.now()));
  auto k1 = test::key_of('k'), k2 = test::key_of('m');
  tenant::Values twilio{{"account_sid", "AC0123456789abcdef0123456789abcdef"},
                        {"auth_token", "supersecrettoken42"}};
  auto creds = set_credentials(b, "twilio", twilio, k1);
  ASSERT_TRUE(creds) << creds.error().message;
  ASSERT_TRUE(disable_user(a, "owner@alpha-clinic.example"));
  tenant::UpdateSpec u;
  u.name = "Alpha Clinic 2";
  ASSERT_TRUE(update(a, u));
  ASSERT_TRUE(rotate_key(k1, k2));
  for (const auto& [org, action] :
       {std::pair{a.id, "apikey.create"}, std::pair{b.id, "apikey.create"},
        std::pair{b.id, "creds.set"}, std::pair{a.id, "user.disable"},
        std::pair{a.id, "tenant.update"}})
    EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = $1::uuid AND action = $2",
                    {org, std::string(action)}),
              1)
        << action;
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id IS NULL AND "
                  "action = 'creds.rotate_key'"),
            1);
  // ENABLE + FORCE, one INSERT policy for the application role.
  EXPECT_EQ(count("SELECT count(*) FROM pg_class WHERE oid = 'public.audit_events'::regclass "
                  "AND relrowsecurity AND relforcerowsecurity"),
            1);
}

// An existing database: schemas and shared tables made by the files before the guards get them
// from the tenant-track migration, and keep their data.
TEST_F(IsolationWritesTest, MigrationGuardsSchemasThatExistAlready) {
  const std::string guards = "20260115000000";
  fs::path old_dir = fs::temp_directory_path() / ("crmctl-guards-" + uuid_v4().substr(0, 8));
  for (const char* track : {"global", "tenant"}) {
    fs::create_directories(old_dir / track);
    for (const auto& e :
         fs::directory_iterator(fs::path(CRM_SOURCE_DIR) / "templates/migrations" / track))
      if (e.path().filename().string().substr(0, 14) < guards)
        fs::copy_file(e.path(), old_dir / track / e.path().filename());
  }
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{old_dir};
  auto old_set = migrate::load_migrations(old_dir.string());
  ASSERT_TRUE(old_set) << old_set.error().message;

  test::TempDatabase old_db(test::Start::empty);
  auto factory = [&]() { return db::Connection::open(old_db.url()); };
  std::atomic<bool> stop{false};
  auto first = migrate::up(*old_set, {}, factory, clock, {}, stop);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->failed_count(), 0u);
  auto oc = old_db.connect();
  auto make = [&](const std::string& name, db::Isolation iso) {
    auto tx = oc->admin();
    EXPECT_TRUE(tx);
    auto r = tenant::create(**tx, spec(name, iso), *old_set, tenancy, actor, DryRun::no);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    EXPECT_TRUE((*tx)->commit());
    return *tenant::resolve(**oc->admin(), r->org_id);
  };
  auto a = make("Alpha Clinic", db::Isolation::schema);
  auto b = make("Beta Clinic", db::Isolation::schema);
  ASSERT_TRUE(as_tenant_on(*oc, b, call_row("calls"), {b.id, "kept"}));
  // Before: the hole this closes (rolled back, so the upgrade below validates clean data).
  {
    auto tx = oc->tenant(tenant::scope_of(a, tenancy));
    ASSERT_TRUE(tx);
    EXPECT_TRUE((*tx)->exec(call_row(in(b, "calls")), {a.id, "hole"}));
    EXPECT_TRUE((*tx)->exec(call_row("public.calls"), {a.id, "hole"}));
  }

  auto second = migrate::up(set, {}, factory, clock, {}, stop);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->failed_count(), 0u);
  auto forged = as_tenant_on(*oc, a, call_row(in(b, "calls")), {a.id, "after"});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().sqlstate, "23514");
  EXPECT_FALSE(as_tenant_on(*oc, a, call_row("public.calls"), {a.id, "after"}));
  EXPECT_FALSE(as_tenant_on(
      *oc, a,
      "INSERT INTO audit_events (actor, org_id, action, outcome) VALUES ('m', $1::uuid, 'x', 'ok')",
      {b.id}));
  EXPECT_TRUE(as_tenant_on(*oc, a, call_row("calls"), {a.id, "own"}));
  auto kept = oc->exec("SELECT count(*) AS n FROM " + in(b, "calls"));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->get(0, "n"), "1");
}
