// `billing report`: the super-admin's cross-tenant view of a period (rule 13): per tenant and in
// total, minutes, billable calls, COGS, charge, margin, excluded usage and calls per hour of day.
#pragma once
#include "billing/rollup.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <map>
#include <string>
#include <vector>

namespace crm::billing {

struct TenantLine {
  std::string status;       // closed | draft (its stored rollup) | live (never rolled up: computed now)
  RollupResult rollup;      // rated usage (adjustments only for stored rollups)
  std::vector<long long> calls_by_hour; // 24 counts
};

struct Totals {
  std::string currency;
  long long calls = 0, billable_calls = 0, excluded_calls = 0;
  Decimal minutes, excluded_minutes, charge, adjustments, total, cogs, excluded_cogs, margin;
};

struct Report {
  Period period;
  std::string timezone; // "" = each tenant's own
  std::vector<TenantLine> tenants; // by slug
  std::vector<Totals> totals;      // one per currency
  std::vector<long long> calls_by_hour; // 24, all tenants
};

/// Builds the report in one read-only snapshot: stored rollups where they exist, live ratings of
/// never-rolled-up tenants (row tenants read in one pass), hours of day in `timezone` (each
/// tenant's own when empty). Suspended tenants are included; deleted ones are not.
Result<Report> build_report(db::Connection& c, const tenant::Tenancy& tenancy, const Period& p,
                            const std::string& timezone);

nlohmann::json to_json(const Report& r);
/// One row per tenant then one total row per currency (for table and CSV output).
nlohmann::json report_rows(const Report& r);
/// A 24-row bar chart of calls per hour, `width` characters wide at the peak.
std::string hours_chart(const std::vector<long long>& hours, const std::string& timezone,
                        int width = 50);

} // namespace crm::billing
