// Database passwords in connection strings: masked in every form (`config view`, the log
// redactor) and flagged by `config validate` when written as a literal.
#include "core/config.hpp"
#include "core/mask.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace crm;

namespace {

bool has_finding(const std::vector<ConfigFinding>& findings, const std::string& needle) {
  for (const auto& f : findings)
    if (f.message.find(needle) != std::string::npos) return true;
  return false;
}

std::vector<ConfigFinding> validate_text(const std::string& yaml) {
  auto cf = parse_config_text(yaml, "");
  EXPECT_TRUE(cf) << cf.error().message;
  if (!cf) return {};
  return validate_config(*cf, env_from_map({}));
}

} // namespace

TEST(Secrets, KeywordFormPasswordsAreMasked) {
  EXPECT_EQ(mask_url_password("host=x password='a b' user=y"), "host=x password=**** user=y");
  EXPECT_EQ(mask_url_password("host=x password = hunter2 user=y"), "host=x password = **** user=y");
  EXPECT_EQ(mask_url_password("password=hunter2"), "password=****");
  EXPECT_EQ(mask_url_password("host=x password=hunter2"), "host=x password=****");
  // Quoted values with escapes run to the closing quote; nothing of them is left.
  EXPECT_EQ(mask_url_password(R"(password='it\'s a b\\' dbname=crm)"), "password=**** dbname=crm");
  // Unquoted values in keyword form end at whitespace only ('&' is part of the password).
  EXPECT_EQ(mask_url_password("password=a&b host=x"), "password=**** host=x");
  // An unterminated quote hides the rest rather than leak it.
  EXPECT_EQ(mask_url_password("password='a b host=x"), "password=****");
  // Tabs and newlines around '='.
  EXPECT_EQ(mask_url_password("host=x\tpassword\t=\tpw9\tuser=y"),
            "host=x\tpassword\t=\t****\tuser=y");
}

TEST(Secrets, UrlFormsStillMasked) {
  EXPECT_EQ(mask_url_password("postgresql://app:s3cr3t@db:5432/crm"),
            "postgresql://app:****@db:5432/crm");
  EXPECT_EQ(mask_url_password("postgresql://db/crm?user=app&password=s3cr3t&sslmode=require"),
            "postgresql://db/crm?user=app&password=****&sslmode=require");
  EXPECT_EQ(mask_url_password("postgresql://db/crm?password=s3cr3t"),
            "postgresql://db/crm?password=****");
}

TEST(Secrets, NothingToMaskIsUnchanged) {
  for (const char* s : {"host=x user=y dbname=crm", "postgresql://app@db/crm", "password=",
                        "password=''", "the password is wrong", "passwords = 3 attempts"})
    EXPECT_EQ(mask_url_password(s), s) << s;
  // Masking twice is masking once.
  std::string once = mask_url_password("host=x password='a b' user=y");
  EXPECT_EQ(mask_url_password(once), once);
}

TEST(Secrets, RedactorMasksKeywordPasswordsInLogLines) {
  Redactor r;
  EXPECT_EQ(r.redact("connecting to host=db password = 'pw with space' user=app"),
            "connecting to host=db password = **** user=app");
}

TEST(Secrets, ValidateFlagsLiteralPasswordInKeywordForm) {
  for (const char* url :
       {"host=db password='a b' user=app", "host=db password = x user=app", "password=x"}) {
    auto f = validate_text(std::string("profiles:\n  p:\n    database_url: \"") + url + "\"\n");
    EXPECT_TRUE(has_finding(f, "profiles.p.database_url contains a literal password")) << url;
    for (const auto& x : f) {
      EXPECT_EQ(x.message.find("a b"), std::string::npos) << x.message;
      EXPECT_EQ(x.level, "warning");
    }
  }
  // The URL forms are still flagged; no password or a reference is not.
  EXPECT_TRUE(
      has_finding(validate_text("profiles:\n  p:\n    database_url: postgresql://u:pw@h/db\n"),
                  "profiles.p.database_url contains a literal password"));
  EXPECT_TRUE(has_finding(
      validate_text("profiles:\n  p:\n    database_url: postgresql://h/db?password=pw\n"),
      "profiles.p.database_url contains a literal password"));
  EXPECT_TRUE(
      validate_text("profiles:\n  p:\n    database_url: host=db user=app dbname=crm\n").empty());
  EXPECT_TRUE(validate_text("profiles:\n  p:\n    database_url: postgresql://u@h/db\n").empty());
}
