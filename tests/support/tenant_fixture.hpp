// A migrated database plus thin wrappers that run one domain operation in its own transaction
// and commit it (what the cmd layer does); tests that compose several operations in one
// transaction use the library directly.
#pragma once
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "migrate/migrate.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"
#include "tenant/apikeys.hpp"
#include "tenant/catalog.hpp"
#include "tenant/lifecycle.hpp"
#include "tenant/provision.hpp"
#include "tenant/user_import.hpp"
#include "tenant/users.hpp"
#include "tenant/vault.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace crm::test {

class TenantFixture : public ::testing::Test {
protected:
  TenantFixture() : db(Start::migrated) {}
  void SetUp() override {
    auto s = migrate::load_migrations(std::string(CRM_SOURCE_DIR) + "/templates/migrations");
    ASSERT_TRUE(s) << s.error().message;
    set = *s;
    c = db.connect();
    ASSERT_TRUE(c);
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
    auto r = do_create(s, false);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    auto t = resolve(r ? r->org_id : "missing");
    EXPECT_TRUE(t);
    return t ? *t : tenant::TenantRef{};
  }
  Result<tenant::CreateResult> try_create(const tenant::CreateSpec& s) {
    return do_create(s, false);
  }
  long count(const std::string& sql, const db::Params& p = {}) {
    auto r = c->exec(sql, p);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::stol(r->get(0, r->columns[0])) : -1;
  }
  /// Every tenant table's row count as the application role scoped to `t`.
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

  /// Runs fn(AdminTx&) and commits when it succeeded (and `dry` is false).
  template <class F> auto admin(F&& fn, bool dry = false) {
    auto tx = c->admin();
    EXPECT_TRUE(tx);
    auto r = fn(**tx);
    if (r && !dry) {
      auto done = (*tx)->commit();
      EXPECT_TRUE(done) << (done ? "" : done.error().message);
    }
    return r;
  }
  /// Runs fn(TenantTx&) in `t`'s scope and commits when it succeeded.
  template <class F> auto in_tenant(const tenant::TenantRef& t, F&& fn) {
    auto tx = c->tenant(tenant::scope_of(t, tenancy));
    EXPECT_TRUE(tx);
    auto r = fn(**tx);
    if (r) {
      auto done = (*tx)->commit();
      EXPECT_TRUE(done) << (done ? "" : done.error().message);
    }
    return r;
  }
  static DryRun dry(bool b) { return b ? DryRun::yes : DryRun::no; }

  // One-operation wrappers (the cmd layer's shape).
  Result<tenant::CreateResult> do_create(const tenant::CreateSpec& s, bool dry_run) {
    return admin(
        [&](db::AdminTx& tx) { return tenant::create(tx, s, set, tenancy, actor, dry(dry_run)); },
        dry_run);
  }
  Result<tenant::TenantRef> resolve(const std::string& who) {
    auto tx = c->admin();
    EXPECT_TRUE(tx);
    return tenant::resolve(**tx, who);
  }
  Result<tenant::StatusChange> set_status(const tenant::TenantRef& t, const std::string& s) {
    return admin([&](db::AdminTx& tx) {
      return tenant::set_status(
          tx, t, s == "active" ? tenant::TargetStatus::active : tenant::TargetStatus::suspended,
          actor, DryRun::no);
    });
  }
  Result<tenant::UserResult> create_user(const tenant::TenantRef& t, const tenant::UserSpec& u) {
    return admin(
        [&](db::AdminTx& tx) { return tenant::create_user(tx, t, tenancy, u, actor, DryRun::no); });
  }
  Result<std::vector<tenant::ImportRow>> import_users(const tenant::TenantRef& t,
                                                      std::vector<tenant::ImportRow> rows) {
    return admin([&](db::AdminTx& tx) {
      return tenant::import_users(tx, t, tenancy, rows, actor, DryRun::no);
    });
  }
  Result<tenant::DisableResult> disable_user(const tenant::TenantRef& t, const std::string& e) {
    return admin([&](db::AdminTx& tx) {
      return tenant::disable_user(tx, t, tenancy, e, actor, DryRun::no);
    });
  }
  Result<std::vector<tenant::Member>> list_users(const tenant::TenantRef& t) {
    return admin([&](db::AdminTx& tx) { return tenant::list_users(tx, t, tenancy); });
  }
  Result<tenant::ApiKeyCreated> create_api_key(const tenant::TenantRef& t,
                                               const tenant::ApiKeySpec& s, TimePoint now) {
    return in_tenant(t, [&](db::TenantTx& tx) {
      return tenant::create_api_key(tx, t, s, now, actor, DryRun::no);
    });
  }
  Result<std::vector<tenant::ApiKeyInfo>> list_api_keys(const tenant::TenantRef& t, TimePoint now) {
    return in_tenant(t, [&](db::TenantTx& tx) { return tenant::list_api_keys(tx, t, now); });
  }
  Result<tenant::RevokeResult> revoke_api_key(const tenant::TenantRef& t, const std::string& k) {
    return in_tenant(
        t, [&](db::TenantTx& tx) { return tenant::revoke_api_key(tx, t, k, actor, DryRun::no); });
  }
  Result<tenant::CredentialSet> set_credentials(const tenant::TenantRef& t, const std::string& p,
                                                const tenant::Values& v, const MasterKey& k) {
    return in_tenant(t, [&](db::TenantTx& tx) {
      return tenant::set_credentials(tx, t, p, v, k, actor, DryRun::no);
    });
  }
  Result<tenant::Values> load_credentials(const tenant::TenantRef& t, const std::string& p,
                                          const MasterKey& k) {
    return in_tenant(t, [&](db::TenantTx& tx) { return tenant::load_credentials(tx, t, p, k); });
  }
  Result<tenant::CredentialDeleted> delete_credentials(const tenant::TenantRef& t,
                                                       const std::string& p) {
    return in_tenant(t, [&](db::TenantTx& tx) {
      return tenant::delete_credentials(tx, t, p, actor, DryRun::no);
    });
  }
  Result<std::vector<tenant::CredentialInfo>> list_credentials(const tenant::TenantRef& t) {
    return in_tenant(t, [&](db::TenantTx& tx) { return tenant::list_credentials(tx, t); });
  }
  Result<tenant::RotateResult> rotate_key(const MasterKey& from, const MasterKey& to) {
    return admin(
        [&](db::AdminTx& tx) { return tenant::rotate_key(tx, from, to, actor, DryRun::no); });
  }
  Result<tenant::TenantDetails> show(const tenant::TenantRef& t) {
    return in_tenant(t, [&](db::TenantTx& tx) { return tenant::show(tx, t); });
  }
  Result<tenant::RemoveResult> remove(const tenant::TenantRef& t, bool purge) {
    return admin([&](db::AdminTx& tx) {
      return tenant::remove(tx, t, purge ? tenant::Purge::yes : tenant::Purge::no, actor,
                            DryRun::no);
    });
  }
  Result<tenant::UpdateResult> update(const tenant::TenantRef& t, const tenant::UpdateSpec& u) {
    return admin([&](db::AdminTx& tx) { return tenant::update(tx, t, u, actor, DryRun::no); });
  }

  TempDatabase db;
  FakeClock clock;
  migrate::MigrationSet set;
  std::unique_ptr<db::Connection> c;
  tenant::Template tmpl;
  tenant::Tenancy tenancy;
  tenant::Actor actor{"test", ""};
};

inline MasterKey key_of(char fill) {
  return *master_key_from_base64(crypto::base64_encode(std::string(32, fill)), "test");
}

} // namespace crm::test
