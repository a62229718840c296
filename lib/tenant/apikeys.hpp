// API keys (tenant rows): scoped, expiring; the secret is returned once, only its SHA-256 stored.
#pragma once
#include "core/clock.hpp"
#include "tenant/tenant.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace crm::tenant {

/// Known API key scopes.
const std::vector<std::string>& api_key_scopes();

struct ApiKeySpec {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::chrono::milliseconds> expires_in;
};
struct ApiKeyCreated {
  std::string id, tenant, name, prefix;
  std::vector<std::string> scopes;
  std::string expires_at; // "" = never
  std::string secret;     // "crm_<prefix>_<secret>", empty on a dry run
  bool dry_run = false;
};
Result<ApiKeyCreated> create_api_key(db::TenantTx& tx, const TenantRef& t, const ApiKeySpec& spec,
                                     TimePoint now, const Actor& actor, DryRun dry_run);

struct ApiKeyInfo {
  std::string id, name, prefix, scopes, status, expires_at, created_at;
};
Result<std::vector<ApiKeyInfo>> list_api_keys(db::TenantTx& tx, const TenantRef& t, TimePoint now);

struct RevokeResult {
  std::string id, prefix;
  bool changed = false;
  bool dry_run = false;
};
/// Revokes by prefix or id; revoking a revoked key is a no-op.
Result<RevokeResult> revoke_api_key(db::TenantTx& tx, const TenantRef& t,
                                    const std::string& prefix_or_id, const Actor& actor,
                                    DryRun dry_run);

} // namespace crm::tenant
