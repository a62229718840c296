// Running `creds set | list | verify | delete | rotate-key` against the suite's migrated database;
// provider checks go to the FakeHttp (a stub per request, every stub used), the master key comes
// from the env map.
#include "cmd_harness.hpp"
#include "core/master_key.hpp"

using namespace crm;

namespace {

const std::string k_sid = "AC0123456789abcdef0123456789abcdef";
const std::string k_token = "f00dfeedf00dfeedf00dfeedf00d1234";
const std::string k_eleven = "sk_live_eleven_secret_5678";
const std::string k_retell = "key_retell_secret_abcd9012";
const std::string k_google_secret = "gcs-google-client-secret-3456";
const std::string k_google_refresh = "1//refresh-token-google-7890";

std::string twilio_stdin() {
  return "account_sid=" + k_sid + "\nauth_token=" + k_token + "\n";
}

std::string key_id(char fill) {
  return master_key_from_base64(test::master_key_b64(fill), "test")->id;
}

http::Response answer(int status, std::string body) {
  return http::Response{status, {{"content-type", "application/json"}}, std::move(body)};
}

/// The request header `name`, whatever its case.
std::string header(const http::Request& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    std::string lk = k;
    std::transform(lk.begin(), lk.end(), lk.begin(), ::tolower);
    if (lk == name) return v;
  }
  return "";
}

} // namespace

class RunCreds : public test::DbTest {
protected:
  void SetUp() override {
    DbTest::SetUp();
    cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('m');
    slug = make_tenant("Vault Clinic");
    ASSERT_FALSE(slug.empty());
  }
  test::CliRun in_tenant(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--tenant", slug});
    return run(args, stdin_text);
  }
  long stored() {
    return count("SELECT count(*) FROM org_credentials WHERE org_id = $1::uuid", {tenant_id(slug)});
  }
  /// No secret of this file anywhere in a run's output.
  static void expect_no_secret(const test::CliRun& r) {
    for (const auto& s : {k_token, k_eleven, k_retell, k_google_secret, k_google_refresh,
                          test::master_key_b64('m'), test::master_key_b64('n')})
      EXPECT_FALSE(r.mentions(s)) << "secret '" << s << "' in output\n" << r;
  }
  std::string slug;
};

// --- set --------------------------------------------------------------------------------------

TEST_F(RunCreds, SetFromStdinMasksAndEncrypts) {
  auto r = in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"tenant", "provider", "values", "key_id", "replaced", "dry_run"});
  EXPECT_EQ(j["tenant"], slug);
  EXPECT_EQ(j["provider"], "twilio");
  EXPECT_EQ(j["values"]["account_sid"], k_sid); // an identifier, readable
  EXPECT_EQ(j["values"]["auth_token"], "\u20261234");
  EXPECT_EQ(j["key_id"], key_id('m'));
  EXPECT_EQ(j["replaced"], false);
  expect_no_secret(r);
  // At rest: ciphertext, never the token; the audit row holds the masked form only.
  EXPECT_EQ(
      count("SELECT count(*) FROM org_credentials WHERE position($1::bytea IN ciphertext) > 0",
            {k_token}),
      0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE arguments::text LIKE $1",
                  {"%" + k_token + "%"}),
            0);
  EXPECT_EQ(stored(), 1);
  auto again = in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(again.json()["replaced"], true);
  EXPECT_EQ(stored(), 1);
}

TEST_F(RunCreds, SetFromEnvAndJsonStdin) {
  cli.env["ELEVENLABS_API_KEY"] = k_eleven;
  auto e = in_tenant({"creds", "set", "elevenlabs", "--from-env"});
  ASSERT_EQ(e.code, 0) << e;
  EXPECT_EQ(e.json()["values"]["api_key"], "sk_\u20265678");
  expect_no_secret(e);
  auto j = in_tenant({"creds", "set", "retell", "--from-stdin"},
                     R"({"api_key": ")" + k_retell + R"("})");
  ASSERT_EQ(j.code, 0) << j;
  expect_no_secret(j);
  EXPECT_EQ(stored(), 2);
}

TEST_F(RunCreds, SetFailures) {
  auto none = in_tenant({"creds", "set", "twilio"}, twilio_stdin());
  EXPECT_EQ(none.code, 2) << none;
  EXPECT_NE(none.err.find("--from-stdin or --from-env"), std::string::npos) << none;
  auto fields = in_tenant({"creds", "set", "twilio", "--from-stdin"}, "account_sid=" + k_sid);
  EXPECT_EQ(fields.code, 2) << fields;
  EXPECT_NE(fields.err.find("twilio credentials need 'auth_token'"), std::string::npos) << fields;
  auto vapi = in_tenant({"creds", "set", "vapi", "--from-stdin"}, "private_key=x\n");
  EXPECT_EQ(vapi.code, 2) << vapi;
  auto env = in_tenant({"creds", "set", "retell", "--from-env"});
  EXPECT_EQ(env.code, 10) << env; // RETELL_API_KEY unset: configuration
  EXPECT_NE(env.err.find("RETELL_API_KEY"), std::string::npos) << env;
  auto tenant =
      run({"--tenant", "no-such-clinic", "creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  EXPECT_EQ(tenant.code, 3) << tenant;
  cli.env.erase("CRMCTL_MASTER_KEY");
  auto key = in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  EXPECT_EQ(key.code, 10) << key;
  EXPECT_EQ(key.error_json()["kind"], "config");
  EXPECT_NE(key.err.find("CRMCTL_MASTER_KEY"), std::string::npos) << key;
  cli.env["CRMCTL_MASTER_KEY"] = "bm90LTMyLWJ5dGVz"; // base64, but not of 32 bytes
  EXPECT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 10);
  for (const auto* r : {&none, &fields, &vapi, &env, &tenant, &key})
    expect_no_secret(*r);
  EXPECT_EQ(stored(), 0);
}

TEST_F(RunCreds, SetDryRunWritesNothing) {
  auto before = snapshot();
  auto r = in_tenant({"--dry-run", "creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["dry_run"], true);
  expect_no_secret(r);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
}

TEST_F(RunCreds, SetWithAnotherMasterKeyThanTheStoredOneIsAConfigError) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('n');
  auto r = in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin());
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_NE(r.err.find("sealed under master key " + key_id('m')), std::string::npos) << r;
  expect_no_secret(r);
}

// --- list -------------------------------------------------------------------------------------

TEST_F(RunCreds, ListIsMaskedAndNeedsNoMasterKey) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  cli.env["ELEVENLABS_API_KEY"] = k_eleven;
  ASSERT_EQ(in_tenant({"creds", "set", "elevenlabs", "--from-env"}).code, 0);
  cli.env.erase("CRMCTL_MASTER_KEY"); // list never decrypts
  auto r = in_tenant({"creds", "list"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& c : j)
    test::expect_keys(c, {"provider", "values", "key_id", "last_verified_at", "verification_error",
                          "updated_at"});
  EXPECT_EQ(j[0]["provider"], "elevenlabs");
  EXPECT_EQ(j[1]["provider"], "twilio");
  EXPECT_EQ(j[1]["values"]["auth_token"], "\u20261234");
  EXPECT_EQ(j[1]["key_id"], key_id('m'));
  EXPECT_EQ(j[1]["last_verified_at"], "");
  EXPECT_TRUE(test::is_rfc3339_utc(j[1]["updated_at"])) << j.dump();
  expect_no_secret(r);
  // The table form flattens the values, still masked.
  cli.stdout_tty = true;
  auto t = run_raw({"--tenant", slug, "creds", "list"});
  ASSERT_EQ(t.code, 0) << t;
  EXPECT_NE(t.out.find("auth_token=\u20261234"), std::string::npos) << t;
  expect_no_secret(t);
  auto other = make_tenant("Vault Other");
  EXPECT_EQ(run({"--tenant", other, "creds", "list"}).json(), nlohmann::json::array());
}

// --- verify (FakeHttp) -------------------------------------------------------------------------

TEST_F(RunCreds, VerifyTwilioSendsBasicAuthAndRecordsTheResult) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  cli.http.on("GET", "https://api.twilio.com/2010-04-01/Accounts/" + k_sid + ".json",
              answer(200, R"({"sid":")" + k_sid + R"(","status":"active"})"));
  auto r = in_tenant({"creds", "verify"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u) << j.dump();
  test::expect_keys(j[0], {"provider", "ok", "error"});
  EXPECT_EQ(j[0]["provider"], "twilio");
  EXPECT_EQ(j[0]["ok"], true);
  EXPECT_EQ(j[0]["error"], "");
  ASSERT_EQ(cli.http.requests.size(), 1u);
  const auto& req = cli.http.requests[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "https://api.twilio.com/2010-04-01/Accounts/" + k_sid + ".json");
  std::string auth = header(req, "authorization");
  EXPECT_EQ(auth, "Basic " + crypto::base64_encode(k_sid + ":" + k_token));
  EXPECT_FALSE(r.mentions(auth.substr(6))) << r;
  expect_no_secret(r);
  EXPECT_EQ(count("SELECT count(*) FROM org_credentials WHERE provider = 'twilio' AND org_id = "
                  "$1::uuid AND last_verified_at IS NOT NULL AND verification_error IS NULL",
                  {tenant_id(slug)}),
            1);
}

TEST_F(RunCreds, VerifyEveryProviderWithItsOwnAuthentication) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  ASSERT_EQ(in_tenant({"creds", "set", "elevenlabs", "--from-stdin"}, "api_key=" + k_eleven).code,
            0);
  ASSERT_EQ(in_tenant({"creds", "set", "retell", "--from-stdin"}, "api_key=" + k_retell).code, 0);
  ASSERT_EQ(in_tenant({"creds", "set", "google", "--from-stdin"},
                      "client_id=cid-1.apps.example\nclient_secret=" + k_google_secret +
                          "\nrefresh_token=" + k_google_refresh + "\n")
                .code,
            0);
  // The profile points Twilio at a simulator; the others keep their public base URLs.
  auto cfg = cli.home.write("crmctl.yaml", "profiles:\n  sim:\n    providers:\n"
                                           "      twilio: {base_url: 'http://sim.test:9000'}\n");
  cli.http.on("GET", "https://api.elevenlabs.io/v1/user", answer(200, "{}"));
  cli.http.on("POST", "https://oauth2.googleapis.com/token",
              answer(200, R"({"access_token":"x"})"));
  cli.http.on("GET", "https://api.retellai.com/list-agents", answer(200, "[]"));
  cli.http.on("GET", "http://sim.test:9000/2010-04-01/Accounts/" + k_sid + ".json",
              answer(200, "{}"));
  auto r = in_tenant({"--config", cfg, "--profile", "sim", "creds", "verify"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  ASSERT_EQ(j.size(), 4u) << j.dump();
  for (const auto& row : j)
    EXPECT_EQ(row["ok"], true) << row.dump();
  ASSERT_EQ(cli.http.requests.size(), 4u);
  std::map<std::string, const http::Request*> by_host;
  for (const auto& req : cli.http.requests)
    by_host[req.url.substr(0, req.url.find('/', 8))] = &req;
  EXPECT_EQ(header(*by_host["https://api.elevenlabs.io"], "xi-api-key"), k_eleven);
  EXPECT_EQ(header(*by_host["https://api.retellai.com"], "authorization"), "Bearer " + k_retell);
  const auto& google = *by_host["https://oauth2.googleapis.com"];
  EXPECT_NE(google.body.find("grant_type=refresh_token"), std::string::npos) << google.body;
  EXPECT_NE(google.body.find("client_id=cid-1.apps.example"), std::string::npos) << google.body;
  EXPECT_EQ(header(*by_host["http://sim.test:9000"], "authorization").rfind("Basic ", 0), 0u);
  expect_no_secret(r);
}

TEST_F(RunCreds, VerifyRejectedIsExit10AndRecordsTheReason) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  cli.http.on("GET", "https://api.twilio.com/2010-04-01/Accounts/",
              answer(401, R"({"code":20003,"message":"Authenticate","status":401})"));
  auto r = in_tenant({"creds", "verify", "twilio"});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_EQ(r.error_json()["kind"], "config");
  EXPECT_NE(r.err.find("twilio rejected the credentials"), std::string::npos) << r;
  auto j = r.json(); // the per-provider rows are still printed
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["ok"], false);
  EXPECT_FALSE(j[0]["error"].get<std::string>().empty());
  EXPECT_EQ(cli.http.requests.size(), 1u); // a 401 is not retried
  expect_no_secret(r);
  EXPECT_FALSE(scalar("SELECT coalesce(verification_error, '') FROM org_credentials WHERE org_id = "
                      "$1::uuid",
                      {tenant_id(slug)})
                   .empty());
  EXPECT_EQ(in_tenant({"creds", "list"}).json()[0]["verification_error"], j[0]["error"]);
}

TEST_F(RunCreds, VerifyUnreachableIsExit6AfterRetriesOnTheFakeClock) {
  ASSERT_EQ(in_tenant({"creds", "set", "retell", "--from-stdin"}, "api_key=" + k_retell).code, 0);
  for (int i = 0; i < 4; ++i) // the first attempt and three retries
    cli.http.on("GET", "https://api.retellai.com/list-agents", answer(503, "busy"));
  auto r = in_tenant({"creds", "verify"});
  EXPECT_EQ(r.code, 6) << r;
  EXPECT_EQ(r.error_json()["kind"], "upstream");
  EXPECT_EQ(cli.http.requests.size(), 4u);
  EXPECT_GE(cli.clock.slept().size(), 3u); // backoff on the FakeClock, no real sleep
  expect_no_secret(r);
}

TEST_F(RunCreds, VerifyFailuresBeforeAnyRequest) {
  auto none = in_tenant({"creds", "verify"});
  EXPECT_EQ(none.code, 3) << none;
  EXPECT_NE(none.err.find("no stored credentials"), std::string::npos) << none;
  EXPECT_EQ(in_tenant({"creds", "verify", "twilio"}).code, 3);
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('n'); // not the key it was sealed with
  auto wrong = in_tenant({"creds", "verify"});
  EXPECT_EQ(wrong.code, 10) << wrong;
  EXPECT_NE(wrong.err.find("wrong CRMCTL_MASTER_KEY"), std::string::npos) << wrong;
  cli.env.erase("CRMCTL_MASTER_KEY");
  auto missing = in_tenant({"creds", "verify"});
  EXPECT_EQ(missing.code, 10) << missing;
  EXPECT_TRUE(cli.http.requests.empty());
  expect_no_secret(wrong);
}

// --- delete -----------------------------------------------------------------------------------

TEST_F(RunCreds, DeleteConfirmsDryRunsAndDeletes) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  auto before = snapshot();
  auto refused = in_tenant({"creds", "delete", "twilio"});
  EXPECT_EQ(refused.code, 2) << refused;
  EXPECT_NE(refused.err.find("pass --yes"), std::string::npos) << refused;
  auto dry = in_tenant({"--dry-run", "creds", "delete", "twilio"});
  ASSERT_EQ(dry.code, 0) << dry;
  test::expect_keys(dry.json(), {"tenant", "provider", "deleted", "dry_run"});
  EXPECT_EQ(dry.json()["deleted"], false);
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  // At a terminal it asks on stderr; "n" keeps them.
  cli.stdin_tty = true;
  auto no = in_tenant({"creds", "delete", "twilio"}, "n\n");
  EXPECT_EQ(no.code, 2) << no;
  EXPECT_NE(no.err.find("delete twilio credentials of '" + slug + "' [y/N]"), std::string::npos)
      << no;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  auto yes = in_tenant({"creds", "delete", "twilio"}, "y\n");
  ASSERT_EQ(yes.code, 0) << yes;
  EXPECT_EQ(yes.json()["deleted"], true);
  EXPECT_EQ(stored(), 0);
  cli.stdin_tty = false;
  auto gone = in_tenant({"--yes", "creds", "delete", "twilio"});
  EXPECT_EQ(gone.code, 3) << gone;
  EXPECT_EQ(gone.error_json()["kind"], "not_found");
}

// --- rotate-key (its own database: it re-keys every tenant's rows) ------------------------------

class RunCredsRotate : public RunCreds {
protected:
  void SetUp() override {
    RunCreds::SetUp();
    // Rotation re-keys every tenant: start each test from an empty vault.
    auto tables = m_conn->exec("SELECT table_schema FROM information_schema.tables WHERE "
                               "table_name = 'org_credentials'");
    ASSERT_TRUE(tables);
    for (std::size_t i = 0; i < tables->size(); ++i)
      ASSERT_TRUE(m_conn->exec("DELETE FROM " + db::quote_ident(tables->get(i, "table_schema")) +
                               ".org_credentials"));
  }
};

TEST_F(RunCredsRotate, RotateKeyReencryptsEverything) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  auto other = make_tenant("Rotate Schema", {"--isolation", "schema"});
  ASSERT_EQ(
      run({"--tenant", other, "creds", "set", "retell", "--from-stdin"}, "api_key=" + k_retell)
          .code,
      0);
  // The new key comes from a private file only; the same key as the current one is refused.
  auto nokey = run({"--yes", "creds", "rotate-key"});
  EXPECT_EQ(nokey.code, 2) << nokey;
  EXPECT_NE(nokey.err.find("--new-key-file"), std::string::npos) << nokey;
  auto same = cli.home.write("same.key", test::master_key_b64('m') + "\n");
  EXPECT_EQ(run({"--yes", "creds", "rotate-key", "--new-key-file", same}).code, 2);
  auto file = cli.home.write("new.key", test::master_key_b64('n') + "\n");
  // Destructive: needs --yes without a terminal; --dry-run changes nothing.
  auto before = snapshot();
  auto refused = run({"creds", "rotate-key", "--new-key-file", file});
  EXPECT_EQ(refused.code, 2) << refused;
  EXPECT_NE(refused.err.find("pass --yes"), std::string::npos) << refused;
  auto dry = run({"--dry-run", "creds", "rotate-key", "--new-key-file", file});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["rotated"], 2);
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  expect_no_secret(dry);

  auto r = run({"--yes", "creds", "rotate-key", "--new-key-file", file});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"from_key", "to_key", "rotated", "already_rotated", "dry_run"});
  EXPECT_EQ(j["from_key"], key_id('m'));
  EXPECT_EQ(j["to_key"], key_id('n'));
  EXPECT_EQ(j["rotated"], 2);
  EXPECT_EQ(j["already_rotated"], 0);
  EXPECT_EQ(j["dry_run"], false);
  expect_no_secret(r);
  EXPECT_EQ(in_tenant({"creds", "list"}).json()[0]["key_id"], key_id('n'));
  // A rerun is safe: everything is already under the new key.
  auto rerun = run({"--yes", "creds", "rotate-key", "--new-key-file", file});
  ASSERT_EQ(rerun.code, 0) << rerun;
  EXPECT_EQ(rerun.json()["rotated"], 0);
  EXPECT_EQ(rerun.json()["already_rotated"], 2);
  // The old key no longer opens them; the new one does (checked against the FakeHttp).
  EXPECT_EQ(in_tenant({"creds", "verify"}).code, 10);
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('n');
  cli.http.on("GET", "https://api.twilio.com/2010-04-01/Accounts/" + k_sid + ".json",
              answer(200, "{}"));
  EXPECT_EQ(in_tenant({"creds", "verify"}).code, 0);
}

TEST_F(RunCredsRotate, RotateKeyAbortsOnAStrangeKeyAndNeedsTheCurrentOne) {
  ASSERT_EQ(in_tenant({"creds", "set", "twilio", "--from-stdin"}, twilio_stdin()).code, 0);
  auto q = cli.home.write("q.key", test::master_key_b64('q') + "\n");
  ASSERT_EQ(run({"--yes", "creds", "rotate-key", "--new-key-file", q}).code, 0);
  // The rows are under 'q' now; rotating from 'm' (still the env key) to 'r' finds a row under
  // neither and aborts the whole rotation.
  auto r = cli.home.write("r.key", test::master_key_b64('r') + "\n");
  auto before = snapshot();
  auto stranger = run({"--yes", "creds", "rotate-key", "--new-key-file", r});
  EXPECT_EQ(stranger.code, 10) << stranger;
  EXPECT_NE(stranger.err.find("nothing was rotated"), std::string::npos) << stranger;
  EXPECT_TRUE(test::diff(before, snapshot()).empty());
  cli.env.erase("CRMCTL_MASTER_KEY");
  auto missing = run({"--yes", "creds", "rotate-key", "--new-key-file", r});
  EXPECT_EQ(missing.code, 10) << missing;
  EXPECT_NE(missing.err.find("no master key"), std::string::npos) << missing;
  auto nofile = run({"--yes", "creds", "rotate-key", "--new-key-file", cli.home.file("none.key")});
  EXPECT_EQ(nofile.code, 10) << nofile;
}
