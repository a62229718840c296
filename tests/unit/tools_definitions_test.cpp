// Tool definitions as code: parsing with file and line in every error, placeholders, the
// definition hash, the comparison with what Vapi returns, native interceptor types.
#include "core/exit_codes.hpp"
#include "tools/definitions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace crm;
using nlohmann::json;

namespace {

const tools::Values k_values = {{"backend_url", "https://api.clinic.test"}};

std::string tool_text(const std::string& name, const std::string& url = "{{backend_url}}/t") {
  return "{\n  \"type\": \"function\",\n  \"function\": {\n    \"name\": \"" + name +
         "\",\n    \"description\": \"d\",\n    \"parameters\": {\"type\": \"object\", "
         "\"properties\": {\"q\": {\"type\": \"string\"}}, \"required\": [\"q\"]}\n  },\n"
         "  \"server\": {\"url\": \"" +
         url + "\"}\n}\n";
}

std::string error_of(const std::string& text, const std::string& file,
                     ErrorKind kind = ErrorKind::usage, const tools::Values& v = k_values) {
  auto d = tools::parse_definition(text, file, v);
  EXPECT_FALSE(d) << text;
  if (d) return "";
  EXPECT_EQ(d.error().kind, kind) << d.error().message;
  return d.error().message;
}

bool has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

TEST(ToolDefinitions, ParsesFillsPlaceholdersAndHashesCanonically) {
  auto d = tools::parse_definition(tool_text("lookupCaller"), "dir/lookupCaller.json", k_values);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->name, "lookupCaller");
  EXPECT_EQ(d->body["server"]["url"], "https://api.clinic.test/t");
  EXPECT_EQ(d->hash.size(), 64u);
  EXPECT_EQ(d->hash, tools::definition_hash(d->body));
  // Whitespace and key order do not change the hash; a value does.
  auto same = tools::parse_definition(
      R"({"server":{"url":"{{ backend_url }}/t"},"function":{"parameters":{"required":["q"],)"
      R"("properties":{"q":{"type":"string"}},"type":"object"},"description":"d",)"
      R"("name":"lookupCaller"},"type":"function"})",
      "lookupCaller.json", k_values);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->hash, d->hash);
  auto other = tools::parse_definition(tool_text("lookupCaller"), "lookupCaller.json",
                                       {{"backend_url", "https://elsewhere.test"}});
  ASSERT_TRUE(other);
  EXPECT_NE(other->hash, d->hash);
}

TEST(ToolDefinitions, MalformedFilesNameFileAndLineAndAreUsageErrors) {
  auto m = error_of("{\n  \"type\": \"function\",\n  \"function\": {\n    \"name\": \"x\",\n  }\n}",
                    "tools/x.json");
  EXPECT_TRUE(has(m, "tools/x.json: line 5")) << m;
  EXPECT_TRUE(has(m, "invalid JSON")) << m;
  EXPECT_EQ(exit_code_for(ErrorKind::usage), 2);

  auto native = error_of("{\n\"type\": \"google.calendar.event.create\"\n}", "x.json");
  EXPECT_TRUE(has(native, "x.json: line 2")) << native;
  EXPECT_TRUE(has(native, "function tools only")) << native;
  auto mismatch = error_of(tool_text("lookupCaller"), "tools/lookup.json");
  EXPECT_TRUE(has(mismatch, "line 4")) << mismatch;
  EXPECT_TRUE(has(mismatch, "name the file lookupCaller.json")) << mismatch;
  auto badname = error_of(tool_text("look up"), "look up.json");
  EXPECT_TRUE(has(badname, "function.name must be")) << badname;
  auto array = error_of("[1, 2]", "a.json");
  EXPECT_TRUE(has(array, "must be a JSON object")) << array;
  auto id = error_of(R"({"type":"function","id":"abc","function":{"name":"a"}})", "a.json");
  EXPECT_TRUE(has(id, "\"id\" is set by Vapi")) << id;
  auto url = error_of(tool_text("a", "ftp://x"), "a.json");
  EXPECT_TRUE(has(url, "server.url must be an http(s) URL")) << url;
  auto required = error_of(
      R"({"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{},)"
      R"("required":["nope"]}}})",
      "a.json");
  EXPECT_TRUE(has(required, "required must list names of properties")) << required;
  auto deep = error_of(std::string(5000, '[') + std::string(5000, ']'), "deep.json");
  EXPECT_FALSE(deep.empty());
}

TEST(ToolDefinitions, PlaceholderWithoutValueIsAConfigErrorNamingTheProfileKey) {
  auto m = error_of(tool_text("a"), "a.json", ErrorKind::config, {});
  EXPECT_TRUE(has(m, "a.json: line 8")) << m;
  EXPECT_TRUE(has(m, "{{backend_url}} has no value")) << m;
  EXPECT_TRUE(has(m, "tools.backend_url")) << m;
  auto v = error_of(tool_text("a", "{{backend_url}}/{{clinic_id}}"), "a.json", ErrorKind::config);
  EXPECT_TRUE(has(v, "tools.values.clinic_id")) << v;
  auto ok = tools::parse_definition(tool_text("a", "{{backend_url}}/{{clinic_id}}"), "a.json",
                                    {{"backend_url", "https://b.test"}, {"clinic_id", "c42"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->body["server"]["url"], "https://b.test/c42");
  auto weird = error_of(tool_text("a", "{{Backend-URL}}/x"), "a.json");
  EXPECT_TRUE(has(weird, "not a valid name")) << weird;
}

TEST(ToolDefinitions, TheShippedTemplatesLoadWithABackendUrl) {
  auto defs =
      tools::load_definitions(std::string(CRM_SOURCE_DIR) + "/templates/tools", k_values);
  ASSERT_TRUE(defs) << defs.error().message;
  std::vector<std::string> names;
  for (const auto& d : *defs) {
    names.push_back(d.name);
    EXPECT_EQ(d.body["server"]["url"].get<std::string>().rfind("https://api.clinic.test/", 0), 0u)
        << d.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"bookClinicAppointment", "checkAvailability",
                                             "getKnowledgeBase", "lookupCaller", "transferCall"}));
  auto none = tools::load_definitions(std::string(CRM_SOURCE_DIR) + "/templates/tools", {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::config);
  auto missing = tools::load_definitions("/nonexistent/tools", k_values);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::usage);
}

TEST(ToolDefinitions, RemoteMatchIgnoresVapiFieldsButNotChangedOrMissingOnes) {
  json local = {{"type", "function"},
                {"function", {{"name", "a"}, {"parameters", {{"type", "object"}}}}},
                {"server", {{"url", "https://b/x"}, {"timeoutSeconds", 20}}}};
  json remote = local;
  remote["id"] = "t1";
  remote["orgId"] = "o";
  remote["createdAt"] = "2026-01-01T00:00:00.000Z";
  remote["async"] = false;
  remote["server"]["timeoutSeconds"] = 20.0;
  EXPECT_TRUE(tools::matches_remote(local, remote));
  remote["function"]["description"] = "added in the dashboard";
  EXPECT_TRUE(tools::matches_remote(local, remote)); // a field we do not set
  json edited = remote;
  edited["server"]["url"] = "https://evil/x";
  EXPECT_FALSE(tools::matches_remote(local, edited));
  json dropped = remote;
  dropped["function"].erase("parameters");
  EXPECT_FALSE(tools::matches_remote(local, dropped));
  json list = {{"a", json::array({1, 2})}};
  EXPECT_FALSE(tools::matches_remote(list, {{"a", json::array({1, 2, 3})}}));
}

TEST(ToolDefinitions, NativeInterceptorTypes) {
  for (const char* t : {"google.calendar.event.create", "google.calendar.availability.check",
                        "google.sheets.row.append", "gohighlevel.contact.get", "ghl", "make",
                        "slack.message.send", "query"})
    EXPECT_TRUE(tools::is_native_interceptor(t)) << t;
  for (const char* t : {"function", "endCall", "transferCall", "dtmf", "apiRequest", ""})
    EXPECT_FALSE(tools::is_native_interceptor(t)) << t;
}
