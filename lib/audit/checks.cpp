// The static checks of `audit rls`: tables, policies (on analysed expression trees) and bypass
// paths, all in memory on a loaded catalog.
#include "audit/audit.hpp"
#include "audit/expr.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

namespace crm::audit {
namespace {

std::string qualified(const std::string& schema, const std::string& name) {
  return db::quote_ident(schema) + "." + db::quote_ident(name);
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// User-defined functions by name, for resolving the helpers a policy calls.
class FunctionIndex {
public:
  explicit FunctionIndex(const std::vector<FunctionInfo>& fns) {
    m_defs.reserve(fns.size());
    for (const auto& f : fns) {
      FunctionDef d;
      d.schema = to_lower(f.schema);
      d.name = to_lower(f.name);
      d.arg_names = f.arg_names;
      d.language = f.language;
      d.body = f.body;
      prepare_function(d);
      m_nargs.push_back(f.nargs);
      m_defs.push_back(std::move(d));
      std::size_t i = m_defs.size() - 1;
      m_by_qualified[m_defs[i].schema + "." + m_defs[i].name].push_back(i);
      m_by_name[m_defs[i].name].push_back(i);
    }
  }
  // pg_get_expr leaves a function unqualified when its schema is on the search_path (public);
  // an unqualified name found elsewhere only is taken when it is unambiguous.
  const FunctionDef* find(const std::vector<std::string>& names, std::size_t nargs) const {
    if (names.empty()) return nullptr;
    const std::vector<std::size_t>* cands = nullptr;
    if (names.size() >= 2) {
      auto it = m_by_qualified.find(names[names.size() - 2] + "." + names.back());
      if (it != m_by_qualified.end()) cands = &it->second;
    } else if (auto it = m_by_qualified.find("public." + names.back());
               it != m_by_qualified.end()) {
      cands = &it->second;
    } else if (auto jt = m_by_name.find(names.back()); jt != m_by_name.end()) {
      std::set<std::string> schemas;
      for (auto i : jt->second)
        schemas.insert(m_defs[i].schema);
      if (schemas.size() == 1) cands = &jt->second;
    }
    if (!cands) return nullptr;
    for (auto i : *cands)
      if (nargs == k_any_arity || m_nargs[i] == nargs) return &m_defs[i];
    return nullptr;
  }
  FunctionLookup lookup() const {
    return [this](const std::vector<std::string>& n, std::size_t k) { return find(n, k); };
  }

private:
  std::vector<FunctionDef> m_defs;
  std::vector<std::size_t> m_nargs;
  std::unordered_map<std::string, std::vector<std::size_t>> m_by_qualified, m_by_name;
};

struct Analysed {
  bool parsed = false;
  std::string error;
  ExprFacts facts;
};

// One policy with its expressions analysed.
struct PolicyFacts {
  const db::PolicyInfo* policy = nullptr;
  bool app = false; // applies to an application role
  bool has_using = false, has_check = false;
  Analysed using_, check;
};

const std::vector<std::string> k_all_commands = {"SELECT", "INSERT", "UPDATE", "DELETE"};

std::vector<std::string> commands_of(const std::string& cmd) {
  return cmd == "ALL" ? k_all_commands : std::vector<std::string>{cmd};
}

class Checker {
public:
  Checker(const Catalog& cat, const Config& cfg, Report& report)
      : m_cat(cat), m_cfg(cfg), m_report(report), m_functions(cat.functions) {}

  Result<void> run() {
    for (const auto& t : m_cat.tables)
      if (!t.global) {
        m_tenant_oids[t.oid] = &t;
        m_by_name[t.schema + '\x1f' + t.table] = &t;
      }
    for (const auto& t : m_cat.tables) {
      if (t.global) {
        ++m_report.stats.global_tables;
        global_table(t);
        continue;
      }
      ++m_report.stats.tenant_tables;
      m_report.stats.policies += t.policies.size();
      table(t);
    }
    views();
    functions();
    roles();
    m_report.stats.views = m_cat.views.size();
    m_report.stats.functions = m_cat.functions.size();
    return guc_configured();
  }

private:
  void add(const std::string& check, const std::string& object, const std::string& type,
           const std::string& message, const std::string& sql = {},
           std::optional<Severity> severity = std::nullopt) {
    const CheckInfo* c = find_check(check);
    Finding f;
    f.check = check;
    f.severity = severity ? *severity : c->severity;
    f.object = object;
    f.object_type = type;
    f.message = message;
    f.fix = std::string(c->fix);
    f.fix_sql = sql;
    m_report.findings.push_back(std::move(f));
  }

  bool is_app(const std::string& r) const { return contains(m_cfg.app_roles.value, r); }

  bool applies(const db::PolicyInfo& p) const {
    if (contains(p.roles, "public")) return true;
    for (const auto& a : m_cfg.app_roles.value) {
      auto it = m_cat.privileges_of.find(a);
      for (const auto& r : p.roles)
        if (r == a || (it != m_cat.privileges_of.end() && it->second.count(r))) return true;
    }
    return false;
  }
  bool bypasses(const std::string& role) const {
    if (contains(m_cfg.bypass_roles.value, role)) return true;
    auto it = m_cat.roles.find(role);
    return it != m_cat.roles.end() && (it->second.super || it->second.bypassrls);
  }

  const Analysed& analyse_expr(const std::string& text, const db::TenantTableRls& t) {
    std::string key = text + '\x1f' + t.table + '\x1f' + t.tenant_column;
    auto it = m_cache.find(key);
    if (it != m_cache.end()) return it->second;
    Analysed a;
    auto e = parse_expr(text);
    if (e) {
      PolicyContext ctx{t.table, t.tenant_column, m_functions.lookup()};
      a.parsed = true;
      a.facts = analyse(expand_helpers(*e, ctx.lookup), ctx);
    } else {
      a.error = e.error().message;
    }
    return m_cache.emplace(std::move(key), std::move(a)).first->second;
  }

  // The tenant predicate as SQL for fixes: crm.current_org_id() when it exists and fits, the
  // GUC with nullif otherwise.
  std::string tenant_value_sql(const db::TenantTableRls& t) const {
    bool has_helper = m_functions.find({"crm", "current_org_id"}, 0) != nullptr;
    if (has_helper && t.tenant_column_type == "uuid" && contains(m_cfg.gucs.value, k_tenancy_guc))
      return "crm.current_org_id()";
    std::string guc = k_tenancy_guc;
    for (const auto& g : m_cfg.gucs.value)
      if (g.find('*') == std::string::npos) {
        guc = g;
        break;
      }
    std::string lit;
    for (char ch : guc)
      lit += ch == '\'' ? std::string("''") : std::string(1, ch);
    return "nullif(current_setting('" + lit + "', true), '')::" + t.tenant_column_type;
  }
  std::string app_roles_sql() const {
    std::string s;
    for (const auto& a : m_cfg.app_roles.value)
      s += (s.empty() ? "" : ", ") + db::quote_ident(a);
    return s;
  }
  std::string policy_sql(const db::TenantTableRls& t, const std::string& name,
                         const std::string& kind) const {
    std::string q = qualified(t.schema, t.table);
    std::string pred = "(" + db::quote_ident(t.tenant_column) + " = " + tenant_value_sql(t) + ")";
    return "DROP POLICY IF EXISTS " + db::quote_ident(name) + " ON " + q + ";\nCREATE POLICY " +
           db::quote_ident(name) + " ON " + q + " AS " + kind + " FOR ALL TO " + app_roles_sql() +
           " USING " + pred + " WITH CHECK " + pred + ";";
  }
  std::string guard_sql(const db::TenantTableRls& t) const {
    std::string q = qualified(t.schema, t.table);
    bool canonical =
        t.tenant_column == "org_id" && m_functions.find({"crm", "org_id_immutable"}, 0) != nullptr;
    std::string fn;
    std::string out;
    if (canonical) {
      fn = "crm.org_id_immutable()";
    } else {
      fn = qualified(t.schema, "crmctl_" + t.tenant_column + "_immutable") + "()";
      std::string c = db::quote_ident(t.tenant_column);
      out = "CREATE OR REPLACE FUNCTION " + fn +
            " RETURNS trigger LANGUAGE plpgsql AS $crmctl$\nBEGIN\n  IF NEW." + c +
            " IS DISTINCT FROM OLD." + c +
            " THEN\n    RAISE EXCEPTION 'the tenant column is immutable on %.%', "
            "TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '42501';\n  END IF;\n  RETURN "
            "NEW;\nEND $crmctl$;\n";
    }
    std::string trig = db::quote_ident(t.tenant_column + "_immutable");
    return out + "DROP TRIGGER IF EXISTS " + trig + " ON " + q + ";\nCREATE TRIGGER " + trig +
           " BEFORE UPDATE ON " + q + " FOR EACH ROW EXECUTE FUNCTION " + fn + ";";
  }

  void global_table(const db::TenantTableRls& t) {
    std::string obj = t.schema + "." + t.table;
    for (const auto& [role, p] : t.privileges)
      if (p.select)
        add("GLOBAL_TABLE_READABLE", obj, "table",
            obj + " is global (" + t.tenant_column + " of every tenant) and " + role +
                " can SELECT it",
            "REVOKE SELECT ON " + qualified(t.schema, t.table) + " FROM " + db::quote_ident(role) +
                ";");
  }

  void table(const db::TenantTableRls& t) {
    const std::string obj = t.schema + "." + t.table;
    const std::string q = qualified(t.schema, t.table);
    // RLS state.
    if (!t.rls_enabled) {
      std::string sql = "ALTER TABLE " + q + " ENABLE ROW LEVEL SECURITY;\nALTER TABLE " + q +
                        " FORCE ROW LEVEL SECURITY;";
      // Enabled without a policy, the table would deny everything: add the tenant policy too.
      if (t.policies.empty()) sql += "\n" + policy_sql(t, "tenant_isolation", "PERMISSIVE");
      if (!t.parent.empty())
        add("PARTITION_CHILD_RLS_OFF", obj, "table",
            obj + " is a partition of " + t.parent + " with row-level security disabled", sql);
      else
        add("RLS_DISABLED", obj, "table", obj + " has row-level security disabled", sql);
    } else {
      if (!t.rls_forced)
        add("RLS_NOT_FORCED", obj, "table",
            obj + " enables but does not force row-level security (owner " + t.owner + ")",
            "ALTER TABLE " + q + " FORCE ROW LEVEL SECURITY;");
      if (t.policies.empty())
        add("RLS_NO_POLICY", obj, "table",
            obj + " has row-level security enabled and no policy: every query is denied",
            policy_sql(t, "tenant_isolation", "PERMISSIVE"));
    }
    if (t.rls_enabled && !t.rls_forced)
      for (const auto& a : m_cfg.app_roles.value) {
        auto it = m_cat.member_of.find(a);
        bool reach = a == t.owner || (it != m_cat.member_of.end() && it->second.count(t.owner));
        if (reach)
          add("OWNER_REACHABLE_BYPASS", obj, "table",
              a == t.owner ? a + " owns " + obj + ", which does not force RLS"
                           : a + " is a member of " + t.owner + ", the owner of " + obj +
                                 ", which does not force RLS",
              "ALTER TABLE " + q + " FORCE ROW LEVEL SECURITY;");
      }
    if (!t.tenant_column_not_null)
      add("ORG_ID_NULLABLE", obj, "table", obj + "." + t.tenant_column + " is nullable",
          "-- fails while rows have no tenant: see `crmctl audit data`\nALTER TABLE " + q +
              " ALTER COLUMN " + db::quote_ident(t.tenant_column) + " SET NOT NULL;");
    if (!t.guard_trigger)
      add("ORG_ID_MUTABLE", obj, "table",
          obj + "." + t.tenant_column + " can be changed by UPDATE (no guard trigger)",
          guard_sql(t));
    foreign_keys(t);
    policies(t);
  }

  void foreign_keys(const db::TenantTableRls& t) {
    for (const auto& fk : t.foreign_keys) {
      auto rit = m_by_name.find(fk.ref_schema + '\x1f' + fk.ref_table);
      if (rit == m_by_name.end()) continue;
      const db::TenantTableRls* ref = rit->second;
      bool scoped = false;
      for (std::size_t i = 0; i < fk.columns.size() && i < fk.ref_columns.size(); ++i)
        if (fk.columns[i] == t.tenant_column && fk.ref_columns[i] == ref->tenant_column)
          scoped = true;
      if (!scoped)
        add("TENANT_FK_NOT_SCOPED", t.schema + "." + t.table + "/" + fk.name, "foreign_key",
            t.schema + "." + t.table + " (" + join(fk.columns) + ") references " + fk.ref_schema +
                "." + fk.ref_table + " (" + join(fk.ref_columns) + ") without " + t.tenant_column);
    }
  }

  // The side of a policy that decides `cmd`: USING for SELECT/DELETE, WITH CHECK (or USING when
  // absent) for INSERT, both for UPDATE. An expression that did not parse gets the benefit of
  // the doubt (POLICY_NOT_ANALYSED says so).
  static bool side_isolates(const PolicyFacts& f, const std::string& cmd) {
    auto iso = [](const Analysed& a) { return !a.parsed || a.facts.isolating; };
    const Analysed& chk = f.has_check ? f.check : f.using_;
    if (cmd == "SELECT" || cmd == "DELETE") return f.has_using && iso(f.using_);
    if (cmd == "INSERT") return (f.has_check || f.has_using) && iso(chk);
    return f.has_using && iso(f.using_) && iso(chk);
  }
  static bool isolates(const PolicyFacts& f) {
    if (f.policy->command == "INSERT") return side_isolates(f, "INSERT");
    return f.has_using && (!f.using_.parsed || f.using_.facts.isolating);
  }

  void policies(const db::TenantTableRls& t) {
    const std::string obj = t.schema + "." + t.table;
    std::vector<PolicyFacts> pf;
    for (const auto& p : t.policies) {
      PolicyFacts f;
      f.policy = &p;
      f.app = applies(p);
      f.has_using = !p.using_expr.empty();
      f.has_check = !p.check_expr.empty();
      if (f.has_using) f.using_ = analyse_expr(p.using_expr, t);
      if (f.has_check) f.check = analyse_expr(p.check_expr, t);
      pf.push_back(std::move(f));
    }
    bool any_permissive = false, app_permissive = false, table_isolating = false;
    for (const auto& f : pf) {
      any_permissive = any_permissive || f.policy->permissive;
      app_permissive = app_permissive || (f.app && f.policy->permissive);
      table_isolating = table_isolating || (f.app && isolates(f));
    }
    auto guarded = [&](const std::string& cmd) {
      for (const auto& f : pf)
        if (f.app && !f.policy->permissive &&
            (f.policy->command == "ALL" || f.policy->command == cmd) && side_isolates(f, cmd))
          return true;
      return false;
    };
    for (const auto& f : pf) {
      const db::PolicyInfo& p = *f.policy;
      const std::string pobj = obj + "/" + p.name;
      for (const Analysed* a : {&f.using_, &f.check})
        if (!a->error.empty())
          add("POLICY_NOT_ANALYSED", pobj, "policy",
              "policy " + p.name + " on " + obj + ": " + a->error);
      std::vector<std::string> bypass;
      for (const auto& r : p.roles)
        if (r != "public" && bypasses(r)) bypass.push_back(r);
      if (!bypass.empty())
        add("POLICY_TARGETS_BYPASS_ROLE", pobj, "policy",
            "policy " + p.name + " on " + obj + " names " + join(bypass) +
                ", which bypass(es) row-level security");
      if (!f.app) continue;
      for (const Analysed* a : {&f.using_, &f.check})
        if (a->parsed) note_gucs(a->facts.gucs);
      bool cast = (f.using_.parsed && f.using_.facts.tenant_cast) ||
                  (f.check.parsed && f.check.facts.tenant_cast);
      if (cast)
        add("POLICY_TENANT_COL_CAST", pobj, "policy",
            "policy " + p.name + " on " + obj + " compares " + t.tenant_column + " as text");
      for (const Analysed* a : {&f.using_, &f.check})
        if (a->parsed && a->facts.empty_string_cast) {
          const std::string& where = a->facts.empty_string_cast_where;
          add("GUC_EMPTY_STRING_CAST", pobj, "policy",
              "policy " + p.name + " on " + obj +
                  (where.empty() ? "" : " (through " + where + ")") +
                  " casts current_setting(...) without nullif(..., '')");
          break;
        }
      if (!p.permissive) continue;
      std::set<std::string> unknown;
      for (const Analysed* a : {&f.using_, &f.check})
        if (a->parsed)
          for (const auto& g : a->facts.gucs)
            if (!guc_known(g)) unknown.insert(g);
      if (!unknown.empty())
        add("POLICY_UNKNOWN_GUC", pobj, "policy",
            "policy " + p.name + " on " + obj + " reads " +
                join(std::vector<std::string>(unknown.begin(), unknown.end())) +
                ", not the configured GUC(s) " + join(m_cfg.gucs.value));
      if (contains(p.roles, "public"))
        add("POLICY_TO_PUBLIC", pobj, "policy",
            "permissive policy " + p.name + " on " + obj + " applies to PUBLIC",
            "ALTER POLICY " + db::quote_ident(p.name) + " ON " + qualified(t.schema, t.table) +
                " TO " + app_roles_sql() + ";");
      // A restrictive tenant policy for every command this one covers neutralises it.
      bool compensated = true;
      for (const auto& cmd : commands_of(p.command))
        compensated = compensated && guarded(cmd);
      if (compensated) continue;
      bool using_side = p.command != "INSERT";
      bool check_side = p.command == "ALL" || p.command == "INSERT" || p.command == "UPDATE";
      auto truthy = [&](const Analysed& a) { return a.parsed && a.facts.always_true; };
      auto open = [&](const Analysed& a) { return a.parsed && a.facts.fail_open; };
      if ((using_side && f.has_using && truthy(f.using_)) ||
          (check_side && f.has_check && truthy(f.check))) {
        std::string where = using_side && f.has_using && truthy(f.using_)
                                ? "USING (" + p.using_expr + ")"
                                : "WITH CHECK (" + p.check_expr + ")";
        add("POLICY_ALWAYS_TRUE", pobj, "policy",
            "permissive policy " + p.name + " on " + obj + " is always true: " + where);
      } else if ((f.has_using && open(f.using_)) || (f.has_check && open(f.check))) {
        add("POLICY_FAIL_OPEN", pobj, "policy",
            "policy " + p.name + " on " + obj + " admits every row when the GUC is unset");
      } else if (p.command != "INSERT" && p.command != "SELECT" && p.command != "DELETE" &&
                 f.has_using && f.has_check && f.using_.parsed && f.check.parsed &&
                 f.using_.facts.isolating && !f.check.facts.isolating) {
        add("WITH_CHECK_WEAKER", pobj, "policy",
            "policy " + p.name + " on " + obj +
                " has USING with the tenant predicate but WITH "
                "CHECK (" +
                p.check_expr + ") without it");
      } else if (table_isolating && !isolates(f)) {
        add("POLICY_NOT_TENANT_SCOPED", pobj, "policy",
            "permissive policy " + p.name + " on " + obj + " (" +
                (f.has_using ? p.using_expr : p.check_expr) + ") does not restrict " +
                t.tenant_column + " and ORs other tenants' rows in");
      }
    }
    if (app_permissive && !table_isolating)
      add("NO_ISOLATION_POLICY", obj, "table",
          obj + ": no policy for " + join(m_cfg.app_roles.value) + " ties " + t.tenant_column +
              " to " + join(m_cfg.gucs.value),
          policy_sql(t, "tenant_isolation_guard", "RESTRICTIVE"));
    if (!t.policies.empty() && !any_permissive)
      add("RESTRICTIVE_ONLY", obj, "table",
          obj + " has only RESTRICTIVE policies: every row is denied",
          policy_sql(t, "tenant_isolation", "PERMISSIVE"));
    if (t.rls_enabled && any_permissive) {
      for (const auto& a : m_cfg.app_roles.value) {
        auto pit = t.privileges.find(a);
        if (pit == t.privileges.end()) continue;
        const db::TablePrivileges& g = pit->second;
        std::vector<std::string> gaps;
        for (const auto& [cmd, granted] :
             std::vector<std::pair<std::string, bool>>{{"SELECT", g.select},
                                                       {"INSERT", g.insert},
                                                       {"UPDATE", g.update},
                                                       {"DELETE", g.remove}}) {
          if (!granted) continue;
          bool covered = false;
          for (const auto& f : pf) {
            if (!f.policy->permissive) continue;
            bool to_a = contains(f.policy->roles, "public") || contains(f.policy->roles, a);
            auto it = m_cat.privileges_of.find(a);
            for (const auto& r : f.policy->roles)
              to_a = to_a || (it != m_cat.privileges_of.end() && it->second.count(r));
            covered = covered || (to_a && (f.policy->command == "ALL" || f.policy->command == cmd));
          }
          if (!covered) gaps.push_back(cmd);
        }
        if (!gaps.empty())
          add("CMD_COVERAGE_GAP", obj, "table",
              a + " is granted " + join(gaps) + " on " + obj +
                  " but no permissive policy covers it");
      }
    }
  }

  bool guc_known(const std::string& g) const {
    for (const auto& p : m_cfg.gucs.value)
      if (guc_matches(p, g)) return true;
    return false;
  }
  void note_gucs(const std::set<std::string>& gucs) {
    for (const auto& g : gucs)
      if (g != "(dynamic)") m_reads.insert(g);
  }
  // A configured GUC no policy reads, while policies read other settings, is a wrong input.
  Result<void> guc_configured() const {
    if (m_reads.empty()) return {};
    for (const auto& g : m_reads)
      if (guc_known(g)) return {};
    return make_error(ErrorKind::config,
                      "audit: no policy reads the configured tenant GUC(s) " +
                          join(m_cfg.gucs.value) + " (" + m_cfg.gucs.source +
                          "); the policies read " +
                          join(std::vector<std::string>(m_reads.begin(), m_reads.end())) +
                          ": set audit.gucs or --guc to the GUC this database's policies use");
  }

  bool reads_tenant(const ViewInfo& v, std::set<std::uint32_t>& seen, std::string& which) const {
    if (!seen.insert(v.oid).second) return false;
    for (auto r : v.refs) {
      if (auto it = m_tenant_oids.find(r); it != m_tenant_oids.end()) {
        which = it->second->schema + "." + it->second->table;
        return true;
      }
      for (const auto& w : m_cat.views)
        if (w.oid == r && reads_tenant(w, seen, which)) return true;
    }
    return false;
  }

  void views() {
    for (const auto& v : m_cat.views) {
      std::set<std::uint32_t> seen;
      std::string which;
      if (!reads_tenant(v, seen, which)) continue;
      std::string obj = v.schema + "." + v.name;
      if (v.kind == 'm') {
        add("MATVIEW_OVER_TENANT", obj, "view",
            "materialized view " + obj + " copies rows of tenant table " + which);
      } else if (!v.security_invoker && !v.readable_by.empty()) {
        add("VIEW_BYPASSES_RLS", obj, "view",
            "view " + obj + " reads " + which + " with the rights of its owner " + v.owner +
                " and " +
                join(std::vector<std::string>(v.readable_by.begin(), v.readable_by.end())) +
                " can SELECT it",
            "ALTER VIEW " + qualified(v.schema, v.name) + " SET (security_invoker = true);");
      }
    }
  }

  bool owner_bypasses(const std::string& owner, const db::TenantTableRls& t) const {
    auto it = m_cat.roles.find(owner);
    if (it != m_cat.roles.end() && (it->second.super || it->second.bypassrls)) return true;
    return owner == t.owner && !t.rls_forced;
  }

  void functions() {
    for (const auto& f : m_cat.functions) {
      if (!f.security_definer || !f.in_scope) continue;
      std::string obj = f.schema + "." + f.name + "(" + f.identity_args + ")";
      std::string sig = qualified(f.schema, f.name) + "(" + f.identity_args + ")";
      if (!f.sets_search_path)
        add("SECDEF_SEARCH_PATH", obj, "function",
            "SECURITY DEFINER function " + obj + " does not set search_path",
            "ALTER FUNCTION " + sig + " SET search_path = pg_catalog, " +
                db::quote_ident(f.schema) + ";");
      if (f.executable_by.empty()) continue;
      for (const auto& rel : scan_relations(f.body)) {
        const db::TenantTableRls* hit = nullptr;
        auto dot = rel.rfind('.');
        std::string schema = dot == std::string::npos ? "" : rel.substr(0, dot);
        std::string name = dot == std::string::npos ? rel : rel.substr(dot + 1);
        for (const auto& [oid, t] : m_tenant_oids) {
          if (t->table != name) continue;
          if (schema.empty() ? (t->schema == f.schema || t->schema == "public")
                             : t->schema == schema)
            hit = t;
        }
        if (hit && owner_bypasses(f.owner, *hit)) {
          add("SECDEF_READS_TENANT", obj, "function",
              "SECURITY DEFINER function " + obj + " reads " + hit->schema + "." + hit->table +
                  " as " + f.owner + " (bypassing RLS) and " +
                  join(std::vector<std::string>(f.executable_by.begin(), f.executable_by.end())) +
                  " can call it");
          break;
        }
      }
    }
  }

  void roles() {
    std::set<std::string> done;
    for (const auto& a : m_cfg.app_roles.value) {
      auto it = m_cat.roles.find(a);
      if (it != m_cat.roles.end() && (it->second.super || it->second.bypassrls)) {
        add("ROLE_BYPASSRLS", a, "role",
            "application role " + a + (it->second.super ? " is a superuser" : " has BYPASSRLS") +
                ": no policy applies to it",
            "ALTER ROLE " + db::quote_ident(a) + " NOBYPASSRLS;", Severity::critical);
        done.insert(a);
      }
      auto mit = m_cat.member_of.find(a);
      if (mit == m_cat.member_of.end()) continue;
      for (const auto& r : mit->second) {
        if (r == a || done.count(r)) continue;
        auto rit = m_cat.roles.find(r);
        if (rit == m_cat.roles.end() || !(rit->second.super || rit->second.bypassrls)) continue;
        add("ROLE_BYPASSRLS", r, "role",
            "application role " + a + " can SET ROLE " + r + ", which " +
                (rit->second.super ? "is a superuser" : "has BYPASSRLS"),
            "REVOKE " + db::quote_ident(r) + " FROM " + db::quote_ident(a) + ";",
            Severity::critical);
        done.insert(r);
      }
    }
    for (const auto& r : m_cat.bypass_with_access) {
      if (done.count(r) || is_app(r) || contains(m_cfg.bypass_roles.value, r)) continue;
      add("ROLE_BYPASSRLS", r, "role",
          "role " + r +
              " has BYPASSRLS and privileges on tenant tables (not a configured "
              "bypass role)");
    }
  }

  const Catalog& m_cat;
  const Config& m_cfg;
  Report& m_report;
  FunctionIndex m_functions;
  std::map<std::uint32_t, const db::TenantTableRls*> m_tenant_oids;
  std::unordered_map<std::string, const db::TenantTableRls*> m_by_name; // schema \x1f table
  std::unordered_map<std::string, Analysed> m_cache;
  std::set<std::string> m_reads;
};

} // namespace

Result<Report> check_catalog(const Catalog& cat, const Config& cfg) {
  Report r;
  r.kind = "rls";
  r.database = cat.database;
  r.server_version = cat.server_version;
  r.login_role = cat.login_role;
  r.config = cfg;
  r.stats.round_trips = cat.round_trips;
  Checker c(cat, cfg, r);
  CRM_TRY(c.run());
  return r;
}

} // namespace crm::audit
