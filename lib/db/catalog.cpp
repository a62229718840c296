#include "db/catalog.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace crm::db {
namespace {

// pg_get_expr qualifies a function only when its schema is not on the search_path, so the same
// policy prints as crm.current_org_id() or current_org_id(): compare without the qualifier.
std::string normal(std::string e) {
  for (std::size_t p; (p = e.find("crm.")) != std::string::npos;)
    e.erase(p, 4);
  return e;
}

// One row per table; policies, foreign keys and the application roles' privileges are JSON
// aggregates of the same row, so the whole catalog comes back in one round trip. The tenant
// column is the first of $1 the table has; $2 limits the schemas (empty: all but the system
// ones and crm); $3 are the application roles (roles that do not exist are left out of the
// privileges); $4 keeps tables marked crmctl:global.
constexpr const char* k_tenant_tables_sql = R"SQL(
WITH want AS (
  SELECT ARRAY(SELECT jsonb_array_elements_text($1::jsonb)) AS cols,
         ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) AS schemas,
         ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) AS apps,
         $4::boolean AS with_global
), rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
         c.relowner, coalesce(d.description, '') LIKE 'crmctl:global%' AS is_global,
         col.attname, col.atttypid, col.atttypmod, col.attnotnull
  FROM want
  CROSS JOIN pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                             AND d.objsubid = 0
  CROSS JOIN LATERAL (
    SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull
    FROM unnest(want.cols) WITH ORDINALITY AS u(name, ord)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = u.name AND a.attnum > 0
                       AND NOT a.attisdropped
    ORDER BY u.ord LIMIT 1) col
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crm')
    AND n.nspname NOT LIKE 'pg\_%'
    AND (cardinality(want.schemas) = 0 OR n.nspname = ANY (want.schemas))
)
SELECT r.oid::text AS oid, r.nspname AS s, r.relname AS t, r.relkind::text AS kind,
  r.relrowsecurity AS rls, r.relforcerowsecurity AS force, pg_get_userbyid(r.relowner) AS owner,
  r.is_global AS global, r.attname AS col, format_type(r.atttypid, r.atttypmod) AS coltype,
  r.attnotnull AS notnull,
  coalesce((SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i
            JOIN pg_class pc ON pc.oid = i.inhparent
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace
            WHERE i.inhrelid = r.oid AND pc.relkind = 'p' LIMIT 1), '') AS parent,
  EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc f ON f.oid = tg.tgfoid
          WHERE tg.tgrelid = r.oid AND NOT tg.tgisinternal AND tg.tgenabled <> 'D'
            AND (tg.tgtype::int & 19) = 19 AND strpos(f.prosrc, r.attname) > 0) AS guard,
  coalesce((SELECT json_agg(json_build_object(
      'name', p.polname, 'cmd', p.polcmd::text, 'permissive', p.polpermissive,
      'roles', (SELECT coalesce(json_agg(CASE WHEN x = 0 THEN 'public' ELSE pg_get_userbyid(x) END
                                         ORDER BY 1), '[]') FROM unnest(p.polroles) x),
      'using', coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
      -- Deparsing is the expensive part: an explicit WITH CHECK equal to USING is sent once.
      'check', CASE WHEN p.polwithcheck::text = p.polqual::text THEN NULL
                    ELSE coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') END)
      ORDER BY p.polname)
    FROM pg_policy p WHERE p.polrelid = r.oid), '[]') AS policies,
  coalesce((SELECT json_agg(json_build_object(
      'name', k.conname,
      'cols', (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
      'ref_schema', rn.nspname, 'ref_table', rc.relname,
      'ref_cols', (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                   JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n))
      ORDER BY k.conname)
    FROM pg_constraint k JOIN pg_class rc ON rc.oid = k.confrelid
    JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE k.conrelid = r.oid AND k.contype = 'f' AND k.conparentid = 0), '[]') AS fks,
  coalesce((SELECT json_object_agg(w.name,
      CASE WHEN has_table_privilege(w.name, r.oid, 'SELECT') THEN 'S' ELSE '' END ||
      CASE WHEN has_table_privilege(w.name, r.oid, 'INSERT') THEN 'I' ELSE '' END ||
      CASE WHEN has_table_privilege(w.name, r.oid, 'UPDATE') THEN 'U' ELSE '' END ||
      CASE WHEN has_table_privilege(w.name, r.oid, 'DELETE') THEN 'D' ELSE '' END)
    FROM unnest(want.apps) w(name)
    WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = w.name)), '{}') AS privs
FROM rel r CROSS JOIN want
WHERE want.with_global OR NOT r.is_global
ORDER BY 2, 3
)SQL";

void json_strings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
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

Result<std::vector<TenantTableRls>> tenant_table_rls(Tx& tx, const RlsExpectation& want) {
  nlohmann::json cols = want.tenant_columns, schemas = want.schemas, apps = want.app_roles;
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec(k_tenant_tables_sql,
              {cols.dump(), schemas.dump(), apps.dump(),
               std::string(want.global_tables == GlobalTables::include ? "true" : "false")}));
  static const std::map<std::string, std::string> k_cmd = {
      {"*", "ALL"}, {"r", "SELECT"}, {"a", "INSERT"}, {"w", "UPDATE"}, {"d", "DELETE"}};
  std::vector<TenantTableRls> out;
  out.reserve(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    TenantTableRls t;
    t.schema = r.get(i, "s");
    t.table = r.get(i, "t");
    t.oid = static_cast<std::uint32_t>(std::stoul(r.get(i, "oid")));
    t.kind = r.get(i, "kind").empty() ? 'r' : r.get(i, "kind")[0];
    t.parent = r.get(i, "parent");
    t.owner = r.get(i, "owner");
    t.global = r.get(i, "global") == "t";
    t.tenant_column = r.get(i, "col");
    t.tenant_column_type = r.get(i, "coltype");
    t.rls_enabled = r.get(i, "rls") == "t";
    t.rls_forced = r.get(i, "force") == "t";
    t.tenant_column_not_null = r.get(i, "notnull") == "t";
    t.guard_trigger = r.get(i, "guard") == "t";
    auto pols = nlohmann::json::parse(r.get(i, "policies"), nullptr, false);
    if (pols.is_array())
      for (const auto& j : pols) {
        PolicyInfo p;
        p.name = j.value("name", "");
        auto cmd = k_cmd.find(j.value("cmd", ""));
        p.command = cmd == k_cmd.end() ? j.value("cmd", "") : cmd->second;
        p.permissive = j.value("permissive", true);
        json_strings(j["roles"], p.roles);
        p.using_expr = j.value("using", "");
        p.check_expr = j["check"].is_null() ? p.using_expr : j.value("check", "");
        t.policies.push_back(std::move(p));
      }
    auto fks = nlohmann::json::parse(r.get(i, "fks"), nullptr, false);
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
    auto privs = nlohmann::json::parse(r.get(i, "privs"), nullptr, false);
    if (privs.is_object())
      for (auto it = privs.begin(); it != privs.end(); ++it) {
        std::string f = it.value().is_string() ? it.value().get<std::string>() : "";
        TablePrivileges p;
        p.select = f.find('S') != std::string::npos;
        p.insert = f.find('I') != std::string::npos;
        p.update = f.find('U') != std::string::npos;
        p.remove = f.find('D') != std::string::npos;
        t.privileges[it.key()] = p;
      }
    if (!t.global) add_problems(t, want);
    out.push_back(std::move(t));
  }
  return out;
}

} // namespace crm::db
