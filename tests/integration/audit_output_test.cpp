// The audit's machine formats, on a real report: SARIF 2.1.0 validated structurally, JUnit XML
// parsed by a strict well-formedness reader (what CI tools load), the JSON shape.
#include "support/audit_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>

using namespace crm;
using test::AuditDatabase;

namespace {

// ---- a strict little XML reader: elements, attributes, text, the five entities, &#N; ------

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<Element>> children;
  std::string text;
  std::vector<const Element*> all(const std::string& n) const {
    std::vector<const Element*> out;
    for (const auto& c : children)
      if (c->name == n) out.push_back(c.get());
    return out;
  }
};

class Xml {
public:
  explicit Xml(std::string s) : m_s(std::move(s)) {}
  // The root element; a test failure (and nullptr) when the document is not well-formed.
  std::unique_ptr<Element> parse() {
    skip_ws();
    if (m_s.compare(m_i, 5, "<?xml") == 0) {
      auto e = m_s.find("?>", m_i);
      if (e == std::string::npos) return fail("unterminated XML declaration");
      m_i = e + 2;
    }
    skip_ws();
    auto root = element();
    if (!root) return nullptr;
    skip_ws();
    if (m_i != m_s.size()) return fail("content after the root element");
    return root;
  }

private:
  std::unique_ptr<Element> fail(const std::string& what) {
    ADD_FAILURE() << "XML not well-formed at " << m_i << ": " << what;
    return nullptr;
  }
  void skip_ws() {
    while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i])))
      ++m_i;
  }
  std::string name() {
    std::size_t b = m_i;
    while (m_i < m_s.size() &&
           (std::isalnum(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '_' ||
            m_s[m_i] == '-' || m_s[m_i] == '.' || m_s[m_i] == ':'))
      ++m_i;
    return m_s.substr(b, m_i - b);
  }
  bool decode(std::string_view raw, std::string& out) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '<') return false;
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
      if (c != '&') {
        out += c;
        continue;
      }
      auto semi = raw.find(';', i);
      if (semi == std::string_view::npos) return false;
      std::string ent(raw.substr(i + 1, semi - i - 1));
      static const std::map<std::string, char> k = {
          {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
      if (auto it = k.find(ent); it != k.end())
        out += it->second;
      else if (ent.size() > 1 && ent[0] == '#')
        out += '?';
      else
        return false;
      i = semi;
    }
    return true;
  }
  std::unique_ptr<Element> element() {
    if (m_i >= m_s.size() || m_s[m_i] != '<') return fail("expected '<'");
    ++m_i;
    auto e = std::make_unique<Element>();
    e->name = name();
    if (e->name.empty()) return fail("empty element name");
    for (;;) {
      skip_ws();
      if (m_i >= m_s.size()) return fail("unterminated start tag");
      if (m_s.compare(m_i, 2, "/>") == 0) {
        m_i += 2;
        return e;
      }
      if (m_s[m_i] == '>') {
        ++m_i;
        break;
      }
      std::string a = name();
      if (a.empty() || m_i >= m_s.size() || m_s[m_i] != '=') return fail("bad attribute");
      ++m_i;
      if (m_s[m_i] != '"' && m_s[m_i] != '\'') return fail("unquoted attribute");
      char q = m_s[m_i++];
      auto end = m_s.find(q, m_i);
      if (end == std::string::npos) return fail("unterminated attribute");
      std::string v;
      if (!decode(std::string_view(m_s).substr(m_i, end - m_i), v))
        return fail("bad attribute value");
      if (e->attrs.count(a)) return fail("duplicate attribute " + a);
      e->attrs[a] = v;
      m_i = end + 1;
    }
    for (;;) {
      auto lt = m_s.find('<', m_i);
      if (lt == std::string::npos) return fail("unterminated element " + e->name);
      if (!decode(std::string_view(m_s).substr(m_i, lt - m_i), e->text))
        return fail("bad text in " + e->name);
      m_i = lt;
      if (m_s.compare(m_i, 2, "</") == 0) {
        m_i += 2;
        std::string close = name();
        if (close != e->name) return fail("</" + close + "> closes <" + e->name + ">");
        skip_ws();
        if (m_i >= m_s.size() || m_s[m_i] != '>') return fail("bad end tag");
        ++m_i;
        return e;
      }
      auto child = element();
      if (!child) return nullptr;
      e->children.push_back(std::move(child));
    }
  }
  std::string m_s;
  std::size_t m_i = 0;
};

audit::Report policies_report() {
  AuditDatabase db("policies.sql");
  EXPECT_TRUE(db.ok());
  audit::Flags f;
  f.app_roles = {"aud_pol_app"};
  f.gucs = {"app.current_org_id"};
  f.bypass_roles = {"aud_pol_svc"};
  auto run = test::audit_static(db.conn(), test::audit_config(f));
  EXPECT_TRUE(run) << (run ? "" : run.error().message);
  return run ? run->report : audit::Report{};
}

} // namespace

TEST(AuditOutput, SarifHasThe210Structure) {
  auto report = policies_report();
  ASSERT_FALSE(report.findings.empty());
  auto j = nlohmann::json::parse(audit::to_sarif(report, "1.2.3"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["version"], "2.1.0");
  ASSERT_TRUE(j["$schema"].is_string());
  EXPECT_NE(j["$schema"].get<std::string>().find("sarif-2.1.0"), std::string::npos);
  ASSERT_TRUE(j["runs"].is_array());
  ASSERT_EQ(j["runs"].size(), 1u);
  const auto& run = j["runs"][0];
  const auto& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "crmctl");
  EXPECT_EQ(driver["version"], "1.2.3");
  ASSERT_TRUE(driver["rules"].is_array());
  std::set<std::string> rule_ids;
  for (const auto& r : driver["rules"]) {
    ASSERT_TRUE(r["id"].is_string());
    EXPECT_TRUE(rule_ids.insert(r["id"].get<std::string>()).second) << "duplicate rule " << r;
    EXPECT_TRUE(r["shortDescription"]["text"].is_string());
    EXPECT_TRUE(r["help"]["text"].is_string());
    std::string level = r["defaultConfiguration"]["level"];
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note") << level;
  }
  EXPECT_EQ(rule_ids.size(), audit::all_checks().size());
  ASSERT_TRUE(run["results"].is_array());
  EXPECT_EQ(run["results"].size(), report.findings.size());
  for (const auto& res : run["results"]) {
    ASSERT_TRUE(res["ruleId"].is_string());
    EXPECT_TRUE(rule_ids.count(res["ruleId"].get<std::string>()));
    std::size_t idx = res["ruleIndex"];
    EXPECT_EQ(driver["rules"][idx]["id"], res["ruleId"]);
    std::string level = res["level"];
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note") << level;
    EXPECT_FALSE(res["message"]["text"].get<std::string>().empty());
    ASSERT_TRUE(res["locations"].is_array());
    ASSERT_FALSE(res["locations"].empty());
    const auto& loc = res["locations"][0]["logicalLocations"][0];
    EXPECT_FALSE(loc["name"].get<std::string>().empty());
    EXPECT_TRUE(loc["fullyQualifiedName"].is_string());
    EXPECT_EQ(res["partialFingerprints"]["crmctl/v1"].get<std::string>().size(), 16u);
    EXPECT_FALSE(res.contains("baselineState")); // no baseline given
  }
  EXPECT_EQ(run["invocations"][0]["executionSuccessful"], true);
}

TEST(AuditOutput, JunitIsWellFormedWithSuitesCasesAndFailures) {
  auto report = policies_report();
  ASSERT_FALSE(report.findings.empty());
  // A finding with markup in its message must not break the XML.
  report.findings.front().message += " <b>&amp;\"quoted\"</b> \x01";
  std::string xml = audit::to_junit(report, audit::Severity::high);
  auto root = Xml(xml).parse();
  ASSERT_TRUE(root) << xml;
  EXPECT_EQ(root->name, "testsuites");
  auto suites = root->all("testsuite");
  ASSERT_EQ(suites.size(), 3u); // tables, policies, bypass
  std::size_t tests = 0, failures = 0, skipped = 0;
  for (const auto* s : suites) {
    std::size_t cases = 0, fails = 0, skips = 0;
    for (const auto* c : s->all("testcase")) {
      ++cases;
      EXPECT_TRUE(c->attrs.count("classname"));
      EXPECT_TRUE(c->attrs.count("name"));
      fails += c->all("failure").size();
      skips += c->all("skipped").size();
      for (const auto* f : c->all("failure")) {
        EXPECT_TRUE(f->attrs.count("message"));
        EXPECT_TRUE(f->attrs.count("type"));
        EXPECT_NE(f->text.find("fix: "), std::string::npos);
      }
    }
    EXPECT_EQ(std::to_string(cases), s->attrs.at("tests")) << s->attrs.at("name");
    EXPECT_EQ(std::to_string(fails), s->attrs.at("failures")) << s->attrs.at("name");
    EXPECT_EQ(std::to_string(skips), s->attrs.at("skipped")) << s->attrs.at("name");
    tests += cases;
    failures += fails;
    skipped += skips;
  }
  EXPECT_EQ(std::to_string(tests), root->attrs.at("tests"));
  EXPECT_EQ(std::to_string(failures), root->attrs.at("failures"));
  // --fail-on high: the critical and high findings fail, medium ones are skipped.
  EXPECT_EQ(failures, audit::failing(report, audit::Severity::high));
  EXPECT_EQ(failures + skipped, report.findings.size());
  EXPECT_GT(skipped, 0u);
}

TEST(AuditOutput, JsonIsSnakeCaseWithTheConfigurationHeader) {
  auto report = policies_report();
  auto j = audit::to_json(report);
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& v) {
    if (v.is_object())
      for (auto it = v.begin(); it != v.end(); ++it) {
        for (char c : it.key())
          EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << it.key();
        walk(it.value());
      }
    else if (v.is_array())
      for (const auto& x : v)
        walk(x);
  };
  // Severity overrides are keyed by check id (upper case by design): checked apart.
  auto copy = j;
  copy["configuration"].erase("severity_overrides");
  walk(copy);
  EXPECT_EQ(j["audit"], "rls");
  EXPECT_EQ(j["configuration"]["app_roles"]["value"], nlohmann::json::array({"aud_pol_app"}));
  EXPECT_EQ(j["configuration"]["app_roles"]["source"], "flag");
  EXPECT_EQ(j["configuration"]["tenant_columns"]["source"], "default");
  EXPECT_EQ(j["summary"]["findings"], report.findings.size());
  for (const auto& f : j["findings"])
    for (const char* k :
         {"id", "severity", "object", "object_type", "message", "fix", "fingerprint", "baseline"})
      EXPECT_TRUE(f.contains(k)) << k;
}
