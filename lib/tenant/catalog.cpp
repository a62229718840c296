#include "tenant/catalog.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace crm::tenant {

Result<std::vector<std::string>> tenant_tables(db::Tx& c, const std::string& schema) {
  CRM_TRY_ASSIGN(
      auto r,
      c.exec(
          "SELECT t.relname AS name FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
          "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_id' AND NOT "
          "a.attisdropped "
          "WHERE n.nspname = $1 AND t.relkind IN ('r', 'p') "
          "AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%' ORDER BY "
          "1",
          {schema}));
  CRM_TRY_ASSIGN(
      auto fk,
      c.exec(
          "SELECT t.relname AS child, p.relname AS parent FROM pg_constraint k "
          "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
          "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE k.contype = 'f' AND n.nspname = $1 "
          "AND p.relnamespace = t.relnamespace AND t.oid <> p.oid",
          {schema}));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < r.size(); ++i)
    names.push_back(r.get(i, "name"));
  std::map<std::string, std::set<std::string>> children; // parent -> children
  for (std::size_t i = 0; i < fk.size(); ++i)
    children[fk.get(i, "parent")].insert(fk.get(i, "child"));
  // Children before parents: repeatedly take a table none of whose children remain.
  std::vector<std::string> out;
  std::set<std::string> left(names.begin(), names.end());
  while (!left.empty()) {
    bool progressed = false;
    for (const auto& n : names) {
      if (!left.count(n)) continue;
      bool ready = std::none_of(children[n].begin(), children[n].end(),
                                [&](const auto& ch) { return left.count(ch) > 0; });
      if (ready) {
        out.push_back(n);
        left.erase(n);
        progressed = true;
      }
    }
    if (!progressed) { // a cycle: fall back to name order for the rest
      for (const auto& n : names)
        if (left.count(n)) out.push_back(n);
      break;
    }
  }
  return out;
}

Result<std::vector<std::string>> tenant_tables(db::Connection& c, const std::string& schema) {
  CRM_TRY_ASSIGN(auto tx, c.admin());
  return tenant_tables(*tx, schema);
}

} // namespace crm::tenant
