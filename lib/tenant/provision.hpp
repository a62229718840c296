// `tenant create`: a tenant provisioned completely inside the caller's admin transaction.
#pragma once
#include "core/money.hpp"
#include "migrate/migrate.hpp"
#include "tenant/template.hpp"
#include "tenant/tenant.hpp"

#include <optional>
#include <string>
#include <vector>

namespace crm::tenant {

/// An existing tenant with identical attributes: a conflict, or accepted.
enum class IfNotExists { no, yes };

/// Input of `tenant create`.
struct CreateSpec {
  std::string name;
  std::string slug; // "" = derived from the name
  db::Isolation isolation = db::Isolation::row;
  std::string timezone = "UTC";
  std::string currency = "USD";
  std::string admin_email; // "" = no first admin
  std::string admin_name;
  std::optional<std::string> admin_password; // from stdin or a prompt, never a flag
  Decimal cogs_per_minute;
  std::optional<Decimal> rate_per_minute;
  std::optional<Decimal> markup; // rate = cogs × markup (default 2)
  int free_minutes = 0;
  Rounding rounding = Rounding::per_call_ceil_minute;
  Template tmpl;
  IfNotExists if_not_exists = IfNotExists::no;
};

/// Result of create (also the --dry-run plan).
struct CreateResult {
  std::string org_id;
  std::string slug;
  std::string name;
  db::Isolation isolation = db::Isolation::row;
  std::string schema;
  bool created = false; // false: existed with identical attributes (--if-not-exists)
  bool dry_run = false;
  std::vector<std::string> steps; // the plan, in order
  std::string admin_user_id;
  Decimal rate_per_minute;
  int round_trips = 0; // SQL statements sent (benchmark)
};

/// Validates everything first (name, slug, timezone via the server, currency, email, money), then
/// creates org, settings, services, credit account, schema (schema mode, at the current version in
/// one step), admin user and membership, and the audit row — all in `tx`, which the caller
/// commits (or not: nothing is written with DryRun::yes).
Result<CreateResult> create(db::AdminTx& tx, const CreateSpec& spec,
                            const migrate::MigrationSet& set, const Tenancy& tenancy,
                            const Actor& actor, DryRun dry_run);

} // namespace crm::tenant
