#include "billing/report.hpp"

#include "tenant/lifecycle.hpp"

#include <algorithm>
#include <cstdio>

namespace crm::billing {

namespace {

void add(Totals& t, const RollupResult& r) {
  t.calls += r.usage.calls;
  t.billable_calls += r.usage.billable_calls;
  t.excluded_calls += r.usage.excluded_calls;
  t.minutes = t.minutes + r.rated.units;
  t.excluded_minutes = t.excluded_minutes + r.rated.excluded_units;
  t.charge = t.charge + r.rated.charge;
  t.adjustments = t.adjustments + r.adjustments_total;
  t.total = t.total + r.total;
  t.cogs = t.cogs + r.rated.cogs;
  t.excluded_cogs = t.excluded_cogs + r.rated.excluded_cogs;
  t.margin = t.margin + r.margin;
}

int peak_hour(const std::vector<long long>& h) {
  if (h.empty() || *std::max_element(h.begin(), h.end()) == 0) return -1;
  return static_cast<int>(std::max_element(h.begin(), h.end()) - h.begin());
}

} // namespace

Result<Report> build_report(db::Connection& c, const tenant::Tenancy& tenancy, const Period& p,
                            const std::string& timezone) {
  Report out;
  out.period = p;
  out.timezone = timezone;
  out.calls_by_hour.assign(24, 0);
  CRM_TRY_ASSIGN(auto tx, c.admin({db::TxIsolation::repeatable_read, db::TxAccess::read_only}));
  if (!timezone.empty()) {
    auto ok = tx->exec("SELECT now() AT TIME ZONE $1", {timezone});
    if (!ok)
      return make_error(ErrorKind::usage, "--timezone '" + timezone +
                                              "' is not a timezone PostgreSQL knows (e.g. "
                                              "America/Vancouver, UTC)");
  }
  CRM_TRY_ASSIGN(auto tenants, tenant::list(*tx, {"", "", ""}));
  std::vector<BulkTenant> row_tenants;
  for (const auto& s : tenants)
    if (s.isolation != "schema") row_tenants.push_back({s.id, s.timezone, std::nullopt});
  CRM_TRY_ASSIGN(auto settle, settle_boundary(*tx));
  CRM_TRY_ASSIGN(auto hours, calls_by_hour_bulk(*tx, p, row_tenants, timezone));
  std::optional<std::map<std::string, UsageRead>> bulk; // read on first need
  std::map<std::string, Totals> totals;
  for (const auto& s : tenants) {
    const auto t = tenant::ref_of(s);
    CRM_TRY_ASSIGN(auto scoped, db::scoped(*tx, tenant::scope_of(t, tenancy)));
    TenantLine line;
    CRM_TRY_ASSIGN(auto stored, load_rollup(*scoped, t, p));
    if (stored) {
      line.rollup = std::move(*stored);
      line.status = line.rollup.status;
    } else {
      line.status = "live";
      line.rollup.org_id = t.id;
      line.rollup.slug = t.slug;
      line.rollup.period = p;
      line.rollup.status = "live";
      CRM_TRY_ASSIGN(line.rollup.terms, current_terms(*scoped));
      if (t.isolation == db::Isolation::row) {
        if (!bulk) {
          CRM_TRY_ASSIGN(bulk, read_usage_bulk(*tx, p, row_tenants, settle));
        }
        line.rollup.usage = (*bulk)[t.id].total;
      } else {
        CRM_TRY_ASSIGN(auto read, read_usage(*scoped, p, line.rollup.terms.timezone, std::nullopt,
                                             true, settle));
        line.rollup.usage = read.total;
      }
      line.rollup.rated = rate(line.rollup.usage, line.rollup.terms);
      finish_totals(line.rollup);
    }
    if (t.isolation == db::Isolation::row) {
      line.calls_by_hour = hours[t.id];
    } else {
      CRM_TRY_ASSIGN(line.calls_by_hour,
                     calls_by_hour(*scoped, p, s.timezone, timezone.empty() ? s.timezone : timezone));
    }
    for (std::size_t h = 0; h < 24; ++h)
      out.calls_by_hour[h] += line.calls_by_hour[h];
    auto& tot = totals[line.rollup.terms.currency];
    tot.currency = line.rollup.terms.currency;
    add(tot, line.rollup);
    out.tenants.push_back(std::move(line));
  }
  for (auto& [cur, t] : totals)
    out.totals.push_back(t);
  return out;
}

nlohmann::json report_rows(const Report& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& l : r.tenants) {
    const auto& x = l.rollup;
    int ph = peak_hour(l.calls_by_hour);
    rows.push_back({{"tenant", x.slug},
                    {"status", l.status},
                    {"currency", x.terms.currency},
                    {"calls", x.usage.calls},
                    {"billable_calls", x.usage.billable_calls},
                    {"minutes", x.rated.units.to_string(2)},
                    {"charge", x.rated.charge.to_string(2)},
                    {"adjustments", x.adjustments_total.to_string(2)},
                    {"total", x.total.to_string(2)},
                    {"cogs", x.rated.cogs.to_string(2)},
                    {"margin", x.margin.to_string(2)},
                    {"excluded_calls", x.usage.excluded_calls},
                    {"excluded_minutes", x.rated.excluded_units.to_string(2)},
                    {"excluded_cogs", x.rated.excluded_cogs.to_string(2)},
                    {"peak_hour", ph < 0 ? nlohmann::json() : nlohmann::json(ph)}});
  }
  for (const auto& t : r.totals)
    rows.push_back({{"tenant", "TOTAL"},
                    {"status", ""},
                    {"currency", t.currency},
                    {"calls", t.calls},
                    {"billable_calls", t.billable_calls},
                    {"minutes", t.minutes.to_string(2)},
                    {"charge", t.charge.to_string(2)},
                    {"adjustments", t.adjustments.to_string(2)},
                    {"total", t.total.to_string(2)},
                    {"cogs", t.cogs.to_string(2)},
                    {"margin", t.margin.to_string(2)},
                    {"excluded_calls", t.excluded_calls},
                    {"excluded_minutes", t.excluded_minutes.to_string(2)},
                    {"excluded_cogs", t.excluded_cogs.to_string(2)},
                    {"peak_hour", nlohmann::json()}});
  return rows;
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json tenants = nlohmann::json::array();
  auto rows = report_rows(r);
  for (std::size_t i = 0; i < r.tenants.size(); ++i) {
    auto j = rows[i];
    j["calls_by_hour"] = r.tenants[i].calls_by_hour;
    tenants.push_back(j);
  }
  nlohmann::json totals = nlohmann::json::array();
  for (std::size_t i = r.tenants.size(); i < rows.size(); ++i) {
    auto j = rows[i];
    j.erase("tenant");
    j.erase("status");
    j.erase("peak_hour");
    totals.push_back(j);
  }
  int ph = peak_hour(r.calls_by_hour);
  return {{"period", r.period.text()},
          {"timezone", r.timezone.empty() ? nlohmann::json("tenant-local")
                                          : nlohmann::json(r.timezone)},
          {"tenants", tenants},
          {"totals", totals},
          {"calls_by_hour", r.calls_by_hour},
          {"peak_hour", ph < 0 ? nlohmann::json() : nlohmann::json(ph)}};
}

std::string hours_chart(const std::vector<long long>& hours, const std::string& timezone,
                        int width) {
  long long peak = hours.empty() ? 0 : *std::max_element(hours.begin(), hours.end());
  std::string out = "Calls by hour of day (" + (timezone.empty() ? std::string("tenant-local") : timezone) + ")\n";
  for (std::size_t h = 0; h < hours.size(); ++h) {
    out += (h < 10 ? "0" : "") + std::to_string(h) + " ";
    const long long n = peak > 0 ? (hours[h] * width + peak - 1) / peak : 0;
    for (long long i = 0; i < n; ++i)
      out += "\u2588";
    out += " " + std::to_string(hours[h]) + "\n";
  }
  return out;
}

} // namespace crm::billing
