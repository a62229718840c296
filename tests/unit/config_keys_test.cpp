// Config keys: an unknown key or a value of the wrong type is a config error naming the file,
// the line and the key, never silently ignored.
#include "core/config.hpp"
#include "core/exit_codes.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace crm;

namespace {

// The error message of parsing `yaml` as "crmctl.yaml" (a test failure when it parses).
std::string error_of(const std::string& yaml) {
  auto cf = parse_config_text(yaml, "crmctl.yaml");
  EXPECT_FALSE(cf) << "parsed:\n" << yaml;
  if (cf) return "";
  EXPECT_EQ(cf.error().kind, ErrorKind::config) << cf.error().message;
  EXPECT_EQ(exit_code_for(cf.error().kind), 10);
  return cf.error().message;
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

TEST(ConfigKeys, TypoInProfileKeyIsAnErrorNamingFileLineKeyAndKnownKeys) {
  auto m = error_of("default_profile: p\nprofiles:\n  p:\n    databse_url: env:DB\n");
  EXPECT_TRUE(contains(m, "crmctl.yaml")) << m;
  EXPECT_TRUE(contains(m, "line 4")) << m;
  EXPECT_TRUE(contains(m, "'databse_url'")) << m;
  EXPECT_TRUE(contains(m, "profile 'p'")) << m;
  EXPECT_TRUE(contains(m, "did you mean 'database_url'?")) << m;
  for (const char* k : {"database_url", "master_key", "production", "read_only", "pool_size",
                        "webhook_base_url", "tenancy", "migrations_dir", "providers", "tools"})
    EXPECT_TRUE(contains(m, k)) << k << " not listed in: " << m;
}

TEST(ConfigKeys, UnknownTopLevelKey) {
  auto m = error_of("default_profile: p\nprofile:\n  p: {database_url: env:DB}\n");
  EXPECT_TRUE(contains(m, "line 2")) << m;
  EXPECT_TRUE(contains(m, "unknown key 'profile' at the top level")) << m;
  EXPECT_TRUE(contains(m, "did you mean 'profiles'?")) << m;
  EXPECT_TRUE(contains(m, "default_profile, profiles")) << m;
  // Far from every known key: no suggestion, still the list.
  auto far = error_of("colour: blue\n");
  EXPECT_FALSE(contains(far, "did you mean")) << far;
  EXPECT_TRUE(contains(far, "known keys: default_profile, profiles")) << far;
}

TEST(ConfigKeys, UnknownTenancyKey) {
  auto m = error_of("profiles:\n  p:\n    tenancy: {app_role: crm_app, gcu: app.current_org_id}\n");
  EXPECT_TRUE(contains(m, "'gcu'")) << m;
  EXPECT_TRUE(contains(m, "app_role, guc")) << m;
  EXPECT_TRUE(contains(m, "line 3")) << m;
}

TEST(ConfigKeys, WrongTypesNameKeyAndLine) {
  auto map_for_string = error_of("profiles:\n  p:\n    database_url:\n      host: db\n");
  EXPECT_TRUE(contains(map_for_string, "database_url must be a string, not a mapping"))
      << map_for_string;
  EXPECT_TRUE(contains(map_for_string, "line 4")) << map_for_string;
  EXPECT_TRUE(contains(map_for_string, "crmctl.yaml")) << map_for_string;

  auto maybe = error_of("profiles:\n  p:\n    production: maybe\n");
  EXPECT_TRUE(contains(maybe, "production must be true or false, not 'maybe'")) << maybe;
  EXPECT_TRUE(contains(maybe, "line 3")) << maybe;

  auto ro = error_of("profiles:\n  p:\n    read_only: [yes]\n");
  EXPECT_TRUE(contains(ro, "read_only must be true or false, not a list")) << ro;

  auto list = error_of("profiles:\n  p:\n    master_key: [a, b]\n");
  EXPECT_TRUE(contains(list, "master_key must be a string, not a list")) << list;

  auto dp = error_of("default_profile: {p: 1}\nprofiles: {}\n");
  EXPECT_TRUE(contains(dp, "default_profile must be a string")) << dp;
  EXPECT_TRUE(contains(dp, "line 1")) << dp;

  auto pool = error_of("profiles:\n  p:\n    pool_size: lots\n");
  EXPECT_TRUE(contains(pool, "pool_size must be a number")) << pool;
  EXPECT_TRUE(contains(pool, "line 3")) << pool;

  auto tenancy = error_of("profiles:\n  p:\n    tenancy: crm_app\n");
  EXPECT_TRUE(contains(tenancy, "tenancy must be a mapping")) << tenancy;

  auto prov = error_of("profiles:\n  p:\n    providers:\n      twilio: https://api.twilio.com\n");
  EXPECT_TRUE(contains(prov, "providers.twilio must be a mapping")) << prov;
  EXPECT_TRUE(contains(prov, "line 4")) << prov;

  auto pv =
      error_of("profiles:\n  p:\n    providers:\n      twilio:\n        auth_token: {env: X}\n");
  EXPECT_TRUE(contains(pv, "providers.twilio.auth_token must be a string, not a mapping")) << pv;
  EXPECT_TRUE(contains(pv, "line 5")) << pv;
}

TEST(ConfigKeys, EveryDocumentedKeyParses) {
  auto cf = parse_config_text(R"(default_profile: local
profiles:
  local:
    database_url: env:DATABASE_URL
    master_key: env:CRMCTL_MASTER_KEY
    production: false
    read_only: no
    pool_size: 12
    webhook_base_url: https://hooks.example.com
    tenancy: {app_role: crm_app, guc: app.current_org_id}
    migrations_dir: /usr/share/crmctl/templates/migrations
    providers:
      twilio: {base_url: https://api.twilio.com, account_sid: env:SID, auth_token: env:TOKEN}
      google: {base_url: http://127.0.0.1:9}
  empty: {}
  prod:
    database_url:
    production: yes
)",
                              "crmctl.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  const auto& p = cf->profiles.at("local");
  EXPECT_EQ(p.pool_size, 12);
  EXPECT_FALSE(p.read_only);
  EXPECT_EQ(p.migrations_dir, "/usr/share/crmctl/templates/migrations");
  EXPECT_EQ(p.providers.at("twilio").values.at("account_sid"), "env:SID");
  EXPECT_EQ(p.providers.at("google").base_url, "http://127.0.0.1:9");
  EXPECT_TRUE(cf->profiles.at("prod").production);
  EXPECT_EQ(cf->profiles.at("prod").database_url, "");
}

TEST(ConfigKeys, ExampleConfigParses) {
  auto cf = load_config_file(std::string(CRM_SOURCE_DIR) + "/examples/config.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  EXPECT_EQ(cf->profiles.size(), 3u);
}

TEST(ConfigKeys, ToolsSectionParsesAndRefusesUnknownKeys) {
  auto cf = parse_config_text("profiles:\n  p:\n    tools:\n      backend_url: https://b.example\n"
                              "      definitions_dir: /etc/crmctl/tools\n"
                              "      values: {clinic_phone: '+15550001111'}\n",
                              "crmctl.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  const auto& t = cf->profiles.at("p").tools;
  EXPECT_EQ(t.backend_url, "https://b.example");
  EXPECT_EQ(t.definitions_dir, "/etc/crmctl/tools");
  EXPECT_EQ(t.values.at("clinic_phone"), "+15550001111");

  auto typo = error_of("profiles:\n  p:\n    tools: {backend_ulr: https://b}\n");
  EXPECT_TRUE(contains(typo, "did you mean 'backend_url'?")) << typo;
  EXPECT_TRUE(contains(typo, "line 3")) << typo;
  auto shape = error_of("profiles:\n  p:\n    tools:\n      values: [a]\n");
  EXPECT_TRUE(contains(shape, "tools.values must be a mapping")) << shape;
  auto val = error_of("profiles:\n  p:\n    tools:\n      values: {a: {b: c}}\n");
  EXPECT_TRUE(contains(val, "tools.values.a must be a string")) << val;
}

TEST(ConfigKeys, RecordingsAndRedactionSectionsParseAndRefuseUnknownKeys) {
  auto cf = parse_config_text(
      "profiles:\n  p:\n    recordings:\n      signing_secret: env:RECORDINGS_SIGNING_SECRET\n"
      "      base_url: https://app.example.com/r\n"
      "    redaction:\n      patterns:\n        - {name: mrn, regex: 'MRN-[0-9]{6}'}\n",
      "crmctl.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  const auto& p = cf->profiles.at("p");
  EXPECT_EQ(p.recordings.signing_secret, "env:RECORDINGS_SIGNING_SECRET");
  EXPECT_EQ(p.recordings.base_url, "https://app.example.com/r");
  ASSERT_EQ(p.redaction.patterns.size(), 1u);
  EXPECT_EQ(p.redaction.patterns[0].name, "mrn");
  EXPECT_EQ(p.redaction.patterns[0].regex, "MRN-[0-9]{6}");

  auto typo = error_of("profiles:\n  p:\n    recordings: {signing_secert: env:X}\n");
  EXPECT_TRUE(contains(typo, "did you mean 'signing_secret'?")) << typo;
  auto pat = error_of("profiles:\n  p:\n    redaction:\n      patterns: [{name: x}]\n");
  EXPECT_TRUE(contains(pat, "need a name and a regex")) << pat;
  auto key = error_of("profiles:\n  p:\n    redaction:\n      patterns: [{name: x, re: y}]\n");
  EXPECT_TRUE(contains(key, "unknown key 're'")) << key;

  // A literal signing secret is a validate warning, like any other literal secret.
  auto lit = parse_config_text("profiles:\n  p:\n    recordings: {signing_secret: hunter2hunter2}\n",
                               "crmctl.yaml");
  ASSERT_TRUE(lit) << lit.error().message;
  bool warned = false;
  for (const auto& f : validate_config(*lit, [](const std::string&) {
         return std::optional<std::string>{};
       }))
    warned = warned || contains(f.message, "recordings.signing_secret holds a literal secret");
  EXPECT_TRUE(warned);
}
