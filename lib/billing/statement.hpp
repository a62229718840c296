// `billing statement`: the tenant-facing statement of a rolled-up period (white-label rule: no
// COGS, no provider names), as JSON, RFC 4180 CSV or a one-page PDF drawn with cairo.
#pragma once
#include "billing/rating.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <string>
#include <vector>

namespace crm::billing {

struct StatementLine {
  int line_no = 0;
  std::string kind; // usage | adjustment | not_billed
  std::string description;
  Decimal units, free_units, paid_units, unit_price, amount;
  long long calls = 0;
  std::string period_from, period_to;
};

struct Statement {
  std::string tenant_name, tenant_slug;
  Period period;
  std::string status; // draft | closed
  std::string currency, rounding, timezone;
  Decimal total;
  std::vector<StatementLine> lines;
  std::string brand_color = "#1f4e79"; // #rrggbb from the tenant's branding (see brand_color_of)
  std::vector<Decimal> minutes_per_day; // billed minutes per local day (index 0 = day 1)
};

/// The statement of a rolled-up period; not_found (exit 3) naming `billing rollup` otherwise.
Result<Statement> load_statement(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const Period& period);

/// The tenant's branding colour: branding.primary_color, branding.color, settings.brand_color or
/// settings.branding_color, the first that is a #rrggbb colour; `fallback` otherwise.
std::string brand_color_of(const nlohmann::json& branding, const nlohmann::json& settings,
                           const std::string& fallback);

/// JSON (money as fixed-point strings).
nlohmann::json statement_json(const Statement& s);
/// RFC 4180 CSV: a header, one record per line in line order, then a total record; CRLF line
/// ends; money with 2 places, units with 6.
std::string statement_csv(const Statement& s);
/// A one-page PDF (US Letter): tenant name on a band of its colour, the lines, the total and a
/// bar chart of billed minutes per day. Fails only if cairo does.
Result<std::string> statement_pdf(const Statement& s);

} // namespace crm::billing
