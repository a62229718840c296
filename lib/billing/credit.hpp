// Credit accounts (RinglyPro): top-ups and the balance history; debits happen at period close
// (rollup.hpp). Every change is a credit_transactions row and an audit_events row.
#pragma once
#include "core/money.hpp"
#include "core/options.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crm::billing {

struct CreditEntry {
  std::string at, kind, period, reason, actor;
  Decimal amount, balance_after;
};

struct CreditAccount {
  bool exists = false; // a prepaid account (topped up at least once)
  Decimal balance, low_balance_threshold;
  bool low_balance = false, zero_balance = false;
  std::vector<CreditEntry> history; // newest first
};

/// Adds `amount` (positive, at most 2 decimal places) to the tenant's balance, opening the
/// account when it has none; flags recomputed. `reason` is required (checked text).
Result<CreditAccount> add_credit(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const Decimal& amount, const std::string& reason,
                                 const tenant::Actor& actor, DryRun dry_run);

/// The account with its last `limit` ledger entries.
Result<CreditAccount> show_credit(db::TenantTx& tx, int limit);

nlohmann::json to_json(const CreditAccount& a);

} // namespace crm::billing
