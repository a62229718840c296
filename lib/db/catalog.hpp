// What the PostgreSQL catalog says about tenant tables and their row-level security: one query,
// shared by doctor, the tests and (later) the RLS audit.
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <string>
#include <vector>

namespace crm::db {

/// One policy on a table, as the catalog has it.
struct PolicyInfo {
  std::string name;
  std::string command;            // ALL | SELECT | INSERT | UPDATE | DELETE
  bool permissive = true;         // PERMISSIVE policies OR together; RESTRICTIVE ones AND
  std::vector<std::string> roles; // "public" for PUBLIC
  std::string using_expr;         // pg_get_expr of polqual ("" when none)
  std::string check_expr;         // pg_get_expr of polwithcheck ("" when none)
};

/// A table that carries the tenant column and is not marked `crmctl:global` by comment.
struct TenantTableRls {
  std::string schema, table;
  bool rls_enabled = false, rls_forced = false;
  bool tenant_column_not_null = false;
  std::vector<PolicyInfo> policies;
  /// Why this table does not isolate tenants for `app_role`; empty when it does.
  std::vector<std::string> problems;
};

/// What "isolated" means for the tables to inspect.
struct RlsExpectation {
  std::string app_role = "crm_app";
  std::string tenant_column = "org_id";
  /// The one predicate every permissive policy for the app role must use (USING and WITH CHECK).
  std::string predicate = "(org_id = crm.current_org_id())";
  /// Schemas to inspect; empty = every schema but pg_catalog, information_schema and crm.
  std::vector<std::string> schemas;
};

/// Every tenant table with its RLS state, policies and problems: RLS not enabled or not forced,
/// the tenant column nullable, no policy for the app role, or a permissive policy for it (or for
/// PUBLIC) whose USING or WITH CHECK is anything but the predicate — e.g. USING (true), which
/// ORs every row in.
Result<std::vector<TenantTableRls>> tenant_table_rls(Tx& tx, const RlsExpectation& want);

} // namespace crm::db
