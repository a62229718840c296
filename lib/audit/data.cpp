// `audit data`: rows that already crossed a tenant boundary. One set-based statement per family
// (UNION ALL over the tables, in batches), whatever the number of tables.
#include "audit/audit.hpp"
#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace crm::audit {
namespace {

constexpr std::size_t k_batch = 200; // tables per UNION ALL statement

// Tables that hold a tenant's numbers and agents (tenant tables and the global routing).
const std::vector<std::string> k_resource_tables = {"phone_numbers", "agents", "number_routes",
                                                    "agent_routes"};
// Rows in these states no longer hold the resource.
constexpr const char* k_inactive = "('released', 'failed', 'disabled', 'deleted')";

std::string q(const std::string& schema, const std::string& name) {
  return db::quote_ident(schema) + "." + db::quote_ident(name);
}

std::string last4(const std::string& v) {
  return v.size() <= 4 ? v : "..." + v.substr(v.size() - 4);
}

// Runs `parts` (SELECT <i> AS i, <n> AS n ...) as UNION ALL in batches; returns i -> n for n > 0.
Result<std::map<std::size_t, long long>> counts(db::Tx& tx, const std::vector<std::string>& parts,
                                                std::size_t& trips) {
  std::map<std::size_t, long long> out;
  for (std::size_t b = 0; b < parts.size(); b += k_batch) {
    std::string sql;
    for (std::size_t i = b; i < parts.size() && i < b + k_batch; ++i)
      sql += (sql.empty() ? "" : " UNION ALL ") + parts[i];
    ++trips;
    CRM_TRY_ASSIGN(auto r, tx.exec(sql));
    for (std::size_t i = 0; i < r.size(); ++i) {
      long long n = std::stoll(r.get(i, "n"));
      if (n > 0) out[std::stoul(r.get(i, "i"))] = n;
    }
  }
  return out;
}

void add(Report& r, const std::string& check, const std::string& object, const std::string& type,
         const std::string& message) {
  const CheckInfo* c = find_check(check);
  Finding f;
  f.check = check;
  f.severity = c->severity;
  f.object = object;
  f.object_type = type;
  f.message = message;
  f.fix = std::string(c->fix);
  r.findings.push_back(std::move(f));
}

} // namespace

Result<void> check_data(Report& report, db::Connection& conn, const Catalog& cat,
                        const Config& cfg) {
  if (!cat.login_bypasses_rls)
    return make_error(ErrorKind::config,
                      "audit data reads every tenant's rows, but the login role " + cat.login_role +
                          " is subject to row-level security (it would see nothing and report "
                          "clean): run it as a role with BYPASSRLS or a superuser");
  report.families.insert(Family::data);
  std::size_t trips = 3;
  CRM_TRY_ASSIGN(auto tx, conn.admin({db::TxIsolation::repeatable_read, db::TxAccess::read_only}));

  std::vector<const db::TenantTableRls*> tables;
  std::vector<std::string> oids;
  std::map<std::string, const db::TenantTableRls*> by_name; // schema.table
  for (const auto& t : cat.tables) {
    oids.push_back(std::to_string(t.oid));
    by_name[t.schema + "." + t.table] = &t;
    if (!t.global) tables.push_back(&t);
  }
  // Which tables carry a phone column or a status column.
  std::vector<std::string> wanted = cfg.phone_columns.value;
  wanted.push_back("status");
  ++trips;
  CRM_TRY_ASSIGN(auto attrs,
                 tx->exec("SELECT attrelid::text AS oid, attname AS col FROM pg_attribute "
                          "WHERE attrelid IN (SELECT jsonb_array_elements_text($1::jsonb)::oid) "
                          "AND attname IN (SELECT jsonb_array_elements_text($2::jsonb)) "
                          "AND attnum > 0 AND NOT attisdropped",
                          {nlohmann::json(oids).dump(), nlohmann::json(wanted).dump()}));
  std::map<std::uint32_t, std::set<std::string>> cols;
  for (std::size_t i = 0; i < attrs.size(); ++i)
    cols[static_cast<std::uint32_t>(std::stoul(attrs.get(i, "oid")))].insert(attrs.get(i, "col"));
  auto has = [&](const db::TenantTableRls& t, const std::string& c) {
    auto it = cols.find(t.oid);
    return it != cols.end() && it->second.count(c);
  };
  auto active = [&](const db::TenantTableRls& t, const std::string& alias) {
    return has(t, "status") ? " AND (" + alias + ".status IS NULL OR " + alias +
                                  ".status::text NOT IN " + std::string(k_inactive) + ")"
                            : std::string();
  };

  // ORPHAN_ROWS: a NULL tenant column (only nullable columns can hold one).
  std::vector<std::string> parts;
  std::vector<const db::TenantTableRls*> orphan_tables;
  for (const auto* t : tables) {
    if (t->tenant_column_not_null) continue;
    parts.push_back("SELECT " + std::to_string(orphan_tables.size()) +
                    " AS i, count(*) AS n FROM " + q(t->schema, t->table) + " WHERE " +
                    db::quote_ident(t->tenant_column) + " IS NULL");
    orphan_tables.push_back(t);
  }
  CRM_TRY_ASSIGN(auto orphans, counts(*tx, parts, trips));
  for (const auto& [i, n] : orphans) {
    const auto* t = orphan_tables[i];
    add(report, "ORPHAN_ROWS", t->schema + "." + t->table, "table",
        std::to_string(n) + " row(s) of " + t->schema + "." + t->table + " have no tenant (" +
            t->tenant_column + " IS NULL)");
  }

  // XTENANT_DUPLICATE_PHONE: one number held by several tenants, across every table with the
  // column (schema tenants keep one table per schema).
  for (const auto& pc : cfg.phone_columns.value) {
    std::string unions;
    std::set<std::string> names;
    for (const auto* t : tables) {
      if (!has(*t, pc)) continue;
      names.insert(t->table);
      unions += std::string(unions.empty() ? "" : " UNION ALL ") + "SELECT x." +
                db::quote_ident(pc) + "::text AS v, x." + db::quote_ident(t->tenant_column) +
                "::text AS t FROM " + q(t->schema, t->table) + " x WHERE x." + db::quote_ident(pc) +
                " IS NOT NULL AND x." + db::quote_ident(t->tenant_column) + " IS NOT NULL" +
                active(*t, "x");
    }
    if (unions.empty()) continue;
    ++trips;
    CRM_TRY_ASSIGN(auto d, tx->exec("SELECT count(*) AS numbers, min(v) AS example, "
                                    "coalesce(max(tenants), 0) AS most FROM (SELECT v, "
                                    "count(DISTINCT t) AS tenants FROM (" +
                                    unions + ") u GROUP BY v HAVING count(DISTINCT t) > 1) d"));
    long long n = std::stoll(d.get(0, "numbers"));
    if (n > 0)
      add(report, "XTENANT_DUPLICATE_PHONE", pc, "column",
          std::to_string(n) + " number(s) in " + pc + " (" +
              join(std::vector<std::string>(names.begin(), names.end())) +
              ") belong to more than one tenant (e.g. " + last4(d.get(0, "example")) + " in " +
              d.get(0, "most") + " tenants)");
  }

  // XTENANT_REFERENCE: rows whose foreign key (without the tenant column) lands in another
  // tenant's row.
  parts.clear();
  std::vector<std::pair<const db::TenantTableRls*, const db::ForeignKeyInfo*>> refs;
  for (const auto* t : tables)
    for (const auto& fk : t->foreign_keys) {
      auto it = by_name.find(fk.ref_schema + "." + fk.ref_table);
      if (it == by_name.end() || it->second->global) continue;
      const auto* ref = it->second;
      bool scoped = false;
      std::string on;
      for (std::size_t i = 0; i < fk.columns.size() && i < fk.ref_columns.size(); ++i) {
        scoped = scoped ||
                 (fk.columns[i] == t->tenant_column && fk.ref_columns[i] == ref->tenant_column);
        on += std::string(on.empty() ? "" : " AND ") + "c." + db::quote_ident(fk.columns[i]) +
              " = p." + db::quote_ident(fk.ref_columns[i]);
      }
      if (scoped || on.empty()) continue;
      parts.push_back("SELECT " + std::to_string(refs.size()) + " AS i, count(*) AS n FROM " +
                      q(t->schema, t->table) + " c JOIN " + q(ref->schema, ref->table) + " p ON " +
                      on + " WHERE c." + db::quote_ident(t->tenant_column) +
                      " IS DISTINCT FROM p." + db::quote_ident(ref->tenant_column));
      refs.push_back({t, &fk});
    }
  CRM_TRY_ASSIGN(auto crossed, counts(*tx, parts, trips));
  for (const auto& [i, n] : crossed) {
    const auto& [t, fk] = refs[i];
    add(report, "XTENANT_REFERENCE", t->schema + "." + t->table + "/" + fk->name, "foreign_key",
        std::to_string(n) + " row(s) of " + t->schema + "." + t->table + " reference rows of " +
            fk->ref_schema + "." + fk->ref_table + " that belong to another tenant (" + fk->name +
            ")");
  }

  // DELETED_TENANT_REFERENCE: numbers, agents and routes of deleted or missing tenants.
  auto dot = cfg.tenants_table.find('.');
  std::string ts = dot == std::string::npos ? "public" : cfg.tenants_table.substr(0, dot);
  std::string tn = dot == std::string::npos ? cfg.tenants_table : cfg.tenants_table.substr(dot + 1);
  ++trips;
  CRM_TRY_ASSIGN(auto tcols,
                 tx->exec("SELECT a.attname AS col FROM pg_attribute a WHERE a.attrelid = "
                          "to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND a.attnum > "
                          "0 AND NOT a.attisdropped AND a.attname IN ('id', 'status', "
                          "'deleted_at')",
                          {ts, tn}));
  std::set<std::string> tc;
  for (std::size_t i = 0; i < tcols.size(); ++i)
    tc.insert(tcols.get(i, "col"));
  if (!tc.count("id")) {
    if (cfg.tenants_table_explicit)
      return make_error(ErrorKind::config, "audit.tenants_table " + cfg.tenants_table +
                                               " does not exist or has no id column: fix it "
                                               "(schema.table of the tenants, keyed by id)");
    report.notes.push_back("deleted-tenant check skipped: no " + cfg.tenants_table +
                           " with an id column (set audit.tenants_table)");
  } else {
    std::string gone = "o.id IS NULL";
    if (tc.count("status")) gone += " OR o.status = 'deleted'";
    if (tc.count("deleted_at")) gone += " OR o.deleted_at IS NOT NULL";
    parts.clear();
    std::vector<const db::TenantTableRls*> res;
    for (const auto& t : cat.tables) {
      bool named = false;
      for (const auto& n : k_resource_tables)
        named = named || t.table == n;
      if (!named || (t.schema == ts && t.table == tn)) continue;
      parts.push_back("SELECT " + std::to_string(res.size()) + " AS i, count(*) AS n FROM " +
                      q(t.schema, t.table) + " x LEFT JOIN " + q(ts, tn) + " o ON o.id = x." +
                      db::quote_ident(t.tenant_column) + " WHERE x." +
                      db::quote_ident(t.tenant_column) + " IS NOT NULL AND (" + gone + ")" +
                      active(t, "x"));
      res.push_back(&t);
    }
    CRM_TRY_ASSIGN(auto dangling, counts(*tx, parts, trips));
    for (const auto& [i, n] : dangling) {
      const auto* t = res[i];
      add(report, "DELETED_TENANT_REFERENCE", t->schema + "." + t->table, "table",
          std::to_string(n) + " row(s) of " + t->schema + "." + t->table +
              " belong to a deleted or missing tenant of " + cfg.tenants_table);
    }
  }
  report.stats.round_trips += trips;
  return {};
}

} // namespace crm::audit
