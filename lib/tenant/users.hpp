// Users (global, bcrypt) and their memberships (tenant rows, written under the tenant's scope).
// Functions take the admin transaction they run in; the caller commits.
#pragma once
#include "tenant/tenant.hpp"

#include <optional>
#include <string>
#include <vector>

namespace crm::tenant {

/// admin, manager, employee, viewer — or superadmin (a user flag plus an admin membership).
bool is_valid_role(const std::string& role);

struct UserSpec {
  std::string email;
  std::string name;
  std::string role;
  std::optional<std::string> password; // from stdin or a prompt
};
struct UserResult {
  std::string id, email, tenant, role;
  bool created = false; // false: already a member with that role
  bool dry_run = false;
};
/// Creates (or reuses, by email) the user and adds the membership. Existing membership with the
/// same role: ok with created=false; with another role: conflict.
Result<UserResult> create_user(db::AdminTx& tx, const TenantRef& t, const Tenancy& tenancy,
                               const UserSpec& u, const Actor& actor, DryRun dry_run);

/// A member of a tenant.
struct Member {
  std::string id, email, name, role, status, member_since;
  bool has_password = false;
};
Result<std::vector<Member>> list_users(db::AdminTx& tx, const TenantRef& t, const Tenancy& tenancy);

struct DisableResult {
  std::string email, tenant;
  bool changed = false;
  bool dry_run = false;
};
/// Disables the membership in this tenant (the user keeps other tenants).
Result<DisableResult> disable_user(db::AdminTx& tx, const TenantRef& t, const Tenancy& tenancy,
                                   const std::string& email, const Actor& actor, DryRun dry_run);

} // namespace crm::tenant
