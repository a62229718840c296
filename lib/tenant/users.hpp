// Users (global, bcrypt), memberships (tenant) and API keys (tenant).
#pragma once
#include "core/clock.hpp"
#include "tenant/tenant.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
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

/// Creates (or reuses, by email) the user and adds the membership. Existing membership with the
/// same role: ok with created=false; with another role: conflict.
Result<nlohmann::json> create_user(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                   const UserSpec& u, const Actor& actor, bool dry_run);
/// Members of the tenant with their role and status.
Result<nlohmann::json> list_users(db::Connection& c, const TenantRef& t, const Tenancy& tenancy);
/// Disables the membership in this tenant (the user keeps other tenants).
Result<nlohmann::json> disable_user(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                    const std::string& email, const Actor& actor, bool dry_run);

/// One parsed CSV row of `user import` and what happened to it.
struct ImportRow {
  std::size_t line = 0;
  std::string email, name, role;
  std::string result; // created | exists | error
  std::string error;
};
/// Parses users.csv (header: email,name,role; RFC 4180 quoting).
Result<std::vector<ImportRow>> parse_users_csv(const std::string& text);
/// Validates every row first; any bad row → nothing is written, every row reported, usage error.
/// Otherwise imports all rows in one transaction.
Result<std::vector<ImportRow>> import_users(db::Connection& c, const TenantRef& t,
                                            const Tenancy& tenancy, std::vector<ImportRow> rows,
                                            const Actor& actor, bool dry_run);

/// Known API key scopes.
const std::vector<std::string>& api_key_scopes();
struct ApiKeySpec {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::chrono::milliseconds> expires_in;
};
/// Creates a key; the secret ("crm_<prefix>_<secret>") is in the result once, only its SHA-256 is
/// stored.
Result<nlohmann::json> create_api_key(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                      const ApiKeySpec& spec, TimePoint now, const Actor& actor,
                                      bool dry_run);
Result<nlohmann::json> list_api_keys(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                     TimePoint now);
/// Revokes by prefix or id; revoking a revoked key is a no-op.
Result<nlohmann::json> revoke_api_key(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                      const std::string& prefix_or_id, const Actor& actor,
                                      bool dry_run);

} // namespace crm::tenant
