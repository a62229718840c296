// Helpers shared by tenant-scoped verbs (cmd layer only).
#pragma once
#include "cmd/app.hpp"
#include "core/master_key.hpp"
#include "core/money.hpp"
#include "tenant/tenant.hpp"

#include <optional>

namespace crm::cmd {

/// The application role and GUC of the profile.
tenant::Tenancy tenancy_of(Deps& d);
/// "crmctl:<user>" for the audit trail.
tenant::Actor actor_of(Deps& d);
/// Resolves `arg` (or the global --tenant when `arg` is empty) to a tenant, UUID-first.
Result<tenant::TenantRef> resolve_tenant(Deps& d, const std::string& arg);
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
