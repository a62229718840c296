#include "billing/usage.hpp"

namespace crm::billing {

namespace {

// Duration of a call in whole seconds: the recorded duration, else ended - started, never
// negative. `p` qualifies the columns ("c." when the calls table is joined).
std::string seconds_of(const std::string& p) {
  return "greatest(coalesce(" + p + "duration_seconds::bigint, floor(extract(epoch FROM " + p +
         "ended_at - " + p + "started_at))::bigint, 0), 0)";
}

// Billable: a phone call marked billable that lasted at least one whole second (the same test
// as seconds_of(p) > 0, without computing it twice).
std::string billable_of(const std::string& p) {
  return "(" + p + "is_billable AND " + p + "call_type = 'phone' AND coalesce(" + p +
         "duration_seconds > 0 OR (" + p + "duration_seconds IS NULL AND " + p +
         "ended_at >= " + p + "started_at + interval '1 second'), false))";
}

// The per-call fields the sums read: cost, priced, seconds, billable, last change. A provider's
// cost is stored with every digit it sent (unconstrained numeric); rating reads each call's cost
// at 18 decimal places (the most an exact Decimal holds), rounded per call so sums of settled and
// new calls add up the same as one full read.
std::string call_fields(const std::string& p) {
  return "round(" + p + "provider_cost, 18) AS cost, " + p + "provider_cost IS NOT NULL AS priced, " +
         seconds_of(p) + " AS s, " + billable_of(p) + " AS b, " + p + "updated_at AS u";
}

// The sums of one group of calls. Grouping by (billable, priced) instead of filtering keeps
// the per-row work at five aggregates: the Usage fields are assembled from the groups.
constexpr const char* k_group_keys = "b, priced";
constexpr const char* k_sums = "count(*) AS n, coalesce(sum(s), 0) AS secs, "
                               "coalesce(sum((s + 59) / 60), 0) AS mins, "
                               "coalesce(sum(cost), 0) AS cost, max(u)::text AS last_change";

// A period's bounds in a timezone: [$p::date in tz, $p::date + 1 month in tz).
std::string range(const std::string& col, const std::string& p, const std::string& tz) {
  return col + " >= (" + p + "::date::timestamp AT TIME ZONE " + tz + ") AND " + col + " < ((" +
         p + "::date + interval '1 month')::timestamp AT TIME ZONE " + tz + ")";
}

// Tenants of a bulk read with their period bounds computed once: t(org_id, f, e[, since]).
std::string bounds_cte(bool with_since) {
  return std::string("WITH t AS (SELECT x.org_id, ($1::date::timestamp AT TIME ZONE x.tz) AS f, "
                     "(($1::date + interval '1 month')::timestamp AT TIME ZONE x.tz) AS e") +
         (with_since ? ", x.since" : "") +
         " FROM jsonb_to_recordset($3::jsonb) AS x(org_id uuid, tz text" +
         (with_since ? ", since timestamptz" : "") + ")) ";
}

long long to_ll(const db::Rows& r, std::size_t i, const char* col) {
  auto v = r.get(i, col);
  return v.empty() ? 0 : std::stoll(v);
}

// Adds one grouped row (settled or not, billable or not, priced or not) into a read.
Status add_row(UsageRead& out, const db::Rows& r, std::size_t i) {
  const bool settled = r.get(i, "settled") == "t", billable = r.get(i, "b") == "t",
             priced = r.get(i, "priced") == "t";
  const long long n = to_ll(r, i, "n"), secs = to_ll(r, i, "secs"), mins = to_ll(r, i, "mins");
  // Sums of provider costs, each read at 18 places (call_fields).
  CRM_TRY_ASSIGN(auto cost, Decimal::parse(r.get(i, "cost"), {24, 18}));
  Usage u;
  u.calls = n;
  if (billable) {
    u.billable_calls = n;
    u.billable_seconds = secs;
    u.billable_ceil_minutes = mins;
    if (priced) {
      u.provider_cost_calls = n;
      u.provider_cost = cost;
    } else {
      u.est_seconds = secs;
      u.est_ceil_minutes = mins;
    }
  } else {
    u.excluded_calls = n;
    u.excluded_seconds = secs;
    u.excluded_ceil_minutes = mins;
    if (priced) {
      u.excluded_provider_cost_calls = n;
      u.excluded_provider_cost = cost;
    } else {
      u.excluded_est_seconds = secs;
      u.excluded_est_ceil_minutes = mins;
    }
  }
  out.total += u;
  if (settled) out.state.settled += u;
  auto lc = r.get(i, "last_change");
  if (lc > out.last_change) out.last_change = lc; // same format from one server: orders as text
  return {};
}

} // namespace

nlohmann::json to_json(const UsageState& s) {
  return {{"settled_before", s.settled_before},
          {"timezone", s.timezone},
          {"settled", to_json(s.settled)}};
}

std::optional<UsageState> usage_state_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("settled_before") || !j.contains("settled")) return std::nullopt;
  try {
    UsageState s;
    s.settled_before = j.at("settled_before").get<std::string>();
    s.timezone = j.at("timezone").get<std::string>();
    auto u = usage_from_json(j.at("settled"));
    if (!u) return std::nullopt;
    s.settled = *u;
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Result<std::string> settle_boundary(db::Tx& tx) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT (now() - interval '1 hour')::text AS b"));
  return r.get(0, "b");
}

Result<UsageRead> read_usage(db::TenantTx& tx, const Period& period, const std::string& timezone,
                             const std::optional<UsageState>& prev, bool force_full,
                             const std::string& settle_before) {
  UsageRead out;
  out.state.timezone = timezone;
  out.state.settled_before = settle_before;
  bool incremental = !force_full && prev && prev->timezone == timezone &&
                     !prev->settled_before.empty();
  if (incremental) {
    // An edit of a call created before the old boundary may change what was counted: read all.
    CRM_TRY_ASSIGN(auto edited,
                   tx.exec("SELECT EXISTS (SELECT 1 FROM calls WHERE updated_at > $1::timestamptz "
                           "AND created_at <= $1::timestamptz) AS e",
                           {prev->settled_before}));
    if (edited.get(0, "e") == "t") incremental = false;
  }
  std::string sql = "SELECT (u <= $3::timestamptz) AS settled, " + std::string(k_group_keys) +
                    ", " + k_sums + " FROM (SELECT " + call_fields("") + " FROM calls WHERE " +
                    range("started_at", "$1", "$2");
  db::Params params{period.first_day(), timezone, settle_before};
  if (incremental) {
    sql += " AND updated_at > $4::timestamptz";
    params.push_back(prev->settled_before);
    out.kind = ReadKind::incremental;
    out.total = prev->settled;
    out.state.settled = prev->settled;
  }
  sql += ") k GROUP BY 1, 2, 3";
  CRM_TRY_ASSIGN(auto r, tx.exec(sql, params));
  for (std::size_t i = 0; i < r.size(); ++i)
    CRM_TRY(add_row(out, r, i));
  return out;
}

Result<std::map<std::string, UsageRead>> read_usage_bulk(db::Tx& tx, const Period& period,
                                                         const std::vector<BulkTenant>& tenants,
                                                         const std::string& settle_before) {
  std::map<std::string, UsageRead> out;
  nlohmann::json full = nlohmann::json::array(), inc = nlohmann::json::array();
  for (const auto& t : tenants) {
    auto& r = out[t.org_id];
    r.state.timezone = t.timezone;
    r.state.settled_before = settle_before;
    if (t.prev) {
      r.kind = ReadKind::incremental;
      r.total = t.prev->settled;
      r.state.settled = t.prev->settled;
      inc.push_back({{"org_id", t.org_id}, {"tz", t.timezone}, {"since", t.prev->settled_before}});
    } else {
      full.push_back({{"org_id", t.org_id}, {"tz", t.timezone}});
    }
  }
  if (!full.empty()) {
    // One pass over public.calls, each tenant's bounds computed once.
    CRM_TRY_ASSIGN(auto r, tx.exec(bounds_cte(false) +
                                       "SELECT k.org_id::text AS org_id, k.settled, k.b, k.priced, " +
                                       k_sums + " FROM (SELECT c.org_id, (c.updated_at <= "
                                       "$2::timestamptz) AS settled, " +
                                       call_fields("c.") +
                                       " FROM public.calls c JOIN t ON c.org_id = t.org_id AND "
                                       "c.started_at >= t.f AND c.started_at < t.e) k "
                                       "GROUP BY k.org_id, k.settled, k.b, k.priced",
                                   {period.first_day(), settle_before, full.dump()}));
    for (std::size_t i = 0; i < r.size(); ++i)
      CRM_TRY(add_row(out[r.get(i, "org_id")], r, i));
  }
  if (!inc.empty()) {
    // LATERAL: one index range scan per tenant over the calls changed since its boundary. The
    // start-time bounds are written as expressions (+ 0 s) so that the planner, which cannot see
    // how recent `since` is, walks (org_id, updated_at) and not the whole month by start time.
    CRM_TRY_ASSIGN(auto r, tx.exec(bounds_cte(true) +
                                       "SELECT t.org_id::text AS org_id, k.* FROM t CROSS JOIN "
                                       "LATERAL (SELECT (u <= $2::timestamptz) AS settled, " +
                                       k_group_keys + ", " + k_sums + " FROM (SELECT " +
                                       call_fields("c.") +
                                       " FROM public.calls c WHERE c.org_id = t.org_id AND "
                                       "c.updated_at > t.since AND c.started_at + interval "
                                       "'0 s' >= t.f AND c.started_at + interval '0 s' < t.e) "
                                       "x GROUP BY 1, 2, 3) k",
                                   {period.first_day(), settle_before, inc.dump()}));
    for (std::size_t i = 0; i < r.size(); ++i)
      CRM_TRY(add_row(out[r.get(i, "org_id")], r, i));
  }
  return out;
}

Result<std::set<std::string>> edited_since(db::Tx& tx, const std::vector<BulkTenant>& tenants) {
  std::set<std::string> out;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : tenants)
    if (t.prev) list.push_back({{"org_id", t.org_id}, {"since", t.prev->settled_before}});
  if (list.empty()) return out;
  // LATERAL ... LIMIT 1 keeps it one short index walk per tenant (an EXISTS would be planned
  // as a hash join over the whole table).
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT t.org_id::text AS org_id FROM jsonb_to_recordset($1::jsonb) "
                                 "AS t(org_id uuid, since timestamptz) CROSS JOIN LATERAL (SELECT 1 "
                                 "FROM public.calls c WHERE c.org_id = t.org_id AND c.updated_at > "
                                 "t.since AND c.created_at <= t.since LIMIT 1) e",
                                 {list.dump()}));
  for (std::size_t i = 0; i < r.size(); ++i)
    out.insert(r.get(i, "org_id"));
  return out;
}

Result<std::map<std::string, std::vector<long long>>> calls_by_hour_bulk(
    db::Tx& tx, const Period& period, const std::vector<BulkTenant>& tenants,
    const std::string& timezone) {
  std::map<std::string, std::vector<long long>> out;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : tenants) {
    list.push_back({{"org_id", t.org_id}, {"tz", t.timezone}});
    out[t.org_id].assign(24, 0);
  }
  if (tenants.empty()) return out;
  CRM_TRY_ASSIGN(
      auto r, tx.exec("SELECT c.org_id::text AS org_id, extract(hour FROM c.started_at AT TIME "
                      "ZONE coalesce(nullif($2, ''), t.tz))::int AS h, count(*) AS n "
                      "FROM public.calls c JOIN jsonb_to_recordset($3::jsonb) AS t(org_id uuid, "
                      "tz text) ON c.org_id = t.org_id WHERE " +
                          range("c.started_at", "$1", "t.tz") + " GROUP BY 1, 2",
                      {period.first_day(), timezone, list.dump()}));
  for (std::size_t i = 0; i < r.size(); ++i)
    out[r.get(i, "org_id")][static_cast<std::size_t>(std::stoi(r.get(i, "h")))] =
        std::stoll(r.get(i, "n"));
  return out;
}

Result<std::vector<long long>> calls_by_hour(db::TenantTx& tx, const Period& period,
                                            const std::string& period_timezone,
                                            const std::string& hour_timezone) {
  std::vector<long long> out(24, 0);
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT extract(hour FROM started_at AT TIME ZONE $3)::int AS h, "
                                 "count(*) AS n FROM calls WHERE " +
                                     range("started_at", "$1", "$2") + " GROUP BY 1",
                                 {period.first_day(), period_timezone, hour_timezone}));
  for (std::size_t i = 0; i < r.size(); ++i)
    out[static_cast<std::size_t>(std::stoi(r.get(i, "h")))] = std::stoll(r.get(i, "n"));
  return out;
}

Result<std::vector<DayUsage>> billable_by_day(db::TenantTx& tx, const Period& period,
                                              const std::string& timezone) {
  std::vector<DayUsage> out(static_cast<std::size_t>(std::stoi(period.last_day().substr(8))));
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT extract(day FROM t AT TIME ZONE $2)::int AS d, "
                                 "sum((s + 59) / 60) AS m, sum(s) AS sec FROM (SELECT started_at "
                                 "AS t, " + call_fields("") + " FROM calls WHERE " +
                                     range("started_at", "$1", "$2") +
                                     ") k WHERE b GROUP BY 1",
                                 {period.first_day(), timezone}));
  for (std::size_t i = 0; i < r.size(); ++i) {
    auto d = static_cast<std::size_t>(std::stoi(r.get(i, "d")));
    if (d >= 1 && d <= out.size()) out[d - 1] = {std::stoll(r.get(i, "m")), std::stoll(r.get(i, "sec"))};
  }
  return out;
}

} // namespace crm::billing
