// Running `apikey create | list | revoke` against the suite's migrated database; the FakeClock is
// the time keys expire against.
#include "cmd_harness.hpp"
#include "core/crypto.hpp"

using namespace crm;

class RunApikey : public test::DbTest {
protected:
  void SetUp() override {
    DbTest::SetUp();
    slug = make_tenant("Key Clinic");
    ASSERT_FALSE(slug.empty());
  }
  test::CliRun in_tenant(std::vector<std::string> args) {
    args.insert(args.begin(), {"--tenant", slug});
    return run(args);
  }
  long keys() {
    return count("SELECT count(*) FROM api_keys WHERE org_id = $1::uuid", {tenant_id(slug)});
  }
  std::string slug;
};

TEST_F(RunApikey, CreateShowsTheSecretOnceAndStoresItsHash) {
  auto r = in_tenant({"apikey", "create", "--name", "zapier", "--scopes",
                      "calls:read, contacts:read", "--expires", "90d"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(
      j, {"tenant", "name", "prefix", "scopes", "expires_at", "dry_run", "id", "secret"});
  EXPECT_EQ(j["tenant"], slug);
  EXPECT_EQ(j["name"], "zapier");
  EXPECT_EQ(j["scopes"], nlohmann::json::array({"calls:read", "contacts:read"}));
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["expires_at"], format_rfc3339(cli.clock.now() + std::chrono::hours(24 * 90)));
  std::string prefix = j["prefix"], secret = j["secret"];
  EXPECT_EQ(prefix.size(), 8u);
  EXPECT_EQ(secret.rfind("crm_" + prefix + "_", 0), 0u) << secret;
  EXPECT_NE(r.err.find("store the secret now"), std::string::npos) << r;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret on stderr";
  // Only the SHA-256 is stored, never the secret.
  EXPECT_EQ(scalar("SELECT key_hash FROM api_keys WHERE prefix = $1", {prefix}),
            crypto::hex(crypto::sha256(secret)));
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE arguments::text LIKE $1",
                  {"%" + secret + "%"}),
            0);
  EXPECT_EQ(keys(), 1);
}

TEST_F(RunApikey, CreateBadInputIsUsageAndWritesNothing) {
  auto scope =
      in_tenant({"apikey", "create", "--name", "n", "--scopes", "calls:read,calls:delete"});
  EXPECT_EQ(scope.code, 2) << scope;
  EXPECT_NE(scope.err.find("unknown scope 'calls:delete'"), std::string::npos) << scope;
  auto empty = in_tenant({"apikey", "create", "--name", "n", "--scopes", "calls:read,"});
  EXPECT_EQ(empty.code, 2) << empty;
  EXPECT_NE(empty.err.find("--scopes has an empty entry"), std::string::npos) << empty;
  auto expires =
      in_tenant({"apikey", "create", "--name", "n", "--scopes", "admin", "--expires", "3 months"});
  EXPECT_EQ(expires.code, 2) << expires;
  EXPECT_NE(expires.err.find("is not a duration"), std::string::npos) << expires;
  auto tenant =
      run({"--tenant", "no-such-clinic", "apikey", "create", "--name", "n", "--scopes", "admin"});
  EXPECT_EQ(tenant.code, 3) << tenant;
  EXPECT_EQ(keys(), 0);
}

TEST_F(RunApikey, CreateDryRunHasNoSecretAndWritesNothing) {
  auto before = snapshot();
  auto r = in_tenant({"--dry-run", "apikey", "create", "--name", "dry", "--scopes", "admin"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_FALSE(j.contains("secret")) << j.dump();
  EXPECT_FALSE(j.contains("id")) << j.dump();
  EXPECT_TRUE(j["expires_at"].is_null());
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunApikey, ListShowsStatusAgainstTheClockAndNoSecrets) {
  auto a = in_tenant(
      {"apikey", "create", "--name", "short", "--scopes", "calls:read", "--expires", "1h"});
  auto b = in_tenant({"apikey", "create", "--name", "forever", "--scopes", "admin"});
  ASSERT_EQ(a.code, 0) << a;
  ASSERT_EQ(b.code, 0) << b;
  auto r = in_tenant({"apikey", "list"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& k : j) {
    test::expect_keys(k, {"id", "name", "prefix", "scopes", "status", "expires_at", "created_at"});
    EXPECT_EQ(k["status"], "active") << k.dump();
    EXPECT_TRUE(test::is_rfc3339_utc(k["created_at"])) << k.dump();
  }
  for (const auto& s : {a.json()["secret"], b.json()["secret"]})
    EXPECT_FALSE(r.mentions(s.get<std::string>())) << "list shows a secret";
  // Two hours later (FakeClock), the one-hour key has expired.
  cli.clock.advance(std::chrono::hours(2));
  std::map<std::string, std::string> status;
  for (const auto& k : in_tenant({"apikey", "list"}).json())
    status[k["name"]] = k["status"];
  EXPECT_EQ(status["short"], "expired");
  EXPECT_EQ(status["forever"], "active");
  EXPECT_EQ(run({"--tenant", "no-such-clinic", "apikey", "list"}).code, 3);
}

TEST_F(RunApikey, RevokeByPrefixOrIdDryRunAndNotFound) {
  auto c = in_tenant({"apikey", "create", "--name", "old", "--scopes", "admin"});
  ASSERT_EQ(c.code, 0) << c;
  std::string prefix = c.json()["prefix"], id = c.json()["id"];
  auto before = snapshot();
  auto dry = in_tenant({"--dry-run", "apikey", "revoke", prefix});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());

  auto r = in_tenant({"--yes", "apikey", "revoke", prefix});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"id", "prefix", "status", "changed", "dry_run"});
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["status"], "revoked");
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(in_tenant({"apikey", "list"}).json()[0]["status"], "revoked");
  auto again = in_tenant({"--yes", "apikey", "revoke", id});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["changed"], false);

  auto unknown = in_tenant({"--yes", "apikey", "revoke", "deadbeef"});
  EXPECT_EQ(unknown.code, 3) << unknown;
  EXPECT_EQ(unknown.error_json()["kind"], "not_found");
  // A key of another tenant is not found through this one (RLS scope).
  auto other = make_tenant("Key Other");
  EXPECT_EQ(run({"--tenant", other, "--yes", "apikey", "revoke", prefix}).code, 3);
}

TEST_F(RunApikey, RevokeIsDestructiveAndNeedsConfirmation) {
  auto c = in_tenant({"apikey", "create", "--name", "n", "--scopes", "admin"});
  ASSERT_EQ(c.code, 0) << c;
  auto r = in_tenant({"apikey", "revoke", c.json()["prefix"]});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r;
  EXPECT_EQ(in_tenant({"apikey", "list"}).json()[0]["status"], "active");
}

TEST_F(RunApikey, AnExpiryBeyondTheClockRangeIsRejected) {
  for (const char* e : {"1000000d", "200000000000000d", "10000000000000000000ms"}) {
    auto r = in_tenant({"apikey", "create", "--name", std::string("far-") + e, "--scopes", "admin",
                        "--expires", e});
    EXPECT_EQ(r.code, 2) << e << "\n" << r;
  }
  EXPECT_EQ(keys(), 0);
}
