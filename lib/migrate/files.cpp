// Migration files: parsing, checksums, statement splitting, lint.
#include "core/crypto.hpp"
#include "core/units.hpp"
#include "core/text.hpp"
#include "db/sql.hpp"
#include "migrate/migrate.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace crm::migrate {
namespace fs = std::filesystem;

std::string normalise(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xEF &&
      static_cast<unsigned char>(bytes[1]) == 0xBB && static_cast<unsigned char>(bytes[2]) == 0xBF)
    bytes.remove_prefix(3);
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    out.push_back(bytes[i]);
  }
  return out;
}

std::string checksum(std::string_view bytes) {
  return crypto::hex(crypto::sha256(normalise(bytes)));
}

Result<Migration> parse_migration(const std::string& filename, const std::string& text,
                                  Track track) {
  static const std::regex k_versioned(R"(^(\d{14})_([a-z0-9_]+)\.sql$)");
  static const std::regex k_repeatable(R"(^R__([a-z0-9_]+)\.sql$)");
  std::string base = fs::path(filename).filename().string();
  Migration m;
  m.track = track;
  m.file = filename;
  std::smatch sm;
  if (std::regex_match(base, sm, k_versioned)) {
    m.version = sm[1];
    m.name = sm[2];
  } else if (std::regex_match(base, sm, k_repeatable)) {
    m.version = "R__" + sm[1].str();
    m.name = sm[1];
    m.repeatable = true;
  } else {
    return make_error(ErrorKind::usage,
                      "migration file name '" + filename +
                          "' is out of pattern: use YYYYMMDDHHMMSS_name.sql or R__name.sql "
                          "(lower-case letters, digits, underscores)");
  }
  std::string norm = normalise(text);
  m.checksum = crypto::hex(crypto::sha256(norm));
  std::istringstream in(norm);
  std::string line, up, down;
  bool in_down = false;
  while (std::getline(in, line)) {
    std::string t = line;
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
      t.pop_back();
    if (t.rfind("-- crmctl:", 0) == 0) {
      std::string d = t.substr(10);
      if (d == "down") {
        in_down = true;
        continue;
      }
      auto eq = d.find('=');
      std::string k = d.substr(0, eq), v = eq == std::string::npos ? "" : d.substr(eq + 1);
      if (k == "tx") {
        if (v == "none")
          m.tx = TxMode::none;
        else if (v != "on")
          return make_error(ErrorKind::usage, filename + ": directive tx takes 'none' or 'on'");
      } else if (k == "lock_timeout" || k == "statement_timeout") {
        auto dur = parse_duration(v);
        if (!dur) return make_error(ErrorKind::usage, filename + ": " + dur.error().message);
        (k == "lock_timeout" ? m.lock_timeout : m.statement_timeout) = *dur;
      } else if (k == "role") {
        if (v != "login" && v != "owner")
          return make_error(ErrorKind::usage, filename + ": directive role takes login or owner");
        m.run_as_login = v == "login";
      } else {
        return make_error(ErrorKind::usage, filename + ": unknown directive 'crmctl:" + k +
                                                "' (known: tx, lock_timeout, statement_timeout, "
                                                "role, down)");
      }
      continue;
    }
    (in_down ? down : up) += line + "\n";
  }
  m.up_sql = up;
  m.down_sql = down.find_first_not_of(" \t\n") == std::string::npos ? "" : down;
  if (m.repeatable && m.tx == TxMode::none)
    return make_error(ErrorKind::usage, filename + ": repeatable files must be transactional");
  return m;
}

Result<MigrationSet> load_migrations(const std::string& dir) {
  MigrationSet set;
  set.dir = dir;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec))
    return make_error(ErrorKind::config,
                      "migrations directory '" + dir +
                          "' does not exist: pass --migrations-dir DIR (with global/ and tenant/) "
                          "or set migrations_dir in the profile");
  bool any = false;
  for (auto [sub, track] :
       {std::pair{"global", Track::global}, std::pair{"tenant", Track::tenant}}) {
    fs::path p = fs::path(dir) / sub;
    if (!fs::is_directory(p, ec)) continue;
    any = true;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(p, ec))
      if ((e.is_regular_file() || e.is_symlink()) && e.path().extension() == ".sql")
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    auto& list = track == Track::global ? set.global : set.tenant;
    for (const auto& f : files) {
      auto text = read_file(f.string(), "migration file");
      if (!text) return make_error(ErrorKind::config, text.error().message);
      CRM_TRY_ASSIGN(Migration m, parse_migration(f.string(), *text, track));
      list.push_back(std::move(m));
    }
    std::stable_sort(list.begin(), list.end(), [](const Migration& a, const Migration& b) {
      if (a.repeatable != b.repeatable) return !a.repeatable;
      return a.version < b.version;
    });
    for (std::size_t i = 1; i < list.size(); ++i)
      if (list[i].version == list[i - 1].version)
        return make_error(ErrorKind::usage, "two migration files share version " + list[i].version +
                                                ": " + list[i - 1].file + " and " + list[i].file);
  }
  if (!any)
    return make_error(ErrorKind::config, "migrations directory '" + dir +
                                             "' has neither global/ nor tenant/ subdirectories");
  return set;
}

std::vector<std::string> split_statements(const std::string& sql) {
  std::vector<std::string> out;
  std::string cur;
  std::size_t i = 0, n = sql.size();
  auto flush = [&] {
    if (cur.find_first_not_of(" \t\r\n") != std::string::npos) {
      auto b = cur.find_first_not_of(" \t\r\n");
      out.push_back(cur.substr(b));
    }
    cur.clear();
  };
  while (i < n) {
    // comments are dropped; literals, quoted identifiers and dollar quotes kept whole
    if (const db::SqlSpanAt span = db::sql_span_at(sql, i); span.kind != db::SqlSpan::none) {
      if (span.kind != db::SqlSpan::comment) cur.append(sql, i, span.end - i);
      i = span.end;
      continue;
    }
    const char c = sql[i];
    if (c == ';') {
      flush();
      ++i;
      continue;
    }
    cur.push_back(c);
    ++i;
  }
  flush();
  return out;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}
} // namespace

std::vector<LintFinding> lint(const Migration& m) {
  std::vector<LintFinding> out;
  std::string file = fs::path(m.file).filename().string();
  auto stmts = split_statements(m.up_sql);
  std::string all;
  for (const auto& s : stmts)
    all += lower(s) + ";\n";
  static const std::regex k_create_table(
      R"re(create\s+table\s+(?:if\s+not\s+exists\s+)?("?[\w.]+"?)\s*\(([\s\S]*))re");
  static const std::regex k_index(R"(create\s+(?:unique\s+)?index\s+(?!concurrently))");
  static const std::regex k_not_null_add(R"(add\s+column\s+[^;]*\bnot\s+null\b)");
  static const std::regex k_drop(R"(\bdrop\s+(table|column|schema)\b)");
  for (const auto& raw : stmts) {
    std::string s = lower(raw);
    std::smatch sm;
    if (m.track == Track::tenant && std::regex_search(s, sm, k_create_table)) {
      std::string table = sm[1];
      table.erase(std::remove(table.begin(), table.end(), '"'), table.end());
      std::string bare =
          table.substr(table.rfind('.') == std::string::npos ? 0 : table.rfind('.') + 1);
      if (sm[2].str().find("org_id") == std::string::npos)
        out.push_back({"high", "TENANT_TABLE_NO_ORG_ID", file,
                       "tenant table " + table + " has no org_id column"});
      else {
        auto has = [&](const std::string& pat) {
          // crm.enable_tenant_rls('t') does ENABLE, FORCE and the canonical policy at once.
          return std::regex_search(all, std::regex(pat)) ||
                 std::regex_search(
                     all, std::regex("crm\\.enable_tenant_rls\\(\\s*'\"?" + bare + "\"?'"));
        };
        if (!has("alter\\s+table\\s+(only\\s+)?\"?" + bare +
                 "\"?\\s+enable\\s+row\\s+level\\s+security"))
          out.push_back(
              {"high", "TENANT_TABLE_NO_RLS", file,
               "tenant table " + table + " is created without ENABLE ROW LEVEL SECURITY"});
        if (!has("alter\\s+table\\s+(only\\s+)?\"?" + bare +
                 "\"?\\s+force\\s+row\\s+level\\s+security"))
          out.push_back({"high", "TENANT_TABLE_RLS_NOT_FORCED", file,
                         "tenant table " + table + " is created without FORCE ROW LEVEL SECURITY"});
        if (!has("create\\s+policy\\s+\\w+\\s+on\\s+\"?" + bare + "\"?\\b"))
          out.push_back({"high", "TENANT_TABLE_NO_POLICY", file,
                         "tenant table " + table + " has no policy in this file"});
      }
    }
    static const std::regex k_index_on(R"re(\bon\s+(?:only\s+)?"?([\w.]+)"?)re");
    std::smatch on;
    bool new_table =
        std::regex_search(s, on, k_index_on) &&
        std::regex_search(all, std::regex("create\\s+table\\s+(if\\s+not\\s+exists\\s+)?\"?" +
                                          on[1].str() + "\"?\\s*\\("));
    if (std::regex_search(s, k_index) && !new_table)
      out.push_back({"medium", "INDEX_WITHOUT_CONCURRENTLY", file,
                     "CREATE INDEX without CONCURRENTLY blocks writes on big tables: use "
                     "CONCURRENTLY in a -- crmctl:tx=none file"});
    if (std::regex_search(s, k_not_null_add) && s.find("default") == std::string::npos)
      out.push_back({"medium", "NOT_NULL_WITHOUT_DEFAULT", file,
                     "ADD COLUMN ... NOT NULL without DEFAULT fails on non-empty tables"});
    if (std::regex_search(s, sm, k_drop))
      out.push_back({"info", "DROP", file, "drops a " + sm[1].str() + ": data loss is permanent"});
  }
  return out;
}

Result<std::string> new_file(const std::string& dir, Track track, const std::string& name,
                             TimePoint now) {
  static const std::regex k_name(R"(^[a-z0-9_]{1,80}$)");
  if (!std::regex_match(name, k_name))
    return make_error(ErrorKind::usage, "migration name '" + name +
                                            "' must be lower-case letters, digits and underscores");
  std::time_t tt = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char ts[16];
  std::strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
  fs::path p = fs::path(dir) / (track == Track::global ? "global" : "tenant");
  std::error_code ec;
  fs::create_directories(p, ec);
  p /= std::string(ts) + "_" + name + ".sql";
  if (fs::exists(p, ec)) return make_error(ErrorKind::conflict, p.string() + " already exists");
  std::ofstream f(p);
  f << "-- " << name << " (" << (track == Track::global ? "global" : "tenant")
    << " track)\n-- Directives: -- crmctl:tx=none | lock_timeout=5s | statement_timeout=10m | "
       "role=login\n"
    << (track == Track::tenant
            ? "-- Tenant tables: org_id uuid NOT NULL, keys and FKs include org_id, ENABLE + FORCE "
              "RLS,\n-- CREATE POLICY tenant_isolation ... USING (org_id = crm.current_org_id()), "
              "the org_id guard trigger.\n"
            : "")
    << "\n-- crmctl:down\n";
  if (!f) return make_error(ErrorKind::config, "cannot write " + p.string());
  return p.string();
}

} // namespace crm::migrate
