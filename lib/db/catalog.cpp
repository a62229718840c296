#include "db/catalog.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace crm::db {
namespace {

// pg_get_expr qualifies a function only when its schema is not on the search_path, so the same
// policy prints as crm.current_org_id() or current_org_id(): compare without the qualifier.
std::string normal(std::string e) {
  for (std::size_t p; (p = e.find("crm.")) != std::string::npos;)
    e.erase(p, 4);
  return e;
}

} // namespace

Result<std::vector<TenantTableRls>> tenant_table_rls(Tx& tx, const RlsExpectation& want) {
  nlohmann::json schemas = want.schemas;
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT n.nspname AS s, c.relname AS t, c.relrowsecurity AS rls, "
              "c.relforcerowsecurity AS force, a.attnotnull AS notnull, "
              "coalesce(p.polname, '') AS pol, coalesce(p.polcmd::text, '') AS cmd, "
              "coalesce(p.polpermissive, true) AS permissive, "
              "coalesce((SELECT string_agg(CASE WHEN x = 0 THEN 'public' "
              "  ELSE (SELECT rolname FROM pg_roles WHERE oid = x) END, ',' ORDER BY 1) "
              "  FROM unnest(p.polroles) x), '') AS roles, "
              "coalesce(pg_get_expr(p.polqual, p.polrelid), '') AS qual, "
              "coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS chk "
              "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
              "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped "
              "LEFT JOIN pg_policy p ON p.polrelid = c.oid "
              "WHERE c.relkind IN ('r', 'p') "
              "  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crm') "
              "  AND n.nspname NOT LIKE 'pg\\_%' "
              "  AND (jsonb_array_length($2::jsonb) = 0 OR n.nspname IN "
              "       (SELECT jsonb_array_elements_text($2::jsonb))) "
              "  AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%' "
              "ORDER BY 1, 2, 6",
              {want.tenant_column, schemas.dump()}));
  std::vector<TenantTableRls> out;
  std::map<std::string, std::size_t> index;
  static const std::map<std::string, std::string> k_cmd = {
      {"*", "ALL"}, {"r", "SELECT"}, {"a", "INSERT"}, {"w", "UPDATE"}, {"d", "DELETE"}};
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::string key = r.get(i, "s") + "." + r.get(i, "t");
    auto it = index.find(key);
    if (it == index.end()) {
      TenantTableRls t;
      t.schema = r.get(i, "s");
      t.table = r.get(i, "t");
      t.rls_enabled = r.get(i, "rls") == "t";
      t.rls_forced = r.get(i, "force") == "t";
      t.tenant_column_not_null = r.get(i, "notnull") == "t";
      it = index.emplace(key, out.size()).first;
      out.push_back(std::move(t));
    }
    if (r.get(i, "pol").empty()) continue;
    PolicyInfo p;
    p.name = r.get(i, "pol");
    auto cmd = k_cmd.find(r.get(i, "cmd"));
    p.command = cmd == k_cmd.end() ? r.get(i, "cmd") : cmd->second;
    p.permissive = r.get(i, "permissive") == "t";
    std::string roles = r.get(i, "roles");
    for (std::size_t b = 0; b <= roles.size();) {
      auto e = roles.find(',', b);
      if (e == std::string::npos) e = roles.size();
      if (e > b) p.roles.push_back(roles.substr(b, e - b));
      b = e + 1;
    }
    p.using_expr = r.get(i, "qual");
    p.check_expr = r.get(i, "chk");
    out[it->second].policies.push_back(std::move(p));
  }
  for (auto& t : out) {
    if (!t.rls_enabled) t.problems.push_back("row-level security is not enabled");
    if (!t.rls_forced) t.problems.push_back("row-level security is not forced");
    if (!t.tenant_column_not_null) t.problems.push_back(want.tenant_column + " is nullable");
    bool covered = false;
    for (const auto& p : t.policies) {
      bool applies = std::find(p.roles.begin(), p.roles.end(), want.app_role) != p.roles.end() ||
                     std::find(p.roles.begin(), p.roles.end(), "public") != p.roles.end();
      if (!applies || !p.permissive) continue;
      bool good_using = p.command == "INSERT" || normal(p.using_expr) == normal(want.predicate);
      bool good_check = p.command == "SELECT" || p.command == "DELETE" ||
                        normal(p.check_expr) == normal(want.predicate) ||
                        (p.check_expr.empty() && normal(p.using_expr) == normal(want.predicate));
      if (!good_using)
        t.problems.push_back("policy " + p.name + " lets " + want.app_role + " read with USING " +
                             (p.using_expr.empty() ? "(none)" : p.using_expr));
      else if (!good_check)
        t.problems.push_back("policy " + p.name + " lets " + want.app_role +
                             " write with WITH CHECK " + p.check_expr);
      else if (p.command == "ALL")
        covered = true;
    }
    if (!covered)
      t.problems.push_back("no policy for " + want.app_role + " with " + want.predicate);
  }
  return out;
}

} // namespace crm::db
