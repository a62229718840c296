// Tenant lifecycle: list, show, update, suspend/resume, delete. Each function runs in the
// transaction it is given and leaves the commit to the caller.
#pragma once
#include "core/money.hpp"
#include "tenant/template.hpp"
#include "tenant/tenant.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crm::tenant {

/// `tenant list` filters.
struct ListFilter {
  std::string status;    // "" = active and suspended
  std::string isolation; // "" = any
  std::string search;    // substring of name or slug
};
struct TenantSummary {
  std::string id, slug, name, status, isolation, schema, timezone, currency, created_at;
};
Result<std::vector<TenantSummary>> list(db::Tx& tx, const ListFilter& f);
/// The TenantRef of a listed tenant (for fan-outs over `list`).
TenantRef ref_of(const TenantSummary& s);

/// `tenant show`: the organization plus counts, read through the tenant's own scope (RLS).
struct TenantCounts {
  long numbers = 0, agents = 0, calls = 0, users = 0, services = 0, api_keys = 0;
};
struct TenantDetails {
  std::string id, slug, name, status, isolation, schema, timezone, currency;
  Decimal cogs_per_minute, rate_per_minute;
  int free_minutes = 0;
  std::string rounding;
  nlohmann::json settings, modules;
  std::string created_at, suspended_at; // suspended_at "" when not suspended
  TenantCounts counts;
  Decimal credit_balance;
};
Result<TenantDetails> show(db::TenantTx& tx, const TenantRef& t);

/// `tenant update`: only fields given change; slug changes keep the UUID.
struct UpdateSpec {
  std::optional<std::string> name, slug, timezone, currency;
  std::optional<Decimal> cogs_per_minute, rate_per_minute, markup;
  std::optional<int> free_minutes;
  std::optional<Rounding> rounding;
  std::optional<Template> tmpl; // settings/modules/branding (services untouched)
};
struct UpdateResult {
  std::string id, slug;
  std::vector<std::pair<std::string, std::string>> changed; // column, new value (in order given)
  bool dry_run = false;
};
Result<UpdateResult> update(db::AdminTx& tx, const TenantRef& t, const UpdateSpec& u,
                            const Actor& actor, DryRun dry_run);

/// suspend / resume: status changes, audited; a no-op when already there.
enum class TargetStatus { active, suspended };
struct StatusChange {
  std::string id, slug, status;
  bool changed = false;
  bool dry_run = false;
};
Result<StatusChange> set_status(db::AdminTx& tx, const TenantRef& t, TargetStatus status,
                                const Actor& actor, DryRun dry_run);

/// delete: soft (status deleted) or purge (every tenant row, the schema in schema mode, routes,
/// the organization). Audited.
enum class Purge { no, yes };
struct RemoveResult {
  std::string id, slug;
  bool purge = false;
  bool dry_run = false;
  std::vector<std::string> steps;
  std::map<std::string, long long> deleted_rows; // table -> rows (purge)
};
Result<RemoveResult> remove(db::AdminTx& tx, const TenantRef& t, Purge purge, const Actor& actor,
                            DryRun dry_run);

} // namespace crm::tenant
