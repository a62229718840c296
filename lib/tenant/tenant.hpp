// Tenants: the reference every other module receives, resolution (UUID-first), scopes and the
// validation rules shared by provisioning and updates. Provisioning is in provision.hpp,
// lifecycle (list, show, update, suspend/resume, delete) in lifecycle.hpp.
#pragma once
#include "core/options.hpp"
#include "core/result.hpp"
#include "db/db.hpp"

#include <string>

namespace crm::tenant {

/// What everything else needs to know about a tenant, resolved once.
struct TenantRef {
  std::string id;
  std::string slug;
  std::string name;
  std::string status; // active | suspended | deleted
  db::Isolation isolation = db::Isolation::row;
  std::string schema; // org_<hex> for schema tenants
};

/// Who runs a command, for the audit trail ("crmctl:alice"); `via_context` marks commands that
/// act on a tenant chosen by `crmctl context use` (impersonation trail).
struct Actor {
  std::string name = "crmctl";
  std::string via_context; // "" or "<slug> (<profile>)"
};

/// Application role and GUC used by TenantTx (profile tenancy settings).
struct Tenancy {
  std::string app_role = "crm_app";
  std::string guc = "app.current_org_id";
};

/// How billed minutes are rounded.
enum class Rounding { per_call_ceil_minute, per_second };

/// Resolves a UUID or slug on any transaction; not found → ErrorKind::not_found naming it.
Result<TenantRef> resolve(db::Tx& tx, const std::string& id_or_slug);
/// The TenantTx scope of a tenant.
db::TenantScope scope_of(const TenantRef& t, const Tenancy& tenancy);
/// Refuses suspended and deleted tenants (conflict, exit 4) with the command that fixes it.
Status require_active(const TenantRef& t);
/// `"org_x"."table"` or `public."table"`: a tenant table for cross-tenant (AdminTx) statements.
std::string table_of(const TenantRef& t, const std::string& table);
/// "row" or "schema".
const char* isolation_name(db::Isolation i);

/// Validation helpers (exposed for tests).
bool is_valid_email(const std::string& e);
bool is_valid_currency(const std::string& c);
Result<Rounding> parse_rounding(const std::string& s);
std::string rounding_name(Rounding r);

/// The audit row's arguments with the context marker added when the actor acts through one.
std::string audit_args(const Actor& actor, std::string arguments_json);

} // namespace crm::tenant
