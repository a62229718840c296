#include "billing/rating.hpp"

#include "core/input.hpp"

#include <algorithm>
#include <cstdio>

namespace crm::billing {

namespace {

int days_in_month(int y, int m) {
  static const int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : k_days[m - 1];
}

std::string ymd(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

} // namespace

std::string Period::text() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  return buf;
}
std::string Period::first_day() const { return ymd(year, month, 1); }
std::string Period::last_day() const { return ymd(year, month, days_in_month(year, month)); }
Period Period::next() const { return month == 12 ? Period{year + 1, 1} : Period{year, month + 1}; }
Period Period::prev() const { return month == 1 ? Period{year - 1, 12} : Period{year, month - 1}; }

Result<Period> parse_period(std::string_view s) {
  auto bad = [&] {
    return make_error(ErrorKind::usage, "period '" + excerpt(s) +
                                            "' is not a month: use YYYY-MM (e.g. 2026-11)");
  };
  if (s.size() != 7 || s[4] != '-') return bad();
  for (std::size_t i : {0, 1, 2, 3, 5, 6})
    if (s[i] < '0' || s[i] > '9') return bad();
  Period p{std::stoi(std::string(s.substr(0, 4))), std::stoi(std::string(s.substr(5, 2)))};
  if (p.month < 1 || p.month > 12 || p.year < 2000 || p.year > 2999) return bad();
  return p;
}

Usage& Usage::operator+=(const Usage& o) {
  calls += o.calls;
  billable_calls += o.billable_calls;
  billable_seconds += o.billable_seconds;
  billable_ceil_minutes += o.billable_ceil_minutes;
  provider_cost_calls += o.provider_cost_calls;
  provider_cost = provider_cost + o.provider_cost;
  est_seconds += o.est_seconds;
  est_ceil_minutes += o.est_ceil_minutes;
  excluded_calls += o.excluded_calls;
  excluded_seconds += o.excluded_seconds;
  excluded_ceil_minutes += o.excluded_ceil_minutes;
  excluded_provider_cost_calls += o.excluded_provider_cost_calls;
  excluded_provider_cost = excluded_provider_cost + o.excluded_provider_cost;
  excluded_est_seconds += o.excluded_est_seconds;
  excluded_est_ceil_minutes += o.excluded_est_ceil_minutes;
  return *this;
}

nlohmann::json to_json(const Usage& u) {
  return {{"calls", u.calls},
          {"billable_calls", u.billable_calls},
          {"billable_seconds", u.billable_seconds},
          {"billable_ceil_minutes", u.billable_ceil_minutes},
          {"provider_cost_calls", u.provider_cost_calls},
          {"provider_cost", u.provider_cost.to_string()},
          {"est_seconds", u.est_seconds},
          {"est_ceil_minutes", u.est_ceil_minutes},
          {"excluded_calls", u.excluded_calls},
          {"excluded_seconds", u.excluded_seconds},
          {"excluded_ceil_minutes", u.excluded_ceil_minutes},
          {"excluded_provider_cost_calls", u.excluded_provider_cost_calls},
          {"excluded_provider_cost", u.excluded_provider_cost.to_string()},
          {"excluded_est_seconds", u.excluded_est_seconds},
          {"excluded_est_ceil_minutes", u.excluded_est_ceil_minutes}};
}

Result<Usage> usage_from_json(const nlohmann::json& j) {
  try {
    Usage u;
    u.calls = j.at("calls").get<long long>();
    u.billable_calls = j.at("billable_calls").get<long long>();
    u.billable_seconds = j.at("billable_seconds").get<long long>();
    u.billable_ceil_minutes = j.at("billable_ceil_minutes").get<long long>();
    u.provider_cost_calls = j.at("provider_cost_calls").get<long long>();
    CRM_TRY_ASSIGN(u.provider_cost, Decimal::parse(j.at("provider_cost").get<std::string>(),
                                                   {24, 18}));
    u.est_seconds = j.at("est_seconds").get<long long>();
    u.est_ceil_minutes = j.at("est_ceil_minutes").get<long long>();
    u.excluded_calls = j.at("excluded_calls").get<long long>();
    u.excluded_seconds = j.at("excluded_seconds").get<long long>();
    u.excluded_ceil_minutes = j.at("excluded_ceil_minutes").get<long long>();
    u.excluded_provider_cost_calls = j.at("excluded_provider_cost_calls").get<long long>();
    CRM_TRY_ASSIGN(u.excluded_provider_cost,
                   Decimal::parse(j.at("excluded_provider_cost").get<std::string>(), {24, 18}));
    u.excluded_est_seconds = j.at("excluded_est_seconds").get<long long>();
    u.excluded_est_ceil_minutes = j.at("excluded_est_ceil_minutes").get<long long>();
    return u;
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::unexpected, std::string("stored usage state is unreadable: ") +
                                               e.what());
  }
}

Decimal round_money(const Decimal& d) { return d.round_half_up(2); }

Rated rate(const Usage& u, const Terms& t) {
  Rated r;
  const Decimal free = Decimal::from_int(t.free_minutes);
  if (t.rounding == tenant::Rounding::per_call_ceil_minute) {
    // Each call rounded up to a whole minute; free minutes off the period's total (rule 4).
    r.units = Decimal::from_int(u.billable_ceil_minutes);
    r.free_units = std::min(free, r.units);
    r.paid_units = r.units - r.free_units;
    r.charge = round_money(r.paid_units * t.rate_per_minute);
    r.cogs = u.provider_cost + Decimal::from_int(u.est_ceil_minutes) * t.cogs_per_minute;
    r.excluded_units = Decimal::from_int(u.excluded_ceil_minutes);
    r.excluded_cogs = u.excluded_provider_cost +
                      Decimal::from_int(u.excluded_est_ceil_minutes) * t.cogs_per_minute;
  } else {
    // Seconds summed and priced per second; money rounded once for the line.
    const long long free_seconds = std::min(t.free_minutes * 60, u.billable_seconds);
    r.paid_seconds = u.billable_seconds - free_seconds;
    r.units = Decimal::from_int(u.billable_seconds).divided_by(60, 6);
    r.free_units = Decimal::from_int(free_seconds).divided_by(60, 6);
    r.paid_units = r.units - r.free_units;
    r.charge = (Decimal::from_int(r.paid_seconds) * t.rate_per_minute).divided_by(60, 2);
    r.cogs = u.provider_cost +
             (Decimal::from_int(u.est_seconds) * t.cogs_per_minute).divided_by(60, 12);
    r.excluded_units = Decimal::from_int(u.excluded_seconds).divided_by(60, 6);
    r.excluded_cogs = u.excluded_provider_cost +
                      (Decimal::from_int(u.excluded_est_seconds) * t.cogs_per_minute)
                          .divided_by(60, 12);
  }
  return r;
}

} // namespace crm::billing
