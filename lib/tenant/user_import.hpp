// `user import`: users.csv parsed (RFC 4180) and imported all-or-nothing.
#pragma once
#include "tenant/tenant.hpp"

#include <string>
#include <vector>

namespace crm::tenant {

/// One parsed CSV row of `user import` and what happened to it.
struct ImportRow {
  std::size_t line = 0;
  std::string email, name, role;
  /// created | exists | updated | disabled | error | conflict | not_imported | would_import |
  /// would_update
  std::string result;
  std::string error;
};
/// Parses users.csv (header: email,name,role; RFC 4180 quoting; a UTF-8 BOM is skipped). Pure:
/// no database. Every field goes through check_text: a bad one makes its row an error naming
/// the line, the column and the character.
Result<std::vector<ImportRow>> parse_users_csv(const std::string& text);

/// Whether an import changes the role of an existing member whose row names another role.
enum class UpdateRoles { no, yes };
/// Validates every row first; any bad row → nothing is written and every row is reported with
/// result "error" (the caller exits 2). An existing member with another role is a conflict
/// (result "conflict", nothing written; the caller exits 4) unless `update_roles` is yes (result
/// "updated"); a disabled member is reported as "disabled" and left as it is. Otherwise imports
/// all rows in `tx`.
Result<std::vector<ImportRow>> import_users(db::AdminTx& tx, const TenantRef& t,
                                            const Tenancy& tenancy, std::vector<ImportRow> rows,
                                            const Actor& actor, DryRun dry_run,
                                            UpdateRoles update_roles = UpdateRoles::no);

} // namespace crm::tenant
