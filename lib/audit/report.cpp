// Results of an audit: fingerprints, overrides, allowlist and baseline; JSON, SARIF 2.1.0, JUnit
// XML, the human report and the fix SQL.
#include "audit/audit.hpp"
#include "core/crypto.hpp"
#include "core/output.hpp"
#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace crm::audit {
namespace {

std::size_t check_index(const std::string& id) {
  const auto& all = all_checks();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].id == id) return i;
  return all.size();
}

// `*` matches any run of characters; everything else literally.
bool glob(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

nlohmann::json input_json(const Input& in) {
  return {{"value", in.value}, {"source", in.source}};
}

nlohmann::json config_json(const Config& c, const std::string& kind) {
  nlohmann::json sev = nlohmann::json::object();
  for (const auto& [id, s] : c.severity)
    sev[id] = s ? std::string(severity_name(*s)) : std::string("off");
  nlohmann::json j = {{"tenant_columns", input_json(c.tenant_columns)},
                      {"app_roles", input_json(c.app_roles)},
                      {"gucs", input_json(c.gucs)},
                      {"bypass_roles", input_json(c.bypass_roles)},
                      {"schemas", input_json(c.schemas)},
                      {"global_tables", input_json(c.global_tables)},
                      {"severity_overrides", sev},
                      {"allowlist_entries", c.allow.size()}};
  if (kind == "data") {
    j["phone_columns"] = input_json(c.phone_columns);
    j["tenants_table"] = c.tenants_table;
  } else {
    j["probe_value"] = c.probe_value;
  }
  return j;
}

std::string level_of(Severity s) {
  switch (s) {
  case Severity::critical:
  case Severity::high:
    return "error";
  case Severity::medium:
    return "warning";
  case Severity::info:
    return "note";
  }
  return "note";
}

std::string security_severity(Severity s) {
  switch (s) {
  case Severity::critical:
    return "9.5";
  case Severity::high:
    return "7.5";
  case Severity::medium:
    return "5.0";
  case Severity::info:
    return "1.0";
  }
  return "1.0";
}

std::string sarif_kind(const std::string& object_type) {
  if (object_type == "function") return "function";
  if (object_type == "policy") return "member";
  if (object_type == "role") return "object";
  return "resource";
}

// RLS_DISABLED -> RlsDisabled (SARIF's rule name).
std::string camel(std::string_view id) {
  std::string out;
  bool up = true;
  for (char c : id) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    up = false;
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      if (u < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        char b[8];
        std::snprintf(b, sizeof b, "\\x%02x", u);
        out += b;
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string seconds(std::chrono::milliseconds ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return b;
}

bool fails(const Finding& f, std::optional<Severity> fail_on) {
  return !f.known && (!fail_on || f.severity >= *fail_on);
}

nlohmann::json probe_json(const ProbeSummary& p) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : p.results)
    results.push_back({{"table", r.table},
                       {"probe", r.probe},
                       {"outcome", std::string(outcome_name(r.outcome))},
                       {"detail", r.detail}});
  return {{"tables", p.tables},   {"denied", p.denied},
          {"leaks", p.leaks},     {"inconclusive", p.inconclusive},
          {"skipped", p.skipped}, {"jobs", p.jobs},
          {"writes", p.writes},   {"elapsed_ms", p.elapsed.count()},
          {"results", results}};
}

} // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
  case Outcome::denied:
    return "denied";
  case Outcome::leak:
    return "LEAK";
  case Outcome::inconclusive:
    return "inconclusive";
  case Outcome::skipped:
    return "skipped";
  }
  return "inconclusive";
}

void finalize(Report& report, const std::optional<std::set<std::string>>& baseline) {
  report.baseline = baseline.has_value();
  std::vector<Finding> kept;
  std::set<std::string> seen;
  for (auto& f : report.findings) {
    f.fingerprint = crypto::hex(crypto::sha256(f.check + "\n" + f.object)).substr(0, 16);
    if (!seen.insert(f.fingerprint).second) continue;
    if (auto it = report.config.severity.find(f.check); it != report.config.severity.end()) {
      if (!it->second) {
        report.suppressed.push_back({f, "check switched off in audit.severity"});
        continue;
      }
      f.severity = *it->second;
    }
    const AuditAllow* allowed = nullptr;
    for (const auto& a : report.config.allow)
      if (a.check == f.check && glob(a.object, f.object)) allowed = &a;
    if (allowed) {
      report.suppressed.push_back({f, "allowlisted: " + allowed->reason});
      continue;
    }
    f.known = baseline && baseline->count(f.fingerprint);
    kept.push_back(std::move(f));
  }
  std::sort(kept.begin(), kept.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.check != b.check) return check_index(a.check) < check_index(b.check);
    return a.object < b.object;
  });
  report.findings = std::move(kept);
}

Result<std::set<std::string>> parse_baseline(const std::string& text, const std::string& path) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::set<std::string> out;
  auto bad = [&] {
    return make_error(ErrorKind::usage,
                      "baseline " + path +
                          " is not an audit report: write one with `crmctl audit rls --format "
                          "json > " +
                          path + "` (or --format sarif)");
  };
  if (j.is_discarded() || !j.is_object()) return bad();
  if (j.contains("findings") && j["findings"].is_array()) {
    for (const auto& f : j["findings"])
      if (f.is_object() && f.contains("fingerprint") && f["fingerprint"].is_string())
        out.insert(f["fingerprint"].get<std::string>());
    return out;
  }
  if (j.contains("runs") && j["runs"].is_array()) {
    for (const auto& run : j["runs"])
      if (run.is_object() && run.contains("results") && run["results"].is_array())
        for (const auto& r : run["results"])
          if (r.is_object() && r.contains("partialFingerprints") &&
              r["partialFingerprints"].is_object() &&
              r["partialFingerprints"].contains("crmctl/v1"))
            out.insert(r["partialFingerprints"]["crmctl/v1"].get<std::string>());
    return out;
  }
  return bad();
}

std::size_t failing(const Report& report, Severity fail_on) {
  std::size_t n = 0;
  for (const auto& f : report.findings)
    if (fails(f, fail_on)) ++n;
  return n;
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json findings = nlohmann::json::array();
  std::map<std::string, std::size_t> by_severity = {
      {"critical", 0}, {"high", 0}, {"medium", 0}, {"info", 0}};
  std::size_t known = 0;
  for (const auto& f : r.findings) {
    ++by_severity[std::string(severity_name(f.severity))];
    if (f.known) ++known;
    findings.push_back({{"id", f.check},
                        {"severity", std::string(severity_name(f.severity))},
                        {"object", f.object},
                        {"object_type", f.object_type},
                        {"message", f.message},
                        {"fix", f.fix},
                        {"fix_sql", f.fix_sql},
                        {"fingerprint", f.fingerprint},
                        {"baseline", f.known ? "known" : "new"}});
  }
  nlohmann::json suppressed = nlohmann::json::array();
  for (const auto& s : r.suppressed)
    suppressed.push_back({{"id", s.finding.check},
                          {"severity", std::string(severity_name(s.finding.severity))},
                          {"object", s.finding.object},
                          {"fingerprint", s.finding.fingerprint},
                          {"reason", s.reason}});
  nlohmann::json summary = {
      {"tenant_tables", r.stats.tenant_tables}, {"global_tables", r.stats.global_tables},
      {"policies", r.stats.policies},           {"views", r.stats.views},
      {"functions", r.stats.functions},         {"round_trips", r.stats.round_trips},
      {"elapsed_ms", r.stats.elapsed.count()},  {"findings", r.findings.size()},
      {"new", r.findings.size() - known},       {"known", known},
      {"suppressed", r.suppressed.size()}};
  for (const auto& [k, v] : by_severity)
    summary[k] = v;
  nlohmann::json families = nlohmann::json::array();
  for (Family f : r.families)
    families.push_back(std::string(family_name(f)));
  nlohmann::json j = {{"audit", r.kind},
                      {"database", r.database},
                      {"server_version", r.server_version},
                      {"login_role", r.login_role},
                      {"configuration", config_json(r.config, r.kind)},
                      {"checks_run", families},
                      {"summary", summary},
                      {"findings", findings},
                      {"suppressed", suppressed},
                      {"notes", r.notes}};
  if (r.probe) j["probe"] = probe_json(*r.probe);
  return j;
}

std::string to_sarif(const Report& r, const std::string& tool_version) {
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, std::size_t> index;
  for (const auto& c : all_checks()) {
    index[std::string(c.id)] = rules.size();
    rules.push_back(
        {{"id", std::string(c.id)},
         {"name", camel(c.id)},
         {"shortDescription", {{"text", std::string(c.summary)}}},
         {"fullDescription", {{"text", std::string(c.summary)}}},
         {"help", {{"text", std::string(c.fix)}}},
         {"defaultConfiguration", {{"level", level_of(c.severity)}}},
         {"properties",
          {{"security-severity", security_severity(c.severity)},
           {"tags", {"security", "row-level-security", std::string(family_name(c.family))}},
           {"severity", std::string(severity_name(c.severity))}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : r.findings) {
    nlohmann::json res = {{"ruleId", f.check},
                          {"ruleIndex", index[f.check]},
                          {"level", level_of(f.severity)},
                          {"message", {{"text", f.message + ". Fix: " + f.fix}}},
                          {"locations",
                           {{{"logicalLocations",
                              {{{"name", f.object},
                                {"fullyQualifiedName", r.database + "/" + f.object},
                                {"kind", sarif_kind(f.object_type)}}}}}}},
                          {"partialFingerprints", {{"crmctl/v1", f.fingerprint}}},
                          {"properties",
                           {{"severity", std::string(severity_name(f.severity))},
                            {"security-severity", security_severity(f.severity)},
                            {"object_type", f.object_type}}}};
    if (!f.fix_sql.empty()) res["properties"]["fix_sql"] = f.fix_sql;
    if (r.baseline) res["baselineState"] = f.known ? "unchanged" : "new";
    results.push_back(std::move(res));
  }
  nlohmann::json run = {{"tool",
                         {{"driver",
                           {{"name", "crmctl"},
                            {"version", tool_version},
                            {"informationUri", "https://github.com/crmctl/crmctl"},
                            {"rules", rules}}}}},
                        {"automationDetails", {{"id", "crmctl/audit/" + r.kind + "/"}}},
                        {"invocations", {{{"executionSuccessful", true}}}},
                        {"results", results},
                        {"properties",
                         {{"database", r.database},
                          {"server_version", r.server_version},
                          {"login_role", r.login_role},
                          {"configuration", config_json(r.config, r.kind)}}}};
  nlohmann::json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                        {"version", "2.1.0"},
                        {"runs", {run}}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string to_junit(const Report& r, std::optional<Severity> fail_on) {
  struct Suite {
    std::string body;
    std::size_t tests = 0, failures = 0, skipped = 0;
  };
  std::map<Family, Suite> suites;
  for (Family f : r.families)
    suites[f];
  std::set<std::string> with_findings;
  for (const auto& f : r.findings) {
    const CheckInfo* c = find_check(f.check);
    Family fam = c ? c->family : Family::tables;
    Suite& s = suites[fam];
    with_findings.insert(f.check);
    ++s.tests;
    std::string cls =
        "crmctl.audit." + r.kind + "." + std::string(family_name(fam)) + "." + f.check;
    s.body += "    <testcase classname=\"" + xml_escape(cls) + "\" name=\"" + xml_escape(f.object) +
              "\" time=\"0\">\n";
    std::string text = "severity: " + std::string(severity_name(f.severity)) +
                       "\nobject: " + f.object + "\nfix: " + f.fix +
                       (f.fix_sql.empty() ? "" : "\nsql:\n" + f.fix_sql) +
                       "\nfingerprint: " + f.fingerprint;
    if (fails(f, fail_on)) {
      ++s.failures;
      s.body += "      <failure type=\"" + xml_escape(f.check) + "\" message=\"" +
                xml_escape(f.message) + "\">" + xml_escape(text) + "</failure>\n";
    } else {
      ++s.skipped;
      s.body += "      <skipped message=\"" +
                xml_escape(f.known ? "in the baseline" : "below --fail-on") + ": " +
                xml_escape(f.message) + "\"/>\n";
    }
    s.body += "    </testcase>\n";
  }
  for (const auto& c : all_checks()) {
    if (!r.families.count(c.family) || with_findings.count(std::string(c.id))) continue;
    Suite& s = suites[c.family];
    ++s.tests;
    s.body += "    <testcase classname=\"crmctl.audit." + r.kind + "." +
              std::string(family_name(c.family)) + "\" name=\"" + std::string(c.id) +
              "\" time=\"0\"/>\n";
  }
  std::size_t tests = 0, failures = 0, skipped = 0;
  for (const auto& [fam, s] : suites) {
    tests += s.tests;
    failures += s.failures;
    skipped += s.skipped;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"crmctl audit " + xml_escape(r.kind) + "\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
         seconds(r.stats.elapsed) + "\">\n";
  for (const auto& [fam, s] : suites) {
    out += "  <testsuite name=\"crmctl.audit." + xml_escape(r.kind) + "." +
           std::string(family_name(fam)) + "\" tests=\"" + std::to_string(s.tests) +
           "\" failures=\"" + std::to_string(s.failures) + "\" errors=\"0\" skipped=\"" +
           std::to_string(s.skipped) + "\" time=\"0\">\n";
    out += "    <properties>\n      <property name=\"database\" value=\"" + xml_escape(r.database) +
           "\"/>\n      <property name=\"login_role\" value=\"" + xml_escape(r.login_role) +
           "\"/>\n    </properties>\n";
    out += s.body;
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string to_text(const Report& r, std::optional<Severity> fail_on, bool color) {
  std::ostringstream o;
  auto list = [](const Input& in, const std::string& empty) {
    return (in.value.empty() ? empty : join(in.value)) + " (" + in.source + ")";
  };
  o << "crmctl audit " << r.kind << ": database " << escape_for_terminal(r.database)
    << " (PostgreSQL " << r.server_version << ") as " << escape_for_terminal(r.login_role) << "\n";
  const Config& c = r.config;
  o << "configured: tenant columns " << escape_for_terminal(list(c.tenant_columns, "none"))
    << "; app roles " << escape_for_terminal(list(c.app_roles, "none")) << "; GUCs "
    << escape_for_terminal(list(c.gucs, "none")) << "; bypass roles "
    << escape_for_terminal(list(c.bypass_roles, "none")) << "; schemas "
    << escape_for_terminal(list(c.schemas, "all")) << "; global tables "
    << escape_for_terminal(list(c.global_tables, "crmctl:global comments only"));
  if (r.kind == "data")
    o << "; phone columns " << escape_for_terminal(list(c.phone_columns, "none"))
      << "; tenants table " << escape_for_terminal(c.tenants_table);
  if (!c.severity.empty() || !c.allow.empty())
    o << "; " << c.severity.size() << " severity override(s), " << c.allow.size()
      << " allowlist entr" << (c.allow.size() == 1 ? "y" : "ies");
  o << "\n";
  o << "scanned: " << r.stats.tenant_tables << " tenant tables, " << r.stats.global_tables
    << " global, " << r.stats.policies << " policies, " << r.stats.views << " views, "
    << r.stats.functions << " functions in " << r.stats.round_trips << " round trips ("
    << seconds(r.stats.elapsed) << " s)\n";
  for (const auto& n : r.notes)
    o << "note: " << escape_for_terminal(n) << "\n";
  if (r.probe) {
    const ProbeSummary& p = *r.probe;
    o << "probe: " << p.tables << " tables (" << (p.writes ? "reads and writes" : "reads only")
      << ", " << p.jobs << " jobs, " << seconds(p.elapsed) << " s): " << p.denied << " denied, "
      << p.leaks << " LEAK, " << p.inconclusive << " inconclusive, " << p.skipped << " skipped\n";
  }
  if (!r.findings.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    std::set<std::string> ids;
    for (const auto& f : r.findings) {
      rows.push_back(
          {{"severity", std::string(severity_name(f.severity)) + (f.known ? " (known)" : "")},
           {"id", f.check},
           {"object", f.object},
           {"message", f.message}});
      ids.insert(f.check);
    }
    o << "\n";
    RenderOptions ro;
    ro.columns = {"severity", "id", "object", "message"};
    ro.color = color;
    render(rows, Format::table, o, ro);
    o << "\nfixes:\n";
    for (const auto& check : all_checks())
      if (ids.count(std::string(check.id))) o << "  " << check.id << ": " << check.fix << "\n";
  }
  std::map<Severity, std::size_t> by;
  std::size_t known = 0;
  for (const auto& f : r.findings) {
    ++by[f.severity];
    if (f.known) ++known;
  }
  o << "\n" << r.findings.size() << " finding(s)";
  std::string parts;
  for (Severity s : {Severity::critical, Severity::high, Severity::medium, Severity::info})
    if (by[s])
      parts +=
          (parts.empty() ? "" : ", ") + std::to_string(by[s]) + " " + std::string(severity_name(s));
  if (!parts.empty()) o << " (" << parts << ")";
  if (r.baseline) o << "; " << r.findings.size() - known << " new, " << known << " in the baseline";
  if (!r.suppressed.empty()) o << "; " << r.suppressed.size() << " suppressed by configuration";
  if (fail_on)
    o << "; --fail-on " << severity_name(*fail_on) << ": " << failing(r, *fail_on) << " failing";
  o << "\n";
  return o.str();
}

std::string fix_sql(const Report& r) {
  std::string out = "-- crmctl audit " + r.kind + " --fix-sql: database " + r.database + "\n" +
                    "-- The mechanical fixes of the findings below, in one transaction. Review, "
                    "then run:\n--   psql -v ON_ERROR_STOP=1 -f FILE\nBEGIN;\n";
  std::set<std::string> done;
  std::string manual;
  for (const auto& f : r.findings) {
    if (f.fix_sql.empty()) {
      manual += "-- " + f.check + " " + f.object + ": " + f.fix + "\n";
      continue;
    }
    out += "\n-- " + f.check + " " + f.object + "\n";
    if (done.insert(f.fix_sql).second)
      out += f.fix_sql + "\n";
    else
      out += "-- (same statement as above)\n";
  }
  out += "\nCOMMIT;\n";
  if (!manual.empty()) out += "\n-- Needs a human (no mechanical fix):\n" + manual;
  return out;
}

} // namespace crm::audit
