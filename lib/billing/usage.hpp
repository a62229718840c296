// Reading a period's usage out of the calls table: one set-based pass, grouped in the database.
//
// Incremental reruns: a rollup keeps the sums of the calls that are "settled" — last changed more
// than k_settle_margin before the rollup ran — with the time that boundary stood at. The next run
// adds only the calls changed since that boundary (found through the (org_id, updated_at) index)
// and recounts the unsettled rest, unless a call created before the boundary changed after it (an
// edit of a call already counted): then the period is read in full. The margin covers ingestion
// transactions that commit after their own timestamps; none runs for an hour.
#pragma once
#include "billing/rating.hpp"
#include "db/db.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crm::billing {

/// The kept part of a rollup's usage (usage_rollups.usage_state).
struct UsageState {
  std::string settled_before; // timestamptz text: calls last changed at or before it are in `settled`
  std::string timezone;       // the period boundaries it was read with
  Usage settled;
};
nlohmann::json to_json(const UsageState& s);
/// nullopt for an empty or unreadable state (a full read follows).
std::optional<UsageState> usage_state_from_json(const nlohmann::json& j);

/// How a read went.
enum class ReadKind { full, incremental };
struct UsageRead {
  Usage total;
  UsageState state;
  ReadKind kind = ReadKind::full;
  std::string last_change; // latest updated_at among the period's calls read ("" when none)
};

/// The settle boundary of a rollup running now (now() - margin, in the database's clock).
Result<std::string> settle_boundary(db::Tx& tx);

/// A tenant's usage for `period` in `timezone`, incrementally from `prev` when it can be trusted
/// (same timezone, no edits of counted calls), in full otherwise or when `force_full`.
Result<UsageRead> read_usage(db::TenantTx& tx, const Period& period, const std::string& timezone,
                             const std::optional<UsageState>& prev, bool force_full,
                             const std::string& settle_before);

/// One tenant of a bulk read; `prev` set: read incrementally from it (the caller checked that it
/// can be trusted, see edited_since).
struct BulkTenant {
  std::string org_id;
  std::string timezone;
  std::optional<UsageState> prev;
};
/// Reads of many row-isolated tenants (admin transaction) with a fixed number of statements: the
/// full ones in one pass over public.calls grouped by tenant, the incremental ones in one
/// statement that walks each tenant's (org_id, updated_at) index. org_id -> read; tenants without
/// calls in the period get an empty read.
Result<std::map<std::string, UsageRead>> read_usage_bulk(db::Tx& tx, const Period& period,
                                                         const std::vector<BulkTenant>& tenants,
                                                         const std::string& settle_before);

/// The tenants of `tenants` (with `prev`) whose calls created at or before their old settle
/// boundary changed after it: their kept sums cannot be trusted (a full read follows).
Result<std::set<std::string>> edited_since(db::Tx& tx, const std::vector<BulkTenant>& tenants);

/// Calls per hour of day (0-23) in `timezone` ("" = each tenant's own) for a period: for
/// `billing report`. Row tenants in one pass; org_id -> 24 counts.
Result<std::map<std::string, std::vector<long long>>> calls_by_hour_bulk(
    db::Tx& tx, const Period& period, const std::vector<BulkTenant>& tenants,
    const std::string& timezone);
/// The same for one tenant through its own scope.
Result<std::vector<long long>> calls_by_hour(db::TenantTx& tx, const Period& period,
                                            const std::string& period_timezone,
                                            const std::string& hour_timezone);

/// Billable usage per local day of the period (index 0 = day 1): {ceil minutes, seconds}.
struct DayUsage {
  long long ceil_minutes = 0, seconds = 0;
};
Result<std::vector<DayUsage>> billable_by_day(db::TenantTx& tx, const Period& period,
                                              const std::string& timezone);

} // namespace crm::billing
