// The profile's `audit:` section: parsed with file, line and key in every error, resolved with
// flags over config over defaults, and the shipped example stays valid.
#include "audit/audit.hpp"
#include "core/config.hpp"
#include "core/exit_codes.hpp"

#include <gtest/gtest.h>

using namespace crm;

namespace {

std::string error_of(const std::string& yaml) {
  auto cf = parse_config_text(yaml, "crmctl.yaml");
  EXPECT_FALSE(cf) << yaml;
  if (cf) return "";
  EXPECT_EQ(exit_code_for(cf.error().kind), 10);
  return cf.error().message;
}

} // namespace

TEST(AuditConfig, TheExampleParsesAndResolves) {
  auto cf = load_config_file(std::string(CRM_SOURCE_DIR) + "/examples/audit-config.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  const Profile& sb = cf->profiles.at("supabase");
  EXPECT_EQ(sb.audit.tenant_columns, std::vector<std::string>{"tenant_id"});
  EXPECT_EQ(sb.audit.allow.size(), 2u);
  auto c = audit::resolve_config({}, sb);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->app_roles.value, std::vector<std::string>{"authenticated"});
  EXPECT_EQ(c->app_roles.source, "config");
  EXPECT_FALSE(c->severity.at("RLS_NOT_FORCED").has_value()); // off
  EXPECT_EQ(*c->severity.at("ORG_ID_MUTABLE"), audit::Severity::medium);
  for (const auto& [name, p] : cf->profiles)
    EXPECT_TRUE(audit::resolve_config({}, p)) << name;
}

TEST(AuditConfig, FlagsOverConfigOverDefaults) {
  Profile p;
  p.app_role = "svc_app";
  auto d = audit::resolve_config({}, p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->app_roles.value, std::vector<std::string>{"svc_app"});
  EXPECT_EQ(d->tenant_columns.value,
            (std::vector<std::string>{"org_id", "tenant_id", "client_id"}));
  EXPECT_EQ(d->gucs.value, (std::vector<std::string>{"app.current_org_id", "request.jwt.claims"}));
  EXPECT_EQ(d->tenant_columns.source, "default");
  p.audit.tenant_columns = {"tenant_id"};
  audit::Flags f;
  f.tenant_columns = {"client_id"};
  EXPECT_EQ(audit::resolve_config({}, p)->tenant_columns.source, "config");
  auto flagged = audit::resolve_config(f, p);
  EXPECT_EQ(flagged->tenant_columns.value, std::vector<std::string>{"client_id"});
  EXPECT_EQ(flagged->tenant_columns.source, "flag");
}

TEST(AuditConfig, ErrorsNameFileLineAndKey) {
  auto typo = error_of("profiles:\n  p:\n    audit:\n      tenant_colums: [org_id]\n");
  EXPECT_NE(typo.find("line 4"), std::string::npos) << typo;
  EXPECT_NE(typo.find("did you mean 'tenant_columns'?"), std::string::npos) << typo;
  auto scalar = error_of("profiles:\n  p:\n    audit:\n      app_roles: crm_app\n");
  EXPECT_NE(scalar.find("app_roles must be a list of strings"), std::string::npos) << scalar;
  auto reasonless = error_of(
      "profiles:\n  p:\n    audit:\n      allow:\n        - {check: RLS_DISABLED, object: x}\n");
  EXPECT_NE(reasonless.find("reason"), std::string::npos) << reasonless;
  auto not_map = error_of("profiles:\n  p:\n    audit: [1]\n");
  EXPECT_NE(not_map.find("audit must be a mapping"), std::string::npos) << not_map;
  Profile p;
  p.audit.severity = {{"RLS_DISABLED", "severe"}};
  auto level = audit::resolve_config({}, p);
  ASSERT_FALSE(level);
  EXPECT_EQ(level.error().kind, ErrorKind::config);
  p.audit.severity.clear();
  p.audit.probe_value = "fixed";
  EXPECT_FALSE(audit::resolve_config({}, p));
  p.audit.probe_value.clear();
  p.audit.global_tables = {"unqualified"};
  EXPECT_FALSE(audit::resolve_config({}, p));
}
