// Helpers shared by verbs (cmd layer only): the tenant-verb opener, transactions that commit
// unless --dry-run, secrets from stdin, templates.
#pragma once
#include "cmd/app.hpp"
#include "core/master_key.hpp"
#include "core/money.hpp"
#include "core/options.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <optional>
#include <utility>

namespace crm::cmd {

/// The application role and GUC of the profile.
tenant::Tenancy tenancy_of(Deps& d);
/// "crmctl:<user>" for the audit trail, marked when acting through `crmctl context`.
tenant::Actor actor_of(Deps& d);
/// DryRun::yes under --dry-run.
DryRun dry_run_of(Deps& d);
/// Why this session may not change the platform ("--read-only is set", "profile 'x' is
/// read-only"), or "" when it may.
Result<std::string> read_only_reason(Deps& d);
/// Refuses (conflict, exit 4) a change `what` ("`number reconcile --fix`") in a read-only session,
/// for verbs that mostly read and write only on request.
Status refuse_if_read_only(Deps& d, const std::string& what);

/// Whether a verb works on suspended tenants too.
enum class NeedActive { yes, no };

/// What a tenant-scoped verb needs, resolved once up front: the tenant (UUID-first), the session,
/// the profile's tenancy settings and who acts.
struct TenantCall {
  tenant::TenantRef tenant;
  tenant::Tenancy tenancy;
  tenant::Actor actor;
  db::Connection* conn = nullptr;
  db::TenantScope scope() const { return tenant::scope_of(tenant, tenancy); }
};
/// The one preamble of tenant verbs: `arg` (or the global --tenant, or the current context)
/// resolved, connected, and — unless NeedActive::no — refused when suspended or deleted.
Result<TenantCall> open_tenant(Deps& d, const std::string& arg, NeedActive need = NeedActive::yes);

/// Runs `fn(AdminTx&)` in a new admin transaction; commits when it succeeded and --dry-run is
/// not set, otherwise rolls back.
template <class F>
auto in_admin_tx(Deps& d, db::Connection& c, F&& fn) -> decltype(fn(std::declval<db::AdminTx&>())) {
  auto tx = c.admin();
  if (!tx) return std::move(tx).error();
  auto r = fn(**tx);
  if (r && !d.global().dry_run)
    if (auto done = (*tx)->commit(); !done) return std::move(done).error();
  return r;
}

/// Runs `fn(TenantTx&)` in a new transaction scoped to the call's tenant; commits like
/// in_admin_tx.
template <class F>
auto in_tenant_tx(Deps& d, const TenantCall& call, F&& fn)
    -> decltype(fn(std::declval<db::TenantTx&>())) {
  auto tx = call.conn->tenant(call.scope());
  if (!tx) return std::move(tx).error();
  auto r = fn(**tx);
  if (r && !d.global().dry_run)
    if (auto done = (*tx)->commit(); !done) return std::move(done).error();
  return r;
}

/// The templates directory: $CRMCTL_TEMPLATES_DIR, then <exe>/../share/crmctl/templates, then the
/// source tree.
std::string templates_dir(Deps& d);
/// Reads one secret line from stdin (no echo on a terminal, prompting on stderr).
Result<std::string> read_secret(Deps& d, const std::string& prompt);
/// Reads all of stdin (for --from-stdin and CSV "-").
std::string read_all_stdin(Deps& d);
/// Parses an optional decimal flag ("" = not given).
Result<std::optional<Decimal>> optional_decimal(const std::string& flag, const std::string& text);
/// The master key of the current settings (config error when absent).
Result<MasterKey> master_key(Deps& d);

} // namespace crm::cmd
