// `billing rollup`: a tenant's period rated into a draft statement, closed on request; late
// usage for closed periods re-rated into adjustment lines; credit accounts debited at close.
#pragma once
#include "billing/rating.hpp"
#include "billing/usage.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <optional>
#include <string>
#include <vector>

namespace crm::billing {

enum class Close { no, yes };
/// Read every call of the period even when an incremental read could be trusted.
enum class FullRead { no, yes };

struct RollupOptions {
  Period period;
  Close close = Close::no;
  FullRead full = FullRead::no;
  tenant::Actor actor;
  bool dry_run = false; // only marks the audit row; the caller rolls the transaction back
};

/// A late-usage adjustment: the closed period re-rated with its own terms, minus what was billed
/// for it so far (rule 9).
struct Adjustment {
  Period for_period;
  Decimal units, free_units, paid_units, unit_price, amount, cogs;
  long long calls = 0;
};

/// A credit account's debit at close (rule 12).
struct CreditDebit {
  Decimal amount;        // what was debited (the statement total)
  Decimal balance_after; // balance after the debit
  bool low_balance = false, zero_balance = false;
};

struct RollupResult {
  std::string org_id, slug;
  Period period;
  std::string status;       // draft | closed
  bool was_closed = false;  // closed before this run: returned as stored, nothing recomputed
  bool closed_now = false;  // this run closed it
  bool unchanged = false;   // bulk path: the stored draft already said this; nothing was written
  ReadKind read = ReadKind::full;
  Terms terms;
  Usage usage;
  Rated rated;
  std::vector<Adjustment> adjustments;
  Decimal adjustments_total, total, margin;
  std::string closed_at;
  std::optional<CreditDebit> debit;
};

/// Rolls one tenant's period up inside `tx` (the caller commits, or rolls back for --dry-run),
/// reading incrementally when the stored state allows. Serialised per tenant (and against
/// rollup_bulk) by transaction-level advisory locks. A closed period is returned as stored.
Result<RollupResult> rollup_tenant(db::TenantTx& tx, const tenant::TenantRef& t,
                                   const RollupOptions& o);

/// What the set-based path did, and the tenants it left to rollup_tenant.
struct BulkRollup {
  std::vector<RollupResult> done;
  std::vector<tenant::TenantRef> per_tenant; // schema tenants, --close, closed for the period,
                                             // or with late usage of closed periods to re-rate
};
/// The draft rollups of many tenants in one admin transaction with a fixed number of statements
/// (one pass over public.calls for the full reads, one for the incremental ones, set-based
/// writes): every row-isolated tenant whose period is open and needs no adjustment. The caller
/// commits (or rolls back for --dry-run) and runs rollup_tenant for `per_tenant`.
Result<BulkRollup> rollup_bulk(db::AdminTx& tx, const std::vector<tenant::TenantRef>& tenants,
                               const RollupOptions& o);

/// The stored rollup of a period (nullopt when never rolled up).
Result<std::optional<RollupResult>> load_rollup(db::TenantTx& tx, const tenant::TenantRef& t,
                                                const Period& period);

/// The tenant's current terms (organizations row, read through the tenant's own scope).
Result<Terms> current_terms(db::TenantTx& tx);

/// Adds up the adjustments and sets total (charge + adjustments) and margin (total minus the
/// rounded COGS of the usage and the adjustments).
void finish_totals(RollupResult& r);

/// JSON of a rollup (stable keys; money as fixed-point strings).
nlohmann::json to_json(const RollupResult& r);

} // namespace crm::billing
