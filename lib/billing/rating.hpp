// Billing arithmetic (shared/docs/billing.md): periods, tenant terms, additive usage sums and
// the rating of usage into minutes and money. Pure: no database, no clock. Money is Decimal only.
#pragma once
#include "core/money.hpp"
#include "core/result.hpp"
#include "tenant/tenant.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace crm::billing {

/// A calendar month in the tenant's timezone ("2026-11").
struct Period {
  int year = 0;
  int month = 0;
  /// "YYYY-MM".
  std::string text() const;
  /// "YYYY-MM-01".
  std::string first_day() const;
  /// The last day of the month, "YYYY-MM-DD".
  std::string last_day() const;
  Period next() const;
  Period prev() const;
  auto operator<=>(const Period&) const = default;
};
/// Parses "YYYY-MM" (month 01-12, year 2000-2999); anything else is a usage error.
Result<Period> parse_period(std::string_view text);

/// A tenant's billing terms (organizations row; a rollup keeps the terms it was rated with).
struct Terms {
  Decimal cogs_per_minute;
  Decimal rate_per_minute;
  long long free_minutes = 0;
  tenant::Rounding rounding = tenant::Rounding::per_call_ceil_minute;
  std::string timezone = "UTC";
  std::string currency = "USD";
  bool operator==(const Terms&) const = default;
};

/// Additive sums over a set of calls (independent of the terms, so they can be kept and added
/// to). Billable: a phone call marked billable with a positive duration; the rest is excluded.
/// "est" sums cover calls without a provider-reported cost (their COGS is rate x duration).
struct Usage {
  long long calls = 0;
  long long billable_calls = 0, billable_seconds = 0, billable_ceil_minutes = 0;
  long long provider_cost_calls = 0;
  Decimal provider_cost; // billable calls that reported one, exact
  long long est_seconds = 0, est_ceil_minutes = 0;
  long long excluded_calls = 0, excluded_seconds = 0, excluded_ceil_minutes = 0;
  long long excluded_provider_cost_calls = 0;
  Decimal excluded_provider_cost;
  long long excluded_est_seconds = 0, excluded_est_ceil_minutes = 0;

  Usage& operator+=(const Usage& o);
  bool operator==(const Usage&) const = default;
};
nlohmann::json to_json(const Usage& u);
Result<Usage> usage_from_json(const nlohmann::json& j);

/// Usage rated under terms (rules 2-6). Minutes are Decimals: whole under per_call_ceil_minute,
/// seconds / 60 to 6 places under per_second. `charge` is rounded once, half-up, to the currency's
/// minor unit (2 places); `cogs` stays exact (rounded only where shown).
struct Rated {
  Decimal units, free_units, paid_units;
  long long paid_seconds = 0; // per_second only
  Decimal charge;
  Decimal cogs;
  Decimal excluded_units; // minutes of excluded calls (rounded like billable ones)
  Decimal excluded_cogs;
};
Rated rate(const Usage& u, const Terms& t);

/// Money rounded to the statement's minor unit (2 places, half-up).
Decimal round_money(const Decimal& d);

} // namespace crm::billing
