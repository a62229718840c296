#include "core/config.hpp"
#include "core/output.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace crm;

namespace {
const char* k_config = R"(default_profile: local
profiles:
  local:
    database_url: env:LOCAL_DB
    master_key: env:CRMCTL_MASTER_KEY
    tenancy: {app_role: crm_app, guc: app.current_org_id}
    providers:
      twilio: {base_url: http://127.0.0.1:9, account_sid: env:TWILIO_ACCOUNT_SID, auth_token: env:TWILIO_AUTH_TOKEN}
  prod:
    database_url: postgresql://admin:hunter2@db.internal/crm
    production: true
    providers:
      vapi: {base_url: https://api.vapi.ai, private_key: literal-private-key-123}
)";

std::string write_temp(const std::string& text, mode_t mode) {
  auto p = std::filesystem::temp_directory_path() /
           ("crmctl-cfg-" + std::to_string(::getpid()) + "-" + std::to_string(rand()) + ".yaml");
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
  return p.string();
}
} // namespace

TEST(Config, ParsesProfiles) {
  auto cf = parse_config_text(k_config, "test.yaml");
  ASSERT_TRUE(cf) << cf.error().message;
  EXPECT_EQ(cf->default_profile, "local");
  ASSERT_EQ(cf->profiles.size(), 2u);
  EXPECT_TRUE(cf->profiles.at("prod").production);
  EXPECT_EQ(cf->profiles.at("local").providers.at("twilio").base_url, "http://127.0.0.1:9");
  EXPECT_EQ(cf->profiles.at("local").providers.at("twilio").values.at("auth_token"),
            "env:TWILIO_AUTH_TOKEN");
}

TEST(Config, InvalidYamlNamesFileAndLine) {
  auto cf = parse_config_text("profiles:\n  a: [1,\n", "bad.yaml");
  ASSERT_FALSE(cf);
  EXPECT_EQ(cf.error().kind, ErrorKind::config);
  EXPECT_NE(cf.error().message.find("bad.yaml"), std::string::npos);
  EXPECT_NE(cf.error().message.find("line"), std::string::npos);
}

TEST(Config, PrecedenceFlagsEnvProfile) {
  std::string path = write_temp(k_config, 0600);
  auto env = env_from_map({{"CRMCTL_CONFIG", path}, {"LOCAL_DB", "postgresql://from-profile/x"}});
  auto s = resolve_settings({}, env);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->profile_name, "local");
  EXPECT_EQ(s->database_url, "postgresql://from-profile/x");
  EXPECT_EQ(s->database_url_source, "profile local");

  auto env2 = env_from_map({{"CRMCTL_CONFIG", path},
                            {"LOCAL_DB", "x"},
                            {"DATABASE_URL", "postgresql://env2/x"},
                            {"CRMCTL_DATABASE_URL", "postgresql://env1/x"}});
  EXPECT_EQ(resolve_settings({}, env2)->database_url, "postgresql://env1/x");
  EXPECT_EQ(resolve_settings({"", "", "postgresql://flag/x"}, env2)->database_url,
            "postgresql://flag/x");
  EXPECT_EQ(
      resolve_settings({"", "prod", ""}, env_from_map({{"CRMCTL_CONFIG", path}}))->database_url,
      "postgresql://admin:hunter2@db.internal/crm");
  auto missing = resolve_settings({"", "nope", ""}, env);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::config);
  std::filesystem::remove(path);
}

TEST(Config, SecretReferences) {
  auto env = env_from_map({{"TOK", "abc"}});
  EXPECT_EQ(*resolve_ref("env:TOK", env), "abc");
  EXPECT_EQ(*resolve_ref("literal", env), "literal");
  auto miss = resolve_ref("env:NOPE", env);
  ASSERT_FALSE(miss);
  EXPECT_NE(miss.error().message.find("NOPE"), std::string::npos);
  std::string f = write_temp("from-file\n", 0600);
  EXPECT_EQ(*resolve_ref("file:" + f, env), "from-file");
  std::filesystem::remove(f);
}

TEST(Config, ValidateWarnsOnLiteralsAndPermissions) {
  std::string path = write_temp(k_config, 0644);
  auto cf = load_config_file(path);
  ASSERT_TRUE(cf);
  auto findings = validate_config(*cf, env_from_map({{"LOCAL_DB", "x"}}));
  auto has = [&](const std::string& needle) {
    for (const auto& f : findings)
      if (f.message.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("readable by group or others"));
  EXPECT_TRUE(has("profiles.prod.providers.vapi.private_key holds a literal secret"));
  EXPECT_TRUE(has("profiles.prod.database_url contains a literal password"));
  EXPECT_TRUE(has("TWILIO_AUTH_TOKEN is not set"));
  EXPECT_FALSE(has("hunter2"));
  EXPECT_FALSE(has("literal-private-key-123"));
  std::filesystem::remove(path);
}

TEST(Output, TableCsvJsonYaml) {
  nlohmann::json rows =
      nlohmann::json::array({{{"name", "Acme, Inc"}, {"calls", 3}, {"note", "say \"hi\""}},
                             {{"name", "Café"}, {"calls", 10}, {"note", nullptr}}});
  RenderOptions o{{"name", "calls", "note"}, false};
  std::ostringstream t, c, j, y;
  render(rows, Format::table, t, o);
  EXPECT_EQ(t.str(), "NAME       CALLS  NOTE\nAcme, Inc  3      say \"hi\"\nCafé       10\n");
  render(rows, Format::csv, c, o);
  EXPECT_EQ(c.str(), "name,calls,note\r\n\"Acme, Inc\",3,\"say \"\"hi\"\"\"\r\nCafé,10,\r\n");
  render(rows, Format::json, j, o);
  EXPECT_EQ(nlohmann::json::parse(j.str()), rows);
  render(nlohmann::json{{"a", "x"}}, Format::yaml, y, {});
  EXPECT_EQ(y.str(), "a: \"x\"\n");
  std::ostringstream empty;
  render(nlohmann::json::array(), Format::table, empty, {});
  EXPECT_EQ(empty.str(), "(none)\n");
  EXPECT_FALSE(parse_format("xml"));
}

#include "core/log.hpp"
#include "core/progress.hpp"
#include "support/fakes.hpp"

TEST(Logging, JsonLinesWithSecretsMasked) {
  std::ostringstream sink;
  auto red = std::make_shared<Redactor>();
  red->add("sk_live_supersecret_9876");
  Logger log(sink, LogLevel::info, LogFormat::json, red);
  log.debug("hidden at info level");
  log.info("calling with sk_live_supersecret_9876 to postgresql://u:pw12345@h/db");
  auto j = nlohmann::json::parse(sink.str());
  EXPECT_EQ(j["level"], "info");
  std::string msg = j["msg"];
  EXPECT_EQ(msg.find("supersecret"), std::string::npos);
  EXPECT_EQ(msg.find("pw12345"), std::string::npos);
  EXPECT_NE(msg.find("sk_\u20269876"), std::string::npos);
  std::ostringstream text;
  Logger t(text, LogLevel::warn, LogFormat::text, red);
  t.info("not shown");
  t.warn("shown");
  EXPECT_EQ(text.str(), "crmctl: warning: shown\n");
}

TEST(Logger, HostileBytesInAMessageStayOnOneInertLine) {
  auto red = std::make_shared<Redactor>();
  const std::string hostile = "tenant \"\x1b[2J\x1b]0;pwned\x07\" at /tmp/a\nb \xff\xfe \xc2\x9b" "1m "
                              "\xe2\x80\xae RLO";
  std::ostringstream text;
  Logger t(text, LogLevel::info, LogFormat::text, red);
  t.warn(hostile);
  const std::string line = text.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line; // one line
  for (char c : line.substr(0, line.size() - 1)) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "control byte " << int(u) << " in " << line;
  }
  EXPECT_EQ(line.find("\xe2\x80\xae"), std::string::npos); // bidi override escaped
  EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos);     // C1 CSI escaped
  EXPECT_EQ(line.find("\xff"), std::string::npos);          // invalid byte escaped
  EXPECT_NE(line.find("at /tmp/a"), std::string::npos);     // printable text kept
  std::ostringstream json;
  Logger j(json, LogLevel::info, LogFormat::json, red);
  j.warn(hostile);
  ASSERT_EQ(json.str().back(), '\n');
  auto parsed = nlohmann::json::parse(json.str()); // valid JSON despite the invalid UTF-8
  EXPECT_NE(parsed["msg"].get<std::string>().find("\x1b[2J"), std::string::npos);
  EXPECT_NE(parsed["msg"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos); // U+FFFD
}

TEST(Progress, DrawsOnlyOnATerminal) {
  test::TestIO tio;
  test::FakeClock clock;
  Progress p(tio.io, clock, 10, "migrate");
  p.update(2, 0, 1);
  EXPECT_EQ(tio.err.str(), "");
  clock.advance(std::chrono::milliseconds(4000));
  EXPECT_EQ(p.line(4, 1, 2),
            "migrate [############............] 5/10 done 4 failed 1 running 2 pending 3 ETA 4s");
  tio.io.stderr_tty = true;
  p.update(4, 1, 2);
  p.finish();
  EXPECT_NE(tio.err.str().find("5/10"), std::string::npos);
  EXPECT_EQ(tio.err.str().back(), '\n');
}
