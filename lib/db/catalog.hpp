// What the PostgreSQL catalog says about tenant tables and their row-level security: two set-based
// statements (tables, policies) whatever the number of tables, shared by doctor, the tests and
// the RLS audit (lib/audit).
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <cstdint>
#include <map>
#include <set>
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

/// A foreign key of a table (constraints inherited by partitions are left out).
struct ForeignKeyInfo {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_schema, ref_table;
  std::vector<std::string> ref_columns;
};

/// What an application role may do to a table (GRANTs, ownership and memberships included).
struct TablePrivileges {
  bool select = false, insert = false, update = false, remove = false;
};

/// A table (relkind r or p) that carries one of the tenant columns.
struct TenantTableRls {
  std::string schema, table;
  std::uint32_t oid = 0;
  char kind = 'r';    // 'r' table, 'p' partitioned table
  std::string parent; // "schema.table" of the partitioned parent; "" when not a partition
  std::string owner;
  /// Marked `crmctl:global ...` by its comment: global by design (routing, inbox, audit trail).
  bool global = false;
  std::string tenant_column;      // the first of the expected columns the table has
  std::string tenant_column_type; // format_type, e.g. "uuid", "integer"
  bool rls_enabled = false, rls_forced = false;
  bool tenant_column_not_null = false;
  /// An enabled BEFORE UPDATE row trigger whose function mentions the tenant column.
  bool guard_trigger = false;
  std::vector<PolicyInfo> policies;
  std::vector<ForeignKeyInfo> foreign_keys;
  /// The table's ACL as PostgreSQL prints it ("" for the default: the owner has everything).
  std::string acl;
  /// Per application role listed in RlsExpectation::privileges_of: what it may do to the table.
  std::map<std::string, TablePrivileges> privileges;
  /// Why this table does not isolate tenants for the first application role (doctor's reading);
  /// empty when it does. Left empty for global tables.
  std::vector<std::string> problems;
};

/// Whether tables marked `crmctl:global` by comment are returned (flagged `global`) or skipped.
enum class GlobalTables { skip, include };

/// What "isolated" means for the tables to inspect.
struct RlsExpectation {
  /// Application roles; problems are computed for the first.
  std::vector<std::string> app_roles = {"crm_app"};
  /// Per application role, the roles whose privileges it has (itself included, as pg_has_role
  /// USAGE says): its table privileges are read from each table's ACL. Roles not listed get none.
  std::map<std::string, std::set<std::string>> privileges_of;
  /// Tenant columns, in order of preference: a table is a tenant table when it has one of them.
  std::vector<std::string> tenant_columns = {"org_id"};
  /// The one predicate every permissive policy for the app role must use (USING and WITH CHECK);
  /// empty: `problems` are not computed (the audit reads policies its own way).
  std::string predicate = "(org_id = crm.current_org_id())";
  /// Schemas to inspect; empty = every schema but pg_catalog, information_schema and crm.
  std::vector<std::string> schemas;
  GlobalTables global_tables = GlobalTables::skip;
};

/// What a role that has the privileges of `roles` (itself included) may do to the table, read from
/// its ACL as has_table_privilege would answer (superusers aside).
TablePrivileges privileges_for(const TenantTableRls& t, const std::set<std::string>& roles);

/// The roles ("" for PUBLIC) granted SELECT, INSERT, UPDATE or DELETE on any of the tenant tables
/// among `tables` (global ones skipped; owners of tables with the default ACL included).
std::set<std::string> privileged_roles(const std::vector<TenantTableRls>& tables);

/// Every tenant table with its RLS state, policies, foreign keys, privileges and (doctor's)
/// problems: RLS not enabled or not forced, the tenant column nullable, no policy for the app
/// role, or a permissive policy for it (or for PUBLIC) whose USING or WITH CHECK is anything but
/// the predicate — e.g. USING (true), which ORs every row in. Ordered by schema and table
/// (byte order).
Result<std::vector<TenantTableRls>> tenant_table_rls(Tx& tx, const RlsExpectation& want);

} // namespace crm::db
