// Loading the catalog for an audit: the session, roles, tenant tables (db::tenant_table_rls, the
// one shared query), views and functions — a fixed number of statements whatever the size.
#include "audit/audit.hpp"
#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace crm::audit {
namespace {

std::string json_list(const std::vector<std::string>& v) {
  return nlohmann::json(v).dump();
}

nlohmann::json parse_json(const std::string& s) {
  auto j = nlohmann::json::parse(s, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// The session and which configured names do not exist.
constexpr const char* k_session_sql = R"SQL(
WITH want AS (
  SELECT ARRAY(SELECT jsonb_array_elements_text($1::jsonb)) AS apps,
         ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) AS schemas,
         ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) AS bypass
)
SELECT current_database() AS db, current_setting('server_version') AS version,
  -- Catalog queries are many small lookups: JIT compilation only adds start-up time (a second
  -- on 10,000 tables), while deparsing 10,000 policies is worth parallel workers, which the
  -- planner's default costs would not use. Transaction-local.
  set_config('jit', 'off', true) AS jit,
  set_config('parallel_setup_cost', '0', true) AS parallel_setup,
  set_config('parallel_tuple_cost', '0', true) AS parallel_tuple,
  current_user AS login,
  coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user), false)
    AS login_bypass,
  coalesce((SELECT json_object_agg(a, pg_has_role(current_user, a, 'MEMBER'))
            FROM unnest(want.apps) a WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a)),
           '{}') AS can_set,
  coalesce((SELECT json_agg(a) FROM unnest(want.apps) a
            WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a)), '[]') AS missing_apps,
  coalesce((SELECT json_agg(b) FROM unnest(want.bypass) b
            WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = b)), '[]') AS missing_bypass,
  coalesce((SELECT json_agg(s) FROM unnest(want.schemas) s
            WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s)), '[]')
    AS missing_schemas
FROM want
)SQL";

// Every role but the built-in pg_* ones, with what each application role has of it.
constexpr const char* k_roles_sql = R"SQL(
WITH want AS (
  SELECT ARRAY(SELECT a FROM jsonb_array_elements_text($1::jsonb) a
               WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a)) AS apps
)
SELECT r.rolname AS name, r.rolsuper AS super, r.rolbypassrls AS bypass, r.rolcanlogin AS login,
  CASE WHEN r.rolbypassrls AND NOT r.rolsuper THEN
    (SELECT json_agg(x.rolname) FROM pg_roles x WHERE pg_has_role(r.oid, x.oid, 'USAGE'))
  END AS usage,
  coalesce((SELECT json_object_agg(a, json_build_object(
              'usage', pg_has_role(a, r.oid, 'USAGE'), 'member', pg_has_role(a, r.oid, 'MEMBER')))
            FROM unnest(want.apps) a), '{}') AS app
FROM pg_roles r CROSS JOIN want
WHERE r.rolname NOT LIKE 'pg\_%'
)SQL";

// Views and materialized views of the scanned schemas, with the relations their rules read.
constexpr const char* k_views_sql = R"SQL(
WITH want AS (
  SELECT ARRAY(SELECT a FROM jsonb_array_elements_text($1::jsonb) a
               WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a)) AS apps,
         ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) AS schemas
)
SELECT v.oid::text AS oid, n.nspname AS s, v.relname AS t, v.relkind::text AS kind,
  pg_get_userbyid(v.relowner) AS owner, coalesce(array_to_string(v.reloptions, ','), '') AS opts,
  coalesce((SELECT json_agg(DISTINCT d.refobjid::text) FROM pg_rewrite rw
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                            AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
            WHERE rw.ev_class = v.oid), '[]') AS refs,
  coalesce((SELECT json_agg(a) FROM unnest(want.apps) a
            WHERE has_table_privilege(a, v.oid, 'SELECT')), '[]') AS readers
FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace CROSS JOIN want
WHERE v.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND (cardinality(want.schemas) = 0 OR n.nspname = ANY (want.schemas))
ORDER BY 2, 3
)SQL";

// User-defined functions (not C/internal, not from an extension): helpers the policies call and
// SECURITY DEFINER functions. `in_scope`: in the scanned schemas.
constexpr const char* k_functions_sql = R"SQL(
WITH want AS (
  SELECT ARRAY(SELECT a FROM jsonb_array_elements_text($1::jsonb) a
               WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a)) AS apps,
         ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) AS schemas
)
SELECT p.oid::text AS oid, n.nspname AS s, p.proname AS f, l.lanname AS lang,
  p.prosecdef AS secdef, coalesce(array_to_string(p.proconfig, ','), '') AS config,
  pg_get_userbyid(p.proowner) AS owner, p.pronargs AS nargs,
  pg_get_function_identity_arguments(p.oid) AS ident,
  coalesce((SELECT json_agg(coalesce(u.nm, '') ORDER BY u.o)
            FROM unnest(p.proargnames, coalesce(p.proargmodes,
                        array_fill('i'::"char", ARRAY[coalesce(cardinality(p.proargnames), 0)])))
                 WITH ORDINALITY u(nm, md, o)
            WHERE u.md IN ('i', 'b', 'v')), '[]') AS argnames,
  CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END
    AS body,
  (cardinality(want.schemas) = 0 OR n.nspname = ANY (want.schemas)) AS in_scope,
  coalesce((SELECT json_agg(a) FROM unnest(want.apps) a
            WHERE has_function_privilege(a, p.oid, 'EXECUTE')), '[]') AS callers
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang CROSS JOIN want
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND l.lanname NOT IN ('c', 'internal') AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 2, 3
)SQL";

std::string names_of(const nlohmann::json& arr) {
  std::vector<std::string> v;
  if (arr.is_array())
    for (const auto& x : arr)
      v.push_back(x.get<std::string>());
  return join(v, ", ");
}

} // namespace

Result<Catalog> load_catalog(db::Connection& conn, const Config& cfg) {
  Catalog cat;
  // BEGIN and SET TRANSACTION; the ROLLBACK when the transaction goes out of scope.
  CRM_TRY_ASSIGN(auto tx, conn.admin({db::TxIsolation::repeatable_read, db::TxAccess::read_only}));
  cat.round_trips = 3;
  const std::string apps = json_list(cfg.app_roles.value);
  const std::string schemas = json_list(cfg.schemas.value);

  ++cat.round_trips;
  CRM_TRY_ASSIGN(auto ses,
                 tx->exec(k_session_sql, {apps, schemas, json_list(cfg.bypass_roles.value)}));
  cat.database = ses.get(0, "db");
  cat.server_version = ses.get(0, "version");
  cat.login_role = ses.get(0, "login");
  cat.login_bypasses_rls = ses.get(0, "login_bypass") == "t";
  auto missing_apps = parse_json(ses.get(0, "missing_apps"));
  if (!missing_apps.empty())
    return make_error(ErrorKind::config,
                      "audit: application role(s) " + names_of(missing_apps) +
                          " do not exist in database " + cat.database + " (from " +
                          cfg.app_roles.source +
                          "): set audit.app_roles or --app-role to the role the application "
                          "uses (e.g. authenticated on Supabase)");
  auto missing_bypass = parse_json(ses.get(0, "missing_bypass"));
  if (!missing_bypass.empty())
    return make_error(ErrorKind::config, "audit: bypass role(s) " + names_of(missing_bypass) +
                                             " do not exist in database " + cat.database +
                                             ": fix audit.bypass_roles or --bypass-role");
  auto missing_schemas = parse_json(ses.get(0, "missing_schemas"));
  if (!missing_schemas.empty())
    return make_error(ErrorKind::config, "audit: schema(s) " + names_of(missing_schemas) +
                                             " do not exist in database " + cat.database +
                                             ": fix audit.schemas or --schema");
  auto can_set = parse_json(ses.get(0, "can_set"));
  if (can_set.is_object())
    for (auto it = can_set.begin(); it != can_set.end(); ++it)
      cat.login_can_set_role[it.key()] = it.value().is_boolean() && it.value().get<bool>();

  ++cat.round_trips;
  CRM_TRY_ASSIGN(auto roles, tx->exec(k_roles_sql, {apps}));
  std::map<std::string, std::set<std::string>> bypass_usage; // BYPASSRLS role -> roles it acts as
  for (std::size_t i = 0; i < roles.size(); ++i) {
    RoleInfo r;
    r.name = roles.get(i, "name");
    r.super = roles.get(i, "super") == "t";
    r.bypassrls = roles.get(i, "bypass") == "t";
    r.login = roles.get(i, "login") == "t";
    if (auto usage = parse_json(roles.get(i, "usage")); usage.is_array())
      for (const auto& u : usage)
        bypass_usage[r.name].insert(u.get<std::string>());
    auto app = parse_json(roles.get(i, "app"));
    if (app.is_object())
      for (auto it = app.begin(); it != app.end(); ++it) {
        if (it.value().value("usage", false)) cat.privileges_of[it.key()].insert(r.name);
        if (it.value().value("member", false)) cat.member_of[it.key()].insert(r.name);
      }
    cat.roles[r.name] = r;
  }

  cat.round_trips += 2;
  db::RlsExpectation want;
  want.app_roles = cfg.app_roles.value;
  want.tenant_columns = cfg.tenant_columns.value;
  want.schemas = cfg.schemas.value;
  want.global_tables = db::GlobalTables::include;
  want.privileges_of = cat.privileges_of;
  want.predicate.clear(); // doctor's reading is not needed here
  CRM_TRY_ASSIGN(cat.tables, db::tenant_table_rls(*tx, want));
  for (auto& t : cat.tables)
    for (const auto& g : cfg.global_tables.value)
      if (g == t.schema + "." + t.table) {
        t.global = true;
        t.problems.clear();
      }
  std::size_t tenant = 0;
  for (const auto& t : cat.tables)
    if (!t.global) ++tenant;
  if (tenant == 0)
    return make_error(ErrorKind::config,
                      "audit: no tenant table found: no table in " +
                          (cfg.schemas.value.empty() ? std::string("any schema")
                                                     : "schema(s) " + join(cfg.schemas.value)) +
                          " has a column named " + join(cfg.tenant_columns.value, " or ") +
                          ": set audit.tenant_columns or --tenant-column (and audit.schemas) "
                          "to what this database uses");

  ++cat.round_trips;
  CRM_TRY_ASSIGN(auto views, tx->exec(k_views_sql, {apps, schemas}));
  for (std::size_t i = 0; i < views.size(); ++i) {
    ViewInfo v;
    v.oid = static_cast<std::uint32_t>(std::stoul(views.get(i, "oid")));
    v.schema = views.get(i, "s");
    v.name = views.get(i, "t");
    v.kind = views.get(i, "kind").empty() ? 'v' : views.get(i, "kind")[0];
    v.owner = views.get(i, "owner");
    std::string opts = to_lower(views.get(i, "opts")) + ",";
    for (const char* on : {"security_invoker=true,", "security_invoker=on,", "security_invoker=1,",
                           "security_invoker=yes,"})
      if (opts.find(on) != std::string::npos) v.security_invoker = true;
    auto refs = parse_json(views.get(i, "refs"));
    if (refs.is_array())
      for (const auto& r : refs)
        v.refs.push_back(static_cast<std::uint32_t>(std::stoul(r.get<std::string>())));
    auto readers = parse_json(views.get(i, "readers"));
    if (readers.is_array())
      for (const auto& r : readers)
        v.readable_by.insert(r.get<std::string>());
    cat.views.push_back(std::move(v));
  }

  ++cat.round_trips;
  CRM_TRY_ASSIGN(auto fns, tx->exec(k_functions_sql, {apps, schemas}));
  for (std::size_t i = 0; i < fns.size(); ++i) {
    FunctionInfo f;
    f.oid = static_cast<std::uint32_t>(std::stoul(fns.get(i, "oid")));
    f.schema = fns.get(i, "s");
    f.name = fns.get(i, "f");
    f.language = fns.get(i, "lang");
    f.owner = fns.get(i, "owner");
    f.body = fns.get(i, "body");
    f.identity_args = fns.get(i, "ident");
    f.nargs = static_cast<std::size_t>(std::stoul(fns.get(i, "nargs")));
    f.security_definer = fns.get(i, "secdef") == "t";
    f.sets_search_path = fns.get(i, "config").find("search_path=") != std::string::npos;
    f.in_scope = fns.get(i, "in_scope") == "t";
    auto names = parse_json(fns.get(i, "argnames"));
    if (names.is_array())
      for (const auto& n : names)
        f.arg_names.push_back(n.get<std::string>());
    auto callers = parse_json(fns.get(i, "callers"));
    if (callers.is_array())
      for (const auto& c : callers)
        f.executable_by.insert(c.get<std::string>());
    cat.functions.push_back(std::move(f));
  }

  // Non-superuser BYPASSRLS roles with a privilege on a tenant table, from the ACLs just read.
  const std::set<std::string> granted = db::privileged_roles(cat.tables);
  for (const auto& [name, acts_as] : bypass_usage)
    for (const auto& g : granted)
      if (g.empty() || acts_as.count(g)) {
        cat.bypass_with_access.insert(name);
        break;
      }
  return cat;
}

} // namespace crm::audit
