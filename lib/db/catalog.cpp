#include "db/catalog.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace crm::db {
namespace {

// pg_get_expr qualifies a function only when its schema is not on the search_path, so the same
// policy prints as crm.current_org_id() or current_org_id(): compare without the qualifier.
std::string normal(std::string e) {
  for (std::size_t p; (p = e.find("crm.")) != std::string::npos;)
    e.erase(p, 4);
  return e;
}

// The tenant tables: those relations (r, p) of the $2 schemas (empty: all but the system ones
// and crm) that have one of the $1 columns, the first of them by preference, with RLS state,
// owner, comment marker, partition parent, guard trigger, foreign keys and ACL. One row per
// table, set-based (the foreign keys aggregated once, no per-table queries). Arrays are bound as
// array literals so the planner sees their values.
constexpr const char* k_tables_sql = R"SQL(
SELECT DISTINCT ON (c.oid) c.oid::text AS oid, n.nspname AS s, c.relname AS t,
  c.relkind::text AS kind, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
  pg_get_userbyid(c.relowner) AS owner,
  coalesce(d.description, '') LIKE 'crmctl:global%' AS global, a.attname AS col,
  format_type(a.atttypid, a.atttypmod) AS coltype, a.attnotnull AS notnull,
  coalesce(pn.nspname || '.' || pc.relname, '') AS parent,
  EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc f ON f.oid = tg.tgfoid
          WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgenabled <> 'D'
            AND (tg.tgtype::int & 19) = 19 AND strpos(f.prosrc, a.attname) > 0) AS guard,
  coalesce(fk.fks, '[]') AS fks, coalesce(c.relacl::text, '') AS acl
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attname = ANY ($1::name[])
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                           AND d.objsubid = 0
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
LEFT JOIN pg_class pc ON pc.oid = i.inhparent AND pc.relkind = 'p'
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN (
  SELECT k.conrelid, json_agg(json_build_object(
      'name', k.conname,
      'cols', (SELECT json_agg(x.attname ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
               JOIN pg_attribute x ON x.attrelid = k.conrelid AND x.attnum = u.n),
      'ref_schema', rn.nspname, 'ref_table', rc.relname,
      'ref_cols', (SELECT json_agg(x.attname ORDER BY u.o)
                   FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                   JOIN pg_attribute x ON x.attrelid = k.confrelid AND x.attnum = u.n))
      ORDER BY k.conname) AS fks
  FROM pg_constraint k JOIN pg_class rc ON rc.oid = k.confrelid
  JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE k.contype = 'f' AND k.conparentid = 0
  GROUP BY k.conrelid) fk ON fk.conrelid = c.oid
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crm') AND n.nspname NOT LIKE 'pg\_%'
  AND (cardinality($2::text[]) = 0 OR n.nspname = ANY ($2::text[]))
  AND ($3::boolean OR coalesce(d.description, '') NOT LIKE 'crmctl:global%')
ORDER BY c.oid, array_position($1::text[], a.attname::text)
)SQL";

// The policies of the same schemas' tables, deparsed (pg_get_expr: most of the cost of reading
// RLS, as for any scan of pg_policy, and what parallel workers can share); those of tables without
// a tenant column are dropped by the caller, which also orders them.
constexpr const char* k_policies_sql = R"SQL(
SELECT p.polrelid::text AS oid, p.polname AS pol, p.polcmd::text AS cmd,
  p.polpermissive AS permissive, p.polroles::regrole[]::text AS roles,
  coalesce(pg_get_expr(p.polqual, p.polrelid), '') AS qual,
  coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS chk
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crm') AND n.nspname NOT LIKE 'pg\_%'
  AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1::text[]))
)SQL";

// A text[] literal: {"a","b \"c\""} (every element quoted, quotes and backslashes escaped).
std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& x : items) {
    out += out.size() > 1 ? ",\"" : "\"";
    for (char ch : x) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

// A role as regrole prints it: "-" for PUBLIC, a name double-quoted when it needs quotes.
std::string role_name(const std::string& regrole) {
  if (regrole == "-") return "public";
  if (regrole.size() < 2 || regrole.front() != '"' || regrole.back() != '"') return regrole;
  std::string out;
  for (std::size_t i = 1; i + 1 < regrole.size(); ++i) {
    out += regrole[i];
    if (regrole[i] == '"' && regrole[i + 1] == '"') ++i;
  }
  return out;
}

void json_strings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
}

// The elements of a one-dimensional array in PostgreSQL's text form ({a,"b c",NULL}): quoted
// elements unescaped (backslash), bare ones as written.
std::vector<std::string> pg_array(const std::string& text) {
  std::vector<std::string> out;
  if (text.size() < 2 || text.front() != '{') return out;
  std::size_t i = 1;
  while (i < text.size() && text[i] != '}') {
    std::string e;
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        e += text[i];
      }
      ++i; // closing quote
    } else {
      for (; i < text.size() && text[i] != ',' && text[i] != '}'; ++i)
        e += text[i];
    }
    out.push_back(std::move(e));
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

// One aclitem (grantee=privileges/grantor; no grantee for PUBLIC; names double-quoted when they
// need it): the grantee ("" for PUBLIC) and the privilege letters.
std::pair<std::string, std::string> acl_item(const std::string& item) {
  std::string grantee;
  std::size_t i = 0;
  if (!item.empty() && item[0] == '"') {
    for (i = 1; i < item.size(); ++i) {
      if (item[i] == '"') {
        if (i + 1 < item.size() && item[i + 1] == '"') {
          grantee += '"';
          ++i;
          continue;
        }
        ++i;
        break;
      }
      grantee += item[i];
    }
  } else {
    for (; i < item.size() && item[i] != '='; ++i)
      grantee += item[i];
  }
  std::string privs;
  if (i < item.size() && item[i] == '=') ++i;
  for (; i < item.size() && item[i] != '/'; ++i)
    privs += item[i];
  return {grantee, privs};
}

// What each application role listed in privileges_of may do to the table.
void add_privileges(TenantTableRls& t, const RlsExpectation& want) {
  for (const auto& app : want.app_roles)
    if (auto it = want.privileges_of.find(app); it != want.privileges_of.end())
      t.privileges[app] = privileges_for(t, it->second);
}

// Doctor's reading: the first application role's tables must be enabled, forced, NOT NULL and
// use only the expected predicate.
void add_problems(TenantTableRls& t, const RlsExpectation& want) {
  const std::string app = want.app_roles.empty() ? std::string() : want.app_roles.front();
  if (!t.rls_enabled) t.problems.push_back("row-level security is not enabled");
  if (!t.rls_forced) t.problems.push_back("row-level security is not forced");
  if (!t.tenant_column_not_null) t.problems.push_back(t.tenant_column + " is nullable");
  bool covered = false;
  for (const auto& p : t.policies) {
    bool applies = std::find(p.roles.begin(), p.roles.end(), app) != p.roles.end() ||
                   std::find(p.roles.begin(), p.roles.end(), "public") != p.roles.end();
    if (!applies || !p.permissive) continue;
    bool good_using = p.command == "INSERT" || normal(p.using_expr) == normal(want.predicate);
    bool good_check = p.command == "SELECT" || p.command == "DELETE" ||
                      normal(p.check_expr) == normal(want.predicate) ||
                      (p.check_expr.empty() && normal(p.using_expr) == normal(want.predicate));
    if (!good_using)
      t.problems.push_back("policy " + p.name + " lets " + app + " read with USING " +
                           (p.using_expr.empty() ? "(none)" : p.using_expr));
    else if (!good_check)
      t.problems.push_back("policy " + p.name + " lets " + app + " write with WITH CHECK " +
                           p.check_expr);
    else if (p.command == "ALL")
      covered = true;
  }
  if (!covered) t.problems.push_back("no policy for " + app + " with " + want.predicate);
}

} // namespace

TablePrivileges privileges_for(const TenantTableRls& t, const std::set<std::string>& roles) {
  TablePrivileges p;
  auto grant = [&](const std::string& letters) {
    p.select = p.select || letters.find('r') != std::string::npos;
    p.insert = p.insert || letters.find('a') != std::string::npos;
    p.update = p.update || letters.find('w') != std::string::npos;
    p.remove = p.remove || letters.find('d') != std::string::npos;
  };
  if (t.acl.empty()) {
    if (roles.count(t.owner)) grant("arwd"); // the default ACL: the owner has everything
    return p;
  }
  for (const auto& item : pg_array(t.acl)) {
    auto [grantee, letters] = acl_item(item);
    if (grantee.empty() || roles.count(grantee)) grant(letters);
  }
  return p;
}

std::set<std::string> privileged_roles(const std::vector<TenantTableRls>& tables) {
  std::set<std::string> out;
  for (const auto& t : tables) {
    if (t.global) continue;
    if (t.acl.empty()) {
      out.insert(t.owner);
      continue;
    }
    for (const auto& item : pg_array(t.acl)) {
      auto [grantee, letters] = acl_item(item);
      if (letters.find_first_of("rawd") != std::string::npos) out.insert(grantee);
    }
  }
  return out;
}

Result<std::vector<TenantTableRls>> tenant_table_rls(Tx& tx, const RlsExpectation& want) {
  const std::string schemas = array_literal(want.schemas);
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec(k_tables_sql,
              {array_literal(want.tenant_columns), schemas,
               std::string(want.global_tables == GlobalTables::include ? "true" : "false")}));
  CRM_TRY_ASSIGN(auto pr, tx.exec(k_policies_sql, {schemas}));
  // Fields are moved out of the rows (10,000 of them), by column positions looked up once.
  auto field = [](Rows& rows) {
    return [&rows](std::size_t row, std::size_t col) -> std::string {
      auto& v = rows.rows[row][col];
      return v ? std::move(*v) : std::string();
    };
  };
  auto f = field(r);
  const std::size_t c_oid = r.col("oid"), c_s = r.col("s"), c_t = r.col("t"),
                    c_kind = r.col("kind"), c_parent = r.col("parent"), c_owner = r.col("owner"),
                    c_global = r.col("global"), c_col = r.col("col"), c_coltype = r.col("coltype"),
                    c_rls = r.col("rls"), c_force = r.col("force"), c_notnull = r.col("notnull"),
                    c_guard = r.col("guard"), c_fks = r.col("fks"), c_acl = r.col("acl");
  std::vector<TenantTableRls> out;
  out.reserve(r.size());
  std::map<std::uint32_t, std::size_t> by_oid;
  for (std::size_t i = 0; i < r.size(); ++i) {
    TenantTableRls t;
    t.schema = f(i, c_s);
    t.table = f(i, c_t);
    t.oid = static_cast<std::uint32_t>(std::stoul(f(i, c_oid)));
    const std::string kind = f(i, c_kind);
    t.kind = kind.empty() ? 'r' : kind[0];
    t.parent = f(i, c_parent);
    t.owner = f(i, c_owner);
    t.global = f(i, c_global) == "t";
    t.tenant_column = f(i, c_col);
    t.tenant_column_type = f(i, c_coltype);
    t.rls_enabled = f(i, c_rls) == "t";
    t.rls_forced = f(i, c_force) == "t";
    t.tenant_column_not_null = f(i, c_notnull) == "t";
    t.guard_trigger = f(i, c_guard) == "t";
    if (const std::string fk_text = f(i, c_fks); fk_text != "[]") {
      auto fks = nlohmann::json::parse(fk_text, nullptr, false);
      if (fks.is_array())
        for (const auto& j : fks) {
          ForeignKeyInfo k;
          k.name = j.value("name", "");
          json_strings(j["cols"], k.columns);
          k.ref_schema = j.value("ref_schema", "");
          k.ref_table = j.value("ref_table", "");
          json_strings(j["ref_cols"], k.ref_columns);
          t.foreign_keys.push_back(std::move(k));
        }
    }
    t.acl = f(i, c_acl);
    add_privileges(t, want);
    by_oid[t.oid] = out.size();
    out.push_back(std::move(t));
  }
  static const std::map<std::string, std::string> k_cmd = {
      {"*", "ALL"}, {"r", "SELECT"}, {"a", "INSERT"}, {"w", "UPDATE"}, {"d", "DELETE"}};
  auto g = field(pr);
  const std::size_t p_oid = pr.col("oid"), p_pol = pr.col("pol"), p_cmd = pr.col("cmd"),
                    p_perm = pr.col("permissive"), p_roles = pr.col("roles"),
                    p_qual = pr.col("qual"), p_chk = pr.col("chk");
  for (std::size_t i = 0; i < pr.size(); ++i) {
    auto it = by_oid.find(static_cast<std::uint32_t>(std::stoul(g(i, p_oid))));
    if (it == by_oid.end()) continue; // not a tenant table
    PolicyInfo p;
    p.name = g(i, p_pol);
    const std::string command = g(i, p_cmd);
    auto cmd = k_cmd.find(command);
    p.command = cmd == k_cmd.end() ? command : cmd->second;
    p.permissive = g(i, p_perm) == "t";
    for (const auto& x : pg_array(g(i, p_roles)))
      p.roles.push_back(role_name(x));
    p.using_expr = g(i, p_qual);
    p.check_expr = g(i, p_chk);
    out[it->second].policies.push_back(std::move(p));
  }
  for (auto& t : out)
    std::sort(t.policies.begin(), t.policies.end(),
              [](const PolicyInfo& a, const PolicyInfo& b) { return a.name < b.name; });
  std::sort(out.begin(), out.end(), [](const TenantTableRls& a, const TenantTableRls& b) {
    return a.schema != b.schema ? a.schema < b.schema : a.table < b.table;
  });
  if (!want.predicate.empty())
    for (auto& t : out)
      if (!t.global) add_problems(t, want);
  return out;
}

} // namespace crm::db
