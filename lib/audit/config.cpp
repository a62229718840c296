// The audit's checks table and its configuration (flags > profile `audit:` > defaults).
#include "audit/audit.hpp"
#include "core/text.hpp"

#include <algorithm>

namespace crm::audit {

std::string_view severity_name(Severity s) {
  switch (s) {
  case Severity::info:
    return "info";
  case Severity::medium:
    return "medium";
  case Severity::high:
    return "high";
  case Severity::critical:
    return "critical";
  }
  return "info";
}

Result<Severity> parse_severity(std::string_view s) {
  std::string l = to_lower(s);
  for (Severity v : {Severity::info, Severity::medium, Severity::high, Severity::critical})
    if (l == severity_name(v)) return v;
  return make_error(ErrorKind::usage, "unknown severity '" + std::string(s) +
                                          "': use critical, high, medium or info");
}

std::string_view family_name(Family f) {
  switch (f) {
  case Family::tables:
    return "tables";
  case Family::policies:
    return "policies";
  case Family::bypass:
    return "bypass";
  case Family::probe:
    return "probe";
  case Family::data:
    return "data";
  }
  return "tables";
}

const std::vector<CheckInfo>& all_checks() {
  using S = Severity;
  using F = Family;
  static const std::vector<CheckInfo> k_checks = {
      // Tables
      {"RLS_DISABLED", S::critical, F::tables,
       "row-level security is disabled on a tenant table: every role with a grant reads every "
       "tenant's rows",
       "ALTER TABLE ... ENABLE ROW LEVEL SECURITY and FORCE ROW LEVEL SECURITY"},
      {"RLS_NOT_FORCED", S::high, F::tables,
       "row-level security is enabled but not forced: the table owner bypasses every policy",
       "ALTER TABLE ... FORCE ROW LEVEL SECURITY"},
      {"RLS_NO_POLICY", S::medium, F::tables,
       "row-level security is enabled without any policy: every query of the application is "
       "silently denied",
       "create the tenant policy (USING and WITH CHECK tenant column = the tenant GUC)"},
      {"OWNER_REACHABLE_BYPASS", S::high, F::tables,
       "the application role owns the table (or is a member of its owner) and RLS is not "
       "forced: its queries bypass the policies",
       "FORCE ROW LEVEL SECURITY, or move ownership to a role the application cannot become"},
      {"PARTITION_CHILD_RLS_OFF", S::critical, F::tables,
       "a partition of a tenant table has row-level security disabled: querying the partition "
       "directly skips the parent's policies",
       "ALTER TABLE <partition> ENABLE and FORCE ROW LEVEL SECURITY with the tenant policy, or "
       "revoke direct access"},
      {"ORG_ID_NULLABLE", S::medium, F::tables,
       "the tenant column is nullable: rows without a tenant belong to nobody and match no "
       "tenant predicate",
       "ALTER TABLE ... ALTER COLUMN <tenant column> SET NOT NULL (after fixing orphan rows)"},
      {"ORG_ID_MUTABLE", S::info, F::tables,
       "no BEFORE UPDATE trigger keeps the tenant column immutable",
       "add a BEFORE UPDATE trigger that refuses a changed tenant column"},
      {"TENANT_FK_NOT_SCOPED", S::high, F::tables,
       "a foreign key between tenant tables omits the tenant column: foreign key checks bypass "
       "RLS, so a row can reference another tenant's row",
       "include the tenant column in the foreign key and in the referenced key"},
      {"GLOBAL_TABLE_READABLE", S::high, F::tables,
       "a table marked global (routing, inbox, audit trail) carries tenant ids and the "
       "application role can read all of it",
       "REVOKE SELECT on the table from the application role"},
      // Policies
      {"NO_ISOLATION_POLICY", S::critical, F::policies,
       "no policy for the application role ties the tenant column to the tenant GUC",
       "create the tenant policy (USING and WITH CHECK tenant column = the tenant GUC)"},
      {"POLICY_ALWAYS_TRUE", S::critical, F::policies,
       "a permissive policy is always true (true, 1 = 1, OR true): it ORs every tenant's rows in",
       "drop the policy or replace its expression by the tenant predicate"},
      {"POLICY_FAIL_OPEN", S::critical, F::policies,
       "a policy admits every row when the tenant GUC is unset or empty",
       "drop the `current_setting(...) IS NULL OR` branch: without a tenant nothing is visible"},
      {"POLICY_UNKNOWN_GUC", S::critical, F::policies,
       "a policy reads a setting other than the configured tenant GUC(s): whoever sets it picks "
       "the tenant",
       "read the configured tenant GUC, or add the setting to audit.gucs if it is one"},
      {"POLICY_TENANT_COL_CAST", S::high, F::policies,
       "the tenant column is compared as text: no index, and text equality is not the id's "
       "equality",
       "compare the column with the GUC cast to the column's type (nullif(..., '')::type)"},
      {"GUC_EMPTY_STRING_CAST", S::medium, F::policies,
       "current_setting(...) is cast without nullif(..., ''): after any SET in the session the "
       "value is '' and the cast fails every query",
       "wrap it: nullif(current_setting('guc', true), '')::type"},
      {"WITH_CHECK_WEAKER", S::critical, F::policies,
       "the explicit WITH CHECK lacks the tenant predicate its USING has: a tenant can write rows "
       "stamped for another tenant",
       "use the tenant predicate in WITH CHECK too (or drop WITH CHECK to reuse USING)"},
      {"POLICY_TO_PUBLIC", S::high, F::policies,
       "a permissive policy applies to PUBLIC, i.e. to every role, including ones the audit "
       "does not know",
       "ALTER POLICY ... TO <application role>"},
      {"POLICY_TARGETS_BYPASS_ROLE", S::medium, F::policies,
       "a policy names a role that bypasses RLS: it has no effect and suggests a wrong belief",
       "drop the role from the policy (service roles bypass RLS anyway)"},
      {"RESTRICTIVE_ONLY", S::medium, F::policies,
       "the table has only RESTRICTIVE policies: without a permissive one every row is denied",
       "add the permissive tenant policy; keep restrictive ones as extra conditions"},
      {"CMD_COVERAGE_GAP", S::medium, F::policies,
       "the application role is granted a command that no permissive policy covers (silently "
       "denied)",
       "cover the command with the tenant policy (FOR ALL) or revoke the grant"},
      {"POLICY_NOT_TENANT_SCOPED", S::high, F::policies,
       "a permissive policy does not restrict the tenant: it ORs in rows of other tenants next to "
       "the tenant policy",
       "AND the tenant predicate into the policy, or make it RESTRICTIVE"},
      {"POLICY_NOT_ANALYSED", S::info, F::policies,
       "the policy's expression could not be parsed; its checks were skipped",
       "review the policy by hand (and report the expression to crmctl)"},
      // Bypass paths
      {"VIEW_BYPASSES_RLS", S::critical, F::bypass,
       "a view over a tenant table runs with its owner's rights (no security_invoker) and the "
       "application role can read it",
       "ALTER VIEW ... SET (security_invoker = true), or revoke SELECT from the application"},
      {"MATVIEW_OVER_TENANT", S::high, F::bypass,
       "a materialized view copies tenant rows; materialized views have no row-level security",
       "drop it, or revoke it from the application and scope it per tenant"},
      {"SECDEF_READS_TENANT", S::high, F::bypass,
       "a SECURITY DEFINER function reads a tenant table as an owner that bypasses RLS, and the "
       "application can call it",
       "make it SECURITY INVOKER, or filter by the tenant GUC inside and revoke EXECUTE from "
       "PUBLIC"},
      {"SECDEF_SEARCH_PATH", S::medium, F::bypass,
       "a SECURITY DEFINER function does not pin search_path: a caller can shadow the objects "
       "it uses",
       "ALTER FUNCTION ... SET search_path = pg_catalog, <schema>"},
      {"ROLE_BYPASSRLS", S::medium, F::bypass,
       "a role bypasses row-level security (critical when it is, or can become, the "
       "application role)",
       "ALTER ROLE ... NOBYPASSRLS, or list it in audit.bypass_roles if it is a service role"},
      // Live probe
      {"PROBE_XTENANT_READ", S::critical, F::probe,
       "as tenant A the application role read tenant B's rows", "fix the table's SELECT policy"},
      {"PROBE_XTENANT_INSERT", S::critical, F::probe,
       "as tenant A the application role inserted a row stamped for tenant B",
       "fix the table's INSERT policy (WITH CHECK)"},
      {"PROBE_XTENANT_UPDATE", S::critical, F::probe,
       "as tenant A the application role updated tenant B's rows",
       "fix the table's UPDATE policy (USING)"},
      {"PROBE_XTENANT_DELETE", S::critical, F::probe,
       "as tenant A the application role deleted tenant B's rows",
       "fix the table's DELETE policy (USING)"},
      {"PROBE_XTENANT_MOVE", S::critical, F::probe,
       "as tenant A the application role moved its row to tenant B",
       "fix the UPDATE policy's WITH CHECK and add the tenant column guard trigger"},
      {"PROBE_UNSET_GUC", S::critical, F::probe,
       "with the tenant GUC unset or empty the application role saw rows",
       "make the policy deny when no tenant is set"},
      {"PROBE_INCONCLUSIVE", S::medium, F::probe,
       "a probe ended in an error other than a permission denial: not a pass",
       "read the error; rerun the probe once it is fixed"},
      // Data
      {"ORPHAN_ROWS", S::high, F::data, "rows have no tenant (NULL tenant column)",
       "assign the rows to their tenant or delete them, then SET NOT NULL"},
      {"XTENANT_DUPLICATE_PHONE", S::high, F::data,
       "the same phone number belongs to several tenants: routing by number is ambiguous",
       "keep each number in one tenant (release it from the others)"},
      {"XTENANT_REFERENCE", S::critical, F::data,
       "rows reference another tenant's rows through a foreign key that omits the tenant column",
       "repoint or delete the rows, then add the tenant column to the foreign key"},
      {"DELETED_TENANT_REFERENCE", S::high, F::data,
       "phone numbers or agents still belong to a deleted (or missing) tenant",
       "release the numbers and disable the agents of deleted tenants"},
  };
  return k_checks;
}

const CheckInfo* find_check(std::string_view id) {
  for (const auto& c : all_checks())
    if (c.id == id) return &c;
  return nullptr;
}

namespace {

Input pick(const std::vector<std::string>& flag, const std::vector<std::string>& config,
           std::vector<std::string> def, const std::string& def_source) {
  if (!flag.empty()) return {flag, "flag"};
  if (!config.empty()) return {config, "config"};
  return {std::move(def), def_source};
}

std::string suggest_check(const std::string& id) {
  std::string best;
  std::size_t dist = 4;
  for (const auto& c : all_checks())
    if (auto d = edit_distance(to_upper(id), c.id); d < dist) {
      dist = d;
      best = std::string(c.id);
    }
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

} // namespace

Result<Config> resolve_config(const Flags& flags, const Profile& profile) {
  const AuditSettings& a = profile.audit;
  Config c;
  c.tenant_columns =
      pick(flags.tenant_columns, a.tenant_columns, {"org_id", "tenant_id", "client_id"}, "default");
  c.app_roles = pick(flags.app_roles, a.app_roles, {profile.app_role}, "profile tenancy.app_role");
  c.gucs = pick(flags.gucs, a.gucs, {profile.guc, "request.jwt.claims"},
                "default (the tenancy GUC and crm.current_org_id()'s JWT fallback)");
  c.bypass_roles = pick(flags.bypass_roles, a.bypass_roles, {}, "default");
  c.schemas = pick(flags.schemas, a.schemas, {}, "default");
  c.global_tables = pick(flags.global_tables, a.global_tables, {}, "default");
  c.phone_columns = pick(flags.phone_columns, a.phone_columns, {"e164"}, "default");
  if (!a.tenants_table.empty()) {
    c.tenants_table = a.tenants_table;
    c.tenants_table_explicit = true;
  }
  if (!a.probe_value.empty()) c.probe_value = a.probe_value;
  for (const auto& g : c.gucs.value)
    if (g.find('.') == std::string::npos || g.front() == '.' || g.back() == '.')
      return make_error(ErrorKind::config,
                        "audit: '" + g +
                            "' is not a custom setting name (a tenant GUC has a prefix, like "
                            "app.current_org_id): fix audit.gucs or --guc");
  for (const auto& t : c.global_tables.value)
    if (t.find('.') == std::string::npos)
      return make_error(ErrorKind::config, "audit: global table '" + t +
                                               "' must be schema-qualified (public." + t + ")");
  if (c.probe_value.find("{tenant}") == std::string::npos)
    return make_error(ErrorKind::config,
                      "audit.probe_value must contain {tenant} (where the tenant id goes)");
  for (const auto& [id, level] : a.severity) {
    if (!find_check(id))
      return make_error(ErrorKind::config, "audit.severity: unknown check '" + id + "'" +
                                               suggest_check(id) +
                                               "; `crmctl audit rls --help` lists the checks");
    if (to_lower(level) == "off") {
      c.severity[id] = std::nullopt;
      continue;
    }
    auto s = parse_severity(level);
    if (!s)
      return make_error(ErrorKind::config, "audit.severity." + id + ": unknown level '" + level +
                                               "': use critical, high, medium, info or off");
    c.severity[id] = *s;
  }
  for (const auto& e : a.allow)
    if (!find_check(e.check))
      return make_error(ErrorKind::config,
                        "audit.allow: unknown check '" + e.check + "'" + suggest_check(e.check));
  c.allow = a.allow;
  return c;
}

} // namespace crm::audit
