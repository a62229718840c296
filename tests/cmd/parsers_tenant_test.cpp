// Pure parsers of lib/tenant: users.csv, the tenant template, credential text and rounding.
// No database and no network: these are unit tests; they live in the cmd binary only because it
// is the test binary that links crm_tenant (tests/unit links core, http and migrate). Suite names
// start with "Parser" like tests/unit/parsers_test.cpp.
#include "core/money.hpp"
#include "tenant/template.hpp"
#include "tenant/tenant.hpp"
#include "tenant/user_import.hpp"
#include "tenant/vault.hpp"

#include <gtest/gtest.h>

using namespace crm;
using tenant::parse_users_csv;

namespace {

std::string csv_error(const std::string& text) {
  auto r = parse_users_csv(text);
  EXPECT_FALSE(r) << "parsed:\n" << text;
  if (r) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  return r.error().message;
}

std::string template_error(const std::string& yaml) {
  auto r = tenant::parse_template(yaml, "t.yaml");
  EXPECT_FALSE(r) << "parsed:\n" << yaml;
  if (r) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  return r.error().message;
}

std::string cred_error(const std::string& provider, const std::string& text) {
  auto r = tenant::parse_credential_text(provider, text);
  EXPECT_FALSE(r) << provider << " parsed:\n" << text;
  if (r) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  return r.error().message;
}

} // namespace

// --- tenant::parse_users_csv ------------------------------------------------------------------

TEST(ParserUsersCsv, RowsWithLineNumbersLowerCasedEmailAndRole) {
  auto r = parse_users_csv("email,name,role\nAna@Acme.example,Ana Lopez,Manager\n"
                           "bo@acme.example,Bo,viewer");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].line, 2u);
  EXPECT_EQ((*r)[0].email, "ana@acme.example");
  EXPECT_EQ((*r)[0].name, "Ana Lopez");
  EXPECT_EQ((*r)[0].role, "manager");
  EXPECT_EQ((*r)[0].result, "");
  EXPECT_EQ((*r)[0].error, "");
  EXPECT_EQ((*r)[1].line, 3u); // no trailing newline
  EXPECT_EQ((*r)[1].email, "bo@acme.example");
}

TEST(ParserUsersCsv, QuotingCommasAndDoubledQuotes) {
  auto r = parse_users_csv("email,name,role\n"
                           "\"ana@acme.example\",\"Lopez, Ana \"\"The Boss\"\"\",admin\n"
                           "bo@acme.example,\"\",viewer\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].email, "ana@acme.example");
  EXPECT_EQ((*r)[0].name, "Lopez, Ana \"The Boss\"");
  EXPECT_EQ((*r)[0].role, "admin");
  EXPECT_EQ((*r)[0].result, "");
  EXPECT_EQ((*r)[1].name, "");
}

TEST(ParserUsersCsv, CrlfLineEndingsAndSurroundingSpaces) {
  auto r = parse_users_csv("Email , Name , ROLE\r\n ana@acme.example , Ana , admin \r\n"
                           "bo@acme.example,Bo,viewer\r\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].line, 2u);
  EXPECT_EQ((*r)[0].email, "ana@acme.example");
  EXPECT_EQ((*r)[0].name, "Ana");
  EXPECT_EQ((*r)[0].role, "admin");
  EXPECT_EQ((*r)[1].line, 3u);
  EXPECT_EQ((*r)[1].role, "viewer");
}

TEST(ParserUsersCsv, EmbeddedNewlinesKeepLaterLineNumbersRight) {
  auto r = parse_users_csv("email,name,role\n"
                           "ana@acme.example,\"Ana\nsecond line\",admin\n"
                           "bo@acme.example,\"Bo\r\nCRLF\",viewer\r\n"
                           "cy@acme.example,Cy,manager\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].line, 2u);
  EXPECT_EQ((*r)[0].name, "Ana\nsecond line");
  EXPECT_EQ((*r)[1].line, 4u);
  EXPECT_EQ((*r)[1].name, "Bo\r\nCRLF");
  EXPECT_EQ((*r)[2].line, 6u);
  EXPECT_EQ((*r)[2].email, "cy@acme.example");
}

TEST(ParserUsersCsv, BlankLinesAreSkippedButCounted) {
  auto r = parse_users_csv("email,name,role\n\nana@acme.example,Ana,admin\n\n\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].line, 3u);
}

TEST(ParserUsersCsv, WrongFieldCountsAreRowErrorsWithTheirLines) {
  auto r = parse_users_csv("email,name,role\n"
                           "ana@acme.example,Ana\n"
                           "bo@acme.example,Bo,viewer\n"
                           "cy@acme.example,Cy,admin,extra\n");
  ASSERT_TRUE(r) << r.error().message; // row errors are reported per row, not as one error
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].line, 2u);
  EXPECT_EQ((*r)[0].result, "error");
  EXPECT_EQ((*r)[0].error, "expected 3 fields, found 2");
  EXPECT_EQ((*r)[1].result, "");
  EXPECT_EQ((*r)[2].line, 4u);
  EXPECT_EQ((*r)[2].result, "error");
  EXPECT_EQ((*r)[2].error, "expected 3 fields, found 4");
}

TEST(ParserUsersCsv, HeaderColumnsInAnyOrderNameOptional) {
  auto r = parse_users_csv("role,email\nadmin,ana@acme.example\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].email, "ana@acme.example");
  EXPECT_EQ((*r)[0].role, "admin");
  EXPECT_EQ((*r)[0].name, "");
  auto header_only = parse_users_csv("email,name,role\n");
  ASSERT_TRUE(header_only);
  EXPECT_TRUE(header_only->empty());
}

TEST(ParserUsersCsv, MissingHeaderColumns) {
  const std::string msg = "CSV header must name the columns email and role (name optional)";
  EXPECT_EQ(csv_error("mail,name,role\nana@acme.example,Ana,admin\n"), msg);
  EXPECT_EQ(csv_error("email,name\nana@acme.example,Ana\n"), msg);
  // A file without a header: the first row is taken as one and lacks the columns.
  EXPECT_EQ(csv_error("ana@acme.example,Ana,admin\n"), msg);
}

TEST(ParserUsersCsv, EmptyInput) {
  const std::string msg = "CSV is empty: expected a header email,name,role";
  EXPECT_EQ(csv_error(""), msg);
  EXPECT_EQ(csv_error("\n\r\n\n"), msg);
}

TEST(ParserUsersCsv, UnterminatedQuoteNamesItsLine) {
  EXPECT_EQ(csv_error("email,name,role\nana@acme.example,Ana,admin\nbo@acme.example,\"Bo,viewer\n"),
            "CSV: unterminated quoted field starting on line 3");
}

TEST(ParserUsersCsv, AByteOrderMarkIsIgnored) {
  // A spreadsheet's "CSV UTF-8" export starts with one.
  auto r = parse_users_csv("\xEF\xBB\xBF"
                           "email,name,role\r\nana@acme.example,Ana,admin\r\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].email, "ana@acme.example");
}

// --- tenant::parse_template -------------------------------------------------------------------

TEST(ParserTemplate, ParsesSettingsModulesBrandingAndServices) {
  auto t = tenant::parse_template(R"(settings:
  call_recording: true
  greeting: "true"
  business_hours: {start: "09:00", days: [mon, tue]}
modules: {sms: false, billing: true}
branding: {color: "#0a84ff"}
services:
  - {name: Botox, price: "400.00", keywords: [botox, wrinkle]}
  - {name: Consultation, price: 150}
)",
                                  "t.yaml");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->settings["call_recording"], true);
  EXPECT_EQ(t->settings["greeting"], "true"); // quoted stays text
  EXPECT_EQ(t->settings["business_hours"]["start"], "09:00");
  EXPECT_EQ(t->settings["business_hours"]["days"], nlohmann::json::array({"mon", "tue"}));
  EXPECT_EQ(t->modules["sms"], false);
  EXPECT_EQ(t->modules["billing"], true);
  EXPECT_EQ(t->branding["color"], "#0a84ff");
  ASSERT_EQ(t->services.size(), 2u);
  EXPECT_EQ(t->services[0].name, "Botox");
  EXPECT_EQ(t->services[0].price, *Decimal::parse("400.00"));
  EXPECT_EQ(t->services[0].keywords, (std::vector<std::string>{"botox", "wrinkle"}));
  EXPECT_EQ(t->services[1].name, "Consultation");
  EXPECT_EQ(t->services[1].price, *Decimal::parse("150"));
  EXPECT_TRUE(t->services[1].keywords.empty());
}

TEST(ParserTemplate, EmptySectionsAreEmptyObjects) {
  auto t = tenant::parse_template("services: []\n", "t.yaml");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->settings.is_object() && t->settings.empty());
  EXPECT_TRUE(t->modules.is_object() && t->modules.empty());
  EXPECT_TRUE(t->services.empty());
}

TEST(ParserTemplate, UnknownKeysAreNamed) {
  EXPECT_EQ(template_error("setings: {a: 1}\n"),
            "t.yaml: unknown key 'setings' (known: settings, modules, branding, services)");
  EXPECT_EQ(template_error("settings: {}\nprice_list: []\n"),
            "t.yaml: unknown key 'price_list' (known: settings, modules, branding, services)");
}

TEST(ParserTemplate, BadPricesAreNamed) {
  // The message names the file, the service and the price (its wording is the library's).
  for (const char* bad :
       {"services:\n  - {name: Botox, price: abc}\n",
        "services:\n  - {name: Botox, price: \"-5.00\"}\n", "services:\n  - {name: Botox}\n",
        "services:\n  - {name: Botox, price: \"4OO\"}\n",
        "services:\n  - {name: Botox, price: \"1e3\"}\n"}) {
    auto msg = template_error(bad);
    EXPECT_EQ(msg.rfind("t.yaml: service 'Botox'", 0), 0u) << bad << " -> " << msg;
    EXPECT_NE(msg.find("price"), std::string::npos) << bad << " -> " << msg;
  }
}

TEST(ParserTemplate, DuplicateAndNamelessServices) {
  EXPECT_EQ(template_error("services:\n  - {name: Botox, price: \"1\"}\n"
                           "  - {name: Fillers, price: \"2\"}\n  - {name: Botox, price: \"3\"}\n"),
            "t.yaml: service 'Botox' is listed twice");
  EXPECT_EQ(template_error("services:\n  - {price: \"1\"}\n"), "t.yaml: a service has no name");
  EXPECT_EQ(template_error("services: {Botox: 400}\n"), "t.yaml: services must be a list");
}

TEST(ParserTemplate, TheTopLevelMustBeAMapping) {
  const std::string msg = "t.yaml: top level must be a mapping";
  EXPECT_EQ(template_error("- settings\n- modules\n"), msg);
  EXPECT_EQ(template_error("just some text\n"), msg);
  EXPECT_EQ(template_error(""), msg);
}

TEST(ParserTemplate, InvalidYamlNamesTheLine) {
  auto msg = template_error("settings:\n  a: 1\n  b: [1, 2\n");
  EXPECT_EQ(msg.rfind("t.yaml: invalid YAML at line ", 0), 0u) << msg;
}

TEST(ParserTemplate, SectionsMustBeMappings) {
  for (const char* bad :
       {"settings: 5\n", "modules: [sms, billing]\n", "branding: text\n", "settings:\n"}) {
    auto msg = template_error(bad);
    EXPECT_NE(msg.find("t.yaml"), std::string::npos) << bad;
  }
}

// --- tenant::parse_credential_text ------------------------------------------------------------

TEST(ParserCredentialText, KeyValueLines) {
  auto v = tenant::parse_credential_text(
      "twilio", "# Twilio, from the console\r\nACCOUNT_SID=AC0123456789abcdef\r\n\r\n"
                "auth_token=tok=with=equals\r\n");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, (tenant::Values{{"account_sid", "AC0123456789abcdef"},
                                {"auth_token", "tok=with=equals"}}));
  auto g =
      tenant::parse_credential_text("google", "client_id=cid\nclient_secret=cs\nrefresh_token=rt");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->size(), 3u);
  EXPECT_EQ(g->at("refresh_token"), "rt");
}

TEST(ParserCredentialText, JsonObject) {
  auto v = tenant::parse_credential_text("elevenlabs", R"({"api_key": "sk_live_abcdef"})");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, (tenant::Values{{"api_key", "sk_live_abcdef"}}));
  EXPECT_EQ(cred_error("retell", R"({"api_key": 12345})"),
            "credential field 'api_key' must be a string");
}

TEST(ParserCredentialText, UnknownMissingAndEmptyFields) {
  EXPECT_EQ(cred_error("elevenlabs", "api_key=sk_1\nregion=eu\n"),
            "unknown field 'region' for elevenlabs (expected: api_key)");
  EXPECT_EQ(cred_error("twilio", "account_sid=AC1\n"), "twilio credentials need 'auth_token'");
  EXPECT_EQ(cred_error("twilio", ""), "twilio credentials need 'account_sid'");
  EXPECT_EQ(cred_error("retell", "api_key=\n"), "retell credentials need 'api_key'");
  EXPECT_EQ(cred_error("twilio", "account_sid=SK1\nauth_token=t\n"),
            "twilio account_sid must start with AC");
}

TEST(ParserCredentialText, NotKeyValueAtAll) {
  const std::string msg = "credential input must be a JSON object or KEY=VALUE lines";
  EXPECT_EQ(cred_error("elevenlabs", "sk_live_abcdef\n"), msg);
  EXPECT_EQ(cred_error("elevenlabs", "=sk_live_abcdef\n"), msg);
  EXPECT_EQ(cred_error("elevenlabs", "[\"sk_live_abcdef\"]"), msg);
}

TEST(ParserCredentialText, ProvidersThatAreNotTenantCredentials) {
  EXPECT_EQ(cred_error("stripe", "api_key=x"),
            "unknown provider 'stripe': use twilio, elevenlabs, retell or google");
  auto vapi = cred_error("vapi", "private_key=x");
  EXPECT_EQ(vapi.rfind("Vapi is a platform key, never a tenant credential", 0), 0u) << vapi;
}

// --- tenant::parse_rounding -------------------------------------------------------------------

TEST(ParserRounding, BothNamesAndNothingElse) {
  EXPECT_EQ(*tenant::parse_rounding("per_call_ceil_minute"),
            tenant::Rounding::per_call_ceil_minute);
  EXPECT_EQ(*tenant::parse_rounding("per_second"), tenant::Rounding::per_second);
  EXPECT_EQ(tenant::rounding_name(tenant::Rounding::per_second), "per_second");
  EXPECT_EQ(tenant::rounding_name(tenant::Rounding::per_call_ceil_minute), "per_call_ceil_minute");
  for (const char* bad : {"", "PER_SECOND", "per-second", "per_minute", " per_second"}) {
    auto r = tenant::parse_rounding(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_EQ(r.error().message, "unknown rounding '" + std::string(bad) +
                                     "': use per_call_ceil_minute or per_second");
  }
}
