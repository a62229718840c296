#include "billing/rollup.hpp"

#include "db/audit.hpp"
#include "db/sql.hpp"

#include <map>
#include <set>

namespace crm::billing {

namespace {

constexpr DecimalLimits k_any{24, 18}; // what the numeric columns a rollup reads can hold

Result<Decimal> dec(const db::Rows& r, std::size_t i, const char* col) {
  auto v = r.get(i, col);
  if (v.empty()) return Decimal();
  return Decimal::parse(v, k_any);
}

long long ll(const db::Rows& r, std::size_t i, const char* col) {
  auto v = r.get(i, col);
  return v.empty() ? 0 : std::stoll(v);
}

Result<Terms> terms_of(const db::Rows& r, std::size_t i) {
  Terms t;
  CRM_TRY_ASSIGN(t.cogs_per_minute, dec(r, i, "cogs_per_minute"));
  CRM_TRY_ASSIGN(t.rate_per_minute, dec(r, i, "rate_per_minute"));
  t.free_minutes = ll(r, i, "free_minutes");
  CRM_TRY_ASSIGN(t.rounding, tenant::parse_rounding(r.get(i, "rounding")));
  t.timezone = r.get(i, "timezone");
  t.currency = r.get(i, "currency");
  return t;
}

// The terms a stored rollup was rated with (columns prefixed r_ in rollup_bulk's query).
Result<Terms> stored_terms(const db::Rows& r, std::size_t i) {
  Terms t;
  CRM_TRY_ASSIGN(t.cogs_per_minute, dec(r, i, "r_cogs_per_minute"));
  CRM_TRY_ASSIGN(t.rate_per_minute, dec(r, i, "r_rate_per_minute"));
  t.free_minutes = ll(r, i, "r_free_minutes");
  CRM_TRY_ASSIGN(t.rounding, tenant::parse_rounding(r.get(i, "r_rounding")));
  t.timezone = r.get(i, "r_timezone");
  t.currency = r.get(i, "r_currency");
  return t;
}

constexpr const char* k_terms_cols =
    "cogs_per_minute::text AS cogs_per_minute, rate_per_minute::text AS rate_per_minute, "
    "free_minutes, rounding, timezone, currency";

// What has been billed for a closed period so far: its own rollup plus the adjustments for it
// that other statements carry (`except` excluded: the statement being recomputed).
struct Billed {
  Decimal units, free_units, paid_units, amount, cogs;
  long long calls = 0;
};

Result<Billed> billed_for(db::TenantTx& tx, const Period& q, const Period& except) {
  Billed b;
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT billable_minutes::text AS u, free_minutes_applied::text AS "
                                 "f, paid_minutes::text AS p, charge::text AS a, cogs::text AS c, "
                                 "billable_calls AS n FROM usage_rollups WHERE period = $1 AND "
                                 "version = 1",
                                 {q.text()}));
  if (!r.empty()) {
    CRM_TRY_ASSIGN(b.units, dec(r, 0, "u"));
    CRM_TRY_ASSIGN(b.free_units, dec(r, 0, "f"));
    CRM_TRY_ASSIGN(b.paid_units, dec(r, 0, "p"));
    CRM_TRY_ASSIGN(b.amount, dec(r, 0, "a"));
    CRM_TRY_ASSIGN(b.cogs, dec(r, 0, "c"));
    b.calls = ll(r, 0, "n");
  }
  CRM_TRY_ASSIGN(auto a, tx.exec("SELECT coalesce(sum(units), 0)::text AS u, "
                                 "coalesce(sum(free_units), 0)::text AS f, "
                                 "coalesce(sum(minutes), 0)::text AS p, "
                                 "coalesce(sum(amount), 0)::text AS a, "
                                 "coalesce(sum(cogs), 0)::text AS c, "
                                 "coalesce(sum(call_count), 0) AS n FROM billing_adjustments "
                                 "WHERE for_period = $1 AND applied_to_period IS DISTINCT FROM $2",
                                 {q.text(), except.text()}));
  Billed more;
  CRM_TRY_ASSIGN(more.units, dec(a, 0, "u"));
  CRM_TRY_ASSIGN(more.free_units, dec(a, 0, "f"));
  CRM_TRY_ASSIGN(more.paid_units, dec(a, 0, "p"));
  CRM_TRY_ASSIGN(more.amount, dec(a, 0, "a"));
  CRM_TRY_ASSIGN(more.cogs, dec(a, 0, "c"));
  b.units = b.units + more.units;
  b.free_units = b.free_units + more.free_units;
  b.paid_units = b.paid_units + more.paid_units;
  b.amount = b.amount + more.amount;
  b.cogs = b.cogs + more.cogs;
  b.calls += ll(a, 0, "n");
  return b;
}

// Re-rates the closed periods before `p` that may have late usage and returns what differs from
// what was billed. Candidates: closed periods whose calls changed inside the window not yet
// looked at (since the previous rollup's settle boundary `since`, or since shortly before the
// latest close — the settle margin covers commits that land after their timestamps), and those
// that already have an adjustment on this statement (it is rewritten).
Result<std::vector<Adjustment>> late_usage(db::TenantTx& tx, const Period& p,
                                           const std::string& settle_before,
                                           const std::string& since) {
  std::vector<Adjustment> out;
  CRM_TRY_ASSIGN(auto closed,
                 tx.exec(std::string("SELECT period, (closed_at - interval '1 hour')::text AS "
                                     "after, ") +
                             k_terms_cols +
                             " FROM usage_rollups WHERE closed_at IS NOT NULL AND period < $1 "
                             "AND version = 1 ORDER BY period",
                             {p.text()}));
  if (closed.empty()) return out;
  nlohmann::json ranges = nlohmann::json::array();
  for (std::size_t i = 0; i < closed.size(); ++i)
    ranges.push_back({{"period", closed.get(i, "period")},
                      {"tz", closed.get(i, "timezone")},
                      {"after", closed.get(i, "after")}});
  // The window: calls changed after `since` and after shortly before the latest close, whichever
  // is earlier (walked through (org_id, updated_at): the start-time bounds are expressions, and
  // a LIMIT 1 subquery is not turned into a hash join over the whole table). Earlier changes were looked at by the previous rollup of this period, or by the
  // rollups up to the latest close (each close reads its own period in full).
  CRM_TRY_ASSIGN(
      auto late,
      tx.exec("SELECT q.period FROM jsonb_to_recordset($1::jsonb) AS q(period text, tz text, after "
              "timestamptz) WHERE (SELECT true FROM calls WHERE updated_at > "
              "least(coalesce(nullif($2, '')::timestamptz, 'infinity'), (SELECT max(x.after) FROM "
              "jsonb_to_recordset($1::jsonb) AS x(after timestamptz))) AND started_at + interval "
              "'0 s' >= ((q.period || '-01')::date::timestamp AT TIME ZONE q.tz) AND started_at + "
              "interval '0 s' < (((q.period || '-01')::date + interval '1 month')::timestamp AT "
              "TIME ZONE q.tz) LIMIT 1) "
              "UNION SELECT for_period FROM billing_adjustments WHERE applied_to_period = $3",
              {ranges.dump(), since, p.text()}));
  std::set<std::string> candidates;
  for (std::size_t i = 0; i < late.size(); ++i)
    candidates.insert(late.get(i, "period"));
  for (std::size_t i = 0; i < closed.size(); ++i) {
    if (!candidates.count(closed.get(i, "period"))) continue;
    CRM_TRY_ASSIGN(auto q, parse_period(closed.get(i, "period")));
    CRM_TRY_ASSIGN(auto terms, terms_of(closed, i));
    CRM_TRY_ASSIGN(auto now, read_usage(tx, q, terms.timezone, std::nullopt, true, settle_before));
    Rated r = rate(now.total, terms);
    CRM_TRY_ASSIGN(auto billed, billed_for(tx, q, p));
    Adjustment a;
    a.for_period = q;
    a.units = r.units - billed.units;
    a.free_units = r.free_units - billed.free_units;
    a.paid_units = r.paid_units - billed.paid_units;
    a.amount = r.charge - billed.amount;
    a.cogs = r.cogs - billed.cogs;
    a.calls = now.total.billable_calls - billed.calls;
    a.unit_price = terms.rate_per_minute;
    if (a.units.is_zero() && a.amount.is_zero() && a.calls == 0 && a.cogs.is_zero()) continue;
    out.push_back(a);
  }
  return out;
}

// The lines of a rollup's statement: usage, adjustments, calls not billed.
nlohmann::json lines_json(const RollupResult& r) {
  nlohmann::json out = nlohmann::json::array();
  int line = 1;
  const std::string unit = r.terms.rounding == tenant::Rounding::per_second
                               ? "billed per second"
                               : "calls rounded up to the minute";
  auto add = [&](const char* kind, const std::string& desc, const Decimal& units,
                 const Decimal& free, const Decimal& paid, const Decimal& price,
                 const Decimal& amount, long long calls, const Period& p) {
    out.push_back({{"org_id", r.org_id},
                   {"period", r.period.text()},
                   {"line_no", line++},
                   {"kind", kind},
                   {"description", desc},
                   {"units", units.to_string(6)},
                   {"free_units", free.to_string(6)},
                   {"paid_units", paid.to_string(6)},
                   {"unit_price", price.to_string(6)},
                   {"amount", amount.to_string(2)},
                   {"call_count", calls},
                   {"period_from", p.first_day()},
                   {"period_to", p.last_day()}});
  };
  add("usage", "Voice minutes (" + unit + ")", r.rated.units, r.rated.free_units,
      r.rated.paid_units, r.terms.rate_per_minute, r.rated.charge, r.usage.billable_calls,
      r.period);
  for (const auto& a : r.adjustments)
    add("adjustment", "Adjustment for " + a.for_period.text() + ": late usage", a.units,
        a.free_units, a.paid_units, a.unit_price, a.amount, a.calls, a.for_period);
  add("not_billed", "Calls not billed (web, test, zero length)", r.rated.excluded_units, Decimal(),
      Decimal(), Decimal(), Decimal(), r.usage.excluded_calls, r.period);
  return out;
}

// The usage_rollups row of a result, with the usage state kept for the next run.
nlohmann::json rollup_row(const RollupResult& r, const UsageRead& read) {
  nlohmann::json state = to_json(read.state);
  state["total"] = to_json(r.usage);
  return {{"org_id", r.org_id},
          {"period", r.period.text()},
          {"calls", r.usage.calls},
          {"billable_calls", r.usage.billable_calls},
          {"billable_seconds", r.usage.billable_seconds},
          {"billable_minutes", r.rated.units.to_string()},
          {"free_minutes_applied", r.rated.free_units.to_string()},
          {"paid_minutes", r.rated.paid_units.to_string()},
          {"paid_seconds", r.rated.paid_seconds},
          {"excluded_calls", r.usage.excluded_calls},
          {"excluded_seconds", r.usage.excluded_seconds},
          {"excluded_cogs", r.rated.excluded_cogs.to_string()},
          {"cogs", r.rated.cogs.to_string()},
          {"charge", r.rated.charge.to_string(2)},
          {"adjustments", r.adjustments_total.to_string(2)},
          {"total", r.total.to_string(2)},
          {"provider_cost_calls", r.usage.provider_cost_calls},
          {"estimated_cost_calls", r.usage.billable_calls - r.usage.provider_cost_calls},
          {"cogs_per_minute", r.terms.cogs_per_minute.to_string(6)},
          {"rate_per_minute", r.terms.rate_per_minute.to_string(6)},
          {"free_minutes", r.terms.free_minutes},
          {"rounding", tenant::rounding_name(r.terms.rounding)},
          {"timezone", r.terms.timezone},
          {"currency", r.terms.currency},
          {"usage_state", state},
          {"inputs_changed_at",
           read.last_change.empty() ? nlohmann::json() : nlohmann::json(read.last_change)}};
}

// Writes rollups, their draft statements (lines rewritten) and adjustments, and one audit row
// each: a fixed number of statements however many tenants (set-based; in a tenant's scope for
// one tenant, or in an admin transaction over row tenants).
Status write_rollups(db::Tx& tx, const std::vector<RollupResult>& rs,
                     const std::vector<UsageRead>& reads, const RollupOptions& o) {
  if (rs.empty()) return {};
  nlohmann::json rows = nlohmann::json::array(), stmts = nlohmann::json::array(),
                 lines = nlohmann::json::array(), adjs = nlohmann::json::array(),
                 audits = nlohmann::json::array(), orgs = nlohmann::json::array();
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    rows.push_back(rollup_row(r, reads[i]));
    stmts.push_back({{"org_id", r.org_id},
                     {"period", r.period.text()},
                     {"currency", r.terms.currency},
                     {"rounding", tenant::rounding_name(r.terms.rounding)},
                     {"total", r.total.to_string(2)}});
    for (auto& l : lines_json(r))
      lines.push_back(std::move(l));
    for (const auto& a : r.adjustments)
      adjs.push_back({{"org_id", r.org_id},
                      {"for_period", a.for_period.text()},
                      {"units", a.units.to_string()},
                      {"free_units", a.free_units.to_string()},
                      {"minutes", a.paid_units.to_string()},
                      {"amount", a.amount.to_string(2)},
                      {"cogs", a.cogs.to_string()},
                      {"call_count", a.calls},
                      {"reason", "late usage for " + a.for_period.text()}});
    nlohmann::json args = {{"period", r.period.text()},
                           {"close", o.close == Close::yes},
                           {"total", r.total.to_string(2)},
                           {"adjustments", r.adjustments.size()}};
    audits.push_back({{"org_id", r.org_id},
                      {"target", r.period.text()},
                      {"arguments", tenant::audit_args(o.actor, args.dump())}});
    orgs.push_back(r.org_id);
  }
  CRM_TRY(tx.exec(
      "INSERT INTO usage_rollups (org_id, period, version, calls, billable_calls, "
      "billable_seconds, billable_minutes, free_minutes_applied, paid_minutes, paid_seconds, "
      "excluded_calls, excluded_seconds, excluded_cogs, cogs, charge, adjustments, total, "
      "provider_cost_calls, estimated_cost_calls, cogs_per_minute, rate_per_minute, free_minutes, "
      "rounding, timezone, currency, usage_state, inputs_changed_at, computed_at) "
      "SELECT x.org_id, x.period, 1, x.calls, x.billable_calls, x.billable_seconds, "
      "x.billable_minutes, x.free_minutes_applied, x.paid_minutes, x.paid_seconds, "
      "x.excluded_calls, x.excluded_seconds, x.excluded_cogs, x.cogs, x.charge, x.adjustments, "
      "x.total, x.provider_cost_calls, x.estimated_cost_calls, x.cogs_per_minute, "
      "x.rate_per_minute, x.free_minutes, x.rounding, x.timezone, x.currency, x.usage_state, "
      "x.inputs_changed_at, now() FROM jsonb_to_recordset($1::jsonb) AS x(org_id uuid, period "
      "text, calls integer, billable_calls integer, billable_seconds bigint, billable_minutes "
      "numeric, free_minutes_applied numeric, paid_minutes numeric, paid_seconds bigint, "
      "excluded_calls integer, excluded_seconds bigint, excluded_cogs numeric, cogs numeric, "
      "charge numeric, adjustments numeric, total numeric, provider_cost_calls integer, "
      "estimated_cost_calls integer, cogs_per_minute numeric, rate_per_minute numeric, "
      "free_minutes integer, rounding text, timezone text, currency text, usage_state jsonb, "
      "inputs_changed_at timestamptz) "
      "ON CONFLICT (org_id, period, version) DO UPDATE SET calls = EXCLUDED.calls, "
      "billable_calls = EXCLUDED.billable_calls, billable_seconds = EXCLUDED.billable_seconds, "
      "billable_minutes = EXCLUDED.billable_minutes, free_minutes_applied = "
      "EXCLUDED.free_minutes_applied, paid_minutes = EXCLUDED.paid_minutes, paid_seconds = "
      "EXCLUDED.paid_seconds, excluded_calls = EXCLUDED.excluded_calls, excluded_seconds = "
      "EXCLUDED.excluded_seconds, excluded_cogs = EXCLUDED.excluded_cogs, cogs = EXCLUDED.cogs, "
      "charge = EXCLUDED.charge, adjustments = EXCLUDED.adjustments, total = EXCLUDED.total, "
      "provider_cost_calls = EXCLUDED.provider_cost_calls, estimated_cost_calls = "
      "EXCLUDED.estimated_cost_calls, cogs_per_minute = EXCLUDED.cogs_per_minute, "
      "rate_per_minute = EXCLUDED.rate_per_minute, free_minutes = EXCLUDED.free_minutes, "
      "rounding = EXCLUDED.rounding, timezone = EXCLUDED.timezone, currency = EXCLUDED.currency, "
      "usage_state = EXCLUDED.usage_state, inputs_changed_at = EXCLUDED.inputs_changed_at, "
      "computed_at = now() WHERE usage_rollups.closed_at IS NULL",
      {rows.dump()}));
  const std::string period = rs.front().period.text();
  CRM_TRY(tx.exec("DELETE FROM billing_adjustments a USING jsonb_array_elements_text($2::jsonb) "
                  "AS o(id) WHERE a.org_id = o.id::uuid AND a.applied_to_period = $1",
                  {period, orgs.dump()}));
  if (!adjs.empty())
    CRM_TRY(tx.exec("INSERT INTO billing_adjustments (org_id, for_period, applied_to_period, "
                    "units, free_units, minutes, amount, cogs, call_count, reason) SELECT "
                    "x.org_id, x.for_period, $1, x.units, x.free_units, x.minutes, x.amount, "
                    "x.cogs, x.call_count, x.reason FROM jsonb_to_recordset($2::jsonb) AS "
                    "x(org_id uuid, for_period text, units numeric, free_units numeric, minutes "
                    "numeric, amount numeric, cogs numeric, call_count integer, reason text)",
                    {period, adjs.dump()}));
  CRM_TRY_ASSIGN(auto st,
                 tx.exec("INSERT INTO statements (org_id, period, currency, rounding, total) "
                         "SELECT x.org_id, x.period, x.currency, x.rounding, x.total FROM "
                         "jsonb_to_recordset($1::jsonb) AS x(org_id uuid, period text, currency "
                         "text, rounding text, total numeric) ON CONFLICT (org_id, period) DO "
                         "UPDATE SET currency = EXCLUDED.currency, rounding = EXCLUDED.rounding, "
                         "total = EXCLUDED.total WHERE statements.status = 'draft' "
                         "RETURNING org_id::text AS org_id, id::text AS id",
                         {stmts.dump()}));
  if (st.size() != rs.size())
    return make_error(ErrorKind::conflict,
                      "a statement for " + period + " is closed already: it is not rewritten");
  std::map<std::string, std::string> ids;
  for (std::size_t i = 0; i < st.size(); ++i)
    ids[st.get(i, "org_id")] = st.get(i, "id");
  for (auto& l : lines)
    l["statement_id"] = ids[l["org_id"].get<std::string>()];
  CRM_TRY(tx.exec("DELETE FROM statement_lines l USING jsonb_array_elements_text($1::jsonb) AS "
                  "o(id) WHERE l.org_id = o.id::uuid AND l.statement_id = (SELECT s.id FROM "
                  "statements s WHERE s.org_id = o.id::uuid AND s.period = $2)",
                  {orgs.dump(), period}));
  CRM_TRY(tx.exec("INSERT INTO statement_lines (org_id, statement_id, line_no, kind, description, "
                  "units, free_units, paid_units, unit_price, amount, call_count, period_from, "
                  "period_to) SELECT x.org_id, x.statement_id, x.line_no, x.kind, x.description, "
                  "x.units, x.free_units, x.paid_units, x.unit_price, x.amount, x.call_count, "
                  "x.period_from, x.period_to FROM jsonb_to_recordset($1::jsonb) AS x(org_id "
                  "uuid, statement_id uuid, line_no integer, kind text, description text, units "
                  "numeric, free_units numeric, paid_units numeric, unit_price numeric, amount "
                  "numeric, call_count integer, period_from date, period_to date)",
                  {lines.dump()}));
  CRM_TRY(tx.exec("INSERT INTO public.audit_events (actor, org_id, action, target, arguments, "
                  "outcome) SELECT $1, x.org_id, $2, x.target, x.arguments::jsonb, $3 FROM "
                  "jsonb_to_recordset($4::jsonb) AS x(org_id uuid, target text, arguments text)",
                  {o.actor.name, o.close == Close::yes ? "billing.close" : "billing.rollup",
                   o.dry_run ? "dry_run" : "ok", audits.dump()}));
  return {};
}

Result<std::optional<CreditDebit>> debit_credit(db::TenantTx& tx, const RollupResult& r,
                                                const tenant::Actor& actor) {
  CRM_TRY_ASSIGN(auto acct, tx.exec("SELECT balance::text AS balance, low_balance_threshold::text "
                                    "AS threshold FROM credit_accounts WHERE prepaid FOR UPDATE"));
  if (acct.empty()) return std::optional<CreditDebit>();
  CRM_TRY_ASSIGN(auto balance, dec(acct, 0, "balance"));
  CRM_TRY_ASSIGN(auto threshold, dec(acct, 0, "threshold"));
  CreditDebit d;
  d.amount = r.total;
  d.balance_after = balance - r.total;
  d.low_balance = d.balance_after <= threshold;
  d.zero_balance = d.balance_after <= Decimal();
  CRM_TRY_ASSIGN(auto ins,
                 tx.exec("INSERT INTO credit_transactions (org_id, kind, amount, balance_after, "
                         "period, reason, actor) VALUES ($1, 'debit', $2, $3, $4, $5, $6) "
                         "ON CONFLICT (org_id, period) WHERE kind = 'debit' DO NOTHING "
                         "RETURNING id",
                         {r.org_id, (-r.total).to_string(2), d.balance_after.to_string(6),
                          r.period.text(), "statement " + r.period.text(), actor.name}));
  if (ins.empty()) return std::optional<CreditDebit>(); // debited already (never twice)
  CRM_TRY(tx.exec("UPDATE credit_accounts SET balance = $1, low_balance = $2, zero_balance = $3, "
                  "updated_at = now()",
                  {d.balance_after.to_string(6), d.low_balance ? "true" : "false",
                   d.zero_balance ? "true" : "false"}));
  return std::optional<CreditDebit>(d);
}


} // namespace

Result<Terms> current_terms(db::TenantTx& tx) {
  CRM_TRY_ASSIGN(auto r, tx.exec(std::string("SELECT ") + k_terms_cols +
                                 " FROM organizations WHERE id = $1",
                                 {tx.org_id()}));
  if (r.empty())
    return make_error(ErrorKind::not_found, "tenant " + tx.org_id() + " has no organization row");
  return terms_of(r, 0);
}

Result<std::optional<RollupResult>> load_rollup(db::TenantTx& tx, const tenant::TenantRef& t,
                                                const Period& period) {
  CRM_TRY_ASSIGN(
      auto r, tx.exec(std::string("SELECT ") + k_terms_cols +
                          ", charge::text AS charge, total::text AS total, " +
                          db::rfc3339_sql("closed_at") +
                          " AS closed_at, usage_state FROM usage_rollups WHERE period = $1 AND "
                          "version = 1",
                          {period.text()}));
  if (r.empty()) return std::optional<RollupResult>();
  RollupResult out;
  out.org_id = t.id;
  out.slug = t.slug;
  out.period = period;
  out.closed_at = r.get(0, "closed_at");
  out.status = out.closed_at.empty() ? "draft" : "closed";
  CRM_TRY_ASSIGN(out.terms, terms_of(r, 0));
  nlohmann::json state = nlohmann::json::parse(r.get(0, "usage_state"), nullptr, false);
  if (state.is_object() && state.contains("total")) {
    CRM_TRY_ASSIGN(out.usage, usage_from_json(state["total"]));
  }
  out.rated = rate(out.usage, out.terms);
  // The unit price of an adjustment is its own period's rate.
  CRM_TRY_ASSIGN(auto adj, tx.exec("SELECT a.for_period, a.units::text AS units, a.free_units::text "
                                   "AS free_units, a.minutes::text AS paid, a.amount::text AS "
                                   "amount, a.cogs::text AS cogs, a.call_count, "
                                   "r.rate_per_minute::text AS unit_price FROM "
                                   "billing_adjustments a LEFT JOIN usage_rollups r ON r.period = "
                                   "a.for_period AND r.version = 1 WHERE a.applied_to_period = $1 "
                                   "ORDER BY a.for_period",
                                   {period.text()}));
  for (std::size_t i = 0; i < adj.size(); ++i) {
    Adjustment a;
    CRM_TRY_ASSIGN(a.for_period, parse_period(adj.get(i, "for_period")));
    CRM_TRY_ASSIGN(a.units, dec(adj, i, "units"));
    CRM_TRY_ASSIGN(a.free_units, dec(adj, i, "free_units"));
    CRM_TRY_ASSIGN(a.paid_units, dec(adj, i, "paid"));
    CRM_TRY_ASSIGN(a.amount, dec(adj, i, "amount"));
    CRM_TRY_ASSIGN(a.cogs, dec(adj, i, "cogs"));
    CRM_TRY_ASSIGN(a.unit_price, dec(adj, i, "unit_price"));
    a.calls = ll(adj, i, "call_count");
    out.adjustments.push_back(a);
  }
  finish_totals(out);
  return std::optional<RollupResult>(out);
}

Result<RollupResult> rollup_tenant(db::TenantTx& tx, const tenant::TenantRef& t,
                                   const RollupOptions& o) {
  // One rollup of a tenant at a time (two closes must not both debit or both write lines), and
  // none while a bulk rollup runs.
  CRM_TRY(tx.exec("SELECT pg_advisory_xact_lock_shared(hashtext('crmctl:billing')), "
                  "pg_advisory_xact_lock(hashtext('crmctl:billing:' || $1))",
                  {t.id}));
  CRM_TRY_ASSIGN(auto stored, tx.exec("SELECT closed_at IS NOT NULL AS closed, usage_state FROM "
                                      "usage_rollups WHERE period = $1 AND version = 1",
                                      {o.period.text()}));
  if (!stored.empty() && stored.get(0, "closed") == "t") {
    CRM_TRY_ASSIGN(auto loaded, load_rollup(tx, t, o.period));
    RollupResult r = std::move(*loaded);
    r.was_closed = true;
    return r;
  }
  RollupResult r;
  r.org_id = t.id;
  r.slug = t.slug;
  r.period = o.period;
  CRM_TRY_ASSIGN(r.terms, current_terms(tx));
  CRM_TRY_ASSIGN(auto settle, settle_boundary(tx));
  std::optional<UsageState> prev_state;
  if (!stored.empty())
    prev_state =
        usage_state_from_json(nlohmann::json::parse(stored.get(0, "usage_state"), nullptr, false));
  const bool full = o.full == FullRead::yes || o.close == Close::yes;
  CRM_TRY_ASSIGN(auto read, read_usage(tx, o.period, r.terms.timezone, prev_state, full, settle));
  r.read = read.kind;
  r.usage = read.total;
  r.rated = rate(r.usage, r.terms);
  CRM_TRY_ASSIGN(r.adjustments,
                 late_usage(tx, o.period, settle, prev_state ? prev_state->settled_before : ""));
  finish_totals(r);

  CRM_TRY(write_rollups(tx, {r}, {read}, o));
  r.status = "draft";
  if (o.close == Close::yes) {
    CRM_TRY_ASSIGN(auto closed, tx.exec("UPDATE usage_rollups SET closed_at = now() WHERE period = "
                                        "$1 AND version = 1 RETURNING " + db::rfc3339_sql("closed_at") + " AS c",
                                        {o.period.text()}));
    r.closed_at = closed.get(0, "c");
    CRM_TRY(tx.exec("UPDATE statements SET status = 'closed', closed_at = now() WHERE period = $1",
                    {o.period.text()}));
    CRM_TRY_ASSIGN(r.debit, debit_credit(tx, r, o.actor));
    r.status = "closed";
    r.closed_now = true;
  }
  return r;
}

Result<BulkRollup> rollup_bulk(db::AdminTx& tx, const std::vector<tenant::TenantRef>& tenants,
                               const RollupOptions& o) {
  BulkRollup out;
  std::map<std::string, const tenant::TenantRef*> rows;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& t : tenants) {
    if (t.isolation != db::Isolation::row || o.close == Close::yes) {
      out.per_tenant.push_back(t);
    } else {
      rows[t.id] = &t;
      ids.push_back(t.id);
    }
  }
  if (rows.empty()) return out;
  CRM_TRY(tx.exec("SELECT pg_advisory_xact_lock(hashtext('crmctl:billing'))"));
  CRM_TRY_ASSIGN(auto settle, settle_boundary(tx));
  CRM_TRY_ASSIGN(
      auto known,
      tx.exec("SELECT o.id::text AS org_id, o.cogs_per_minute::text AS cogs_per_minute, "
              "o.rate_per_minute::text AS rate_per_minute, o.free_minutes, o.rounding, "
              "o.timezone, o.currency, r.closed_at IS NOT NULL AS closed, "
              "coalesce(r.usage_state, '{}') AS usage_state, r.cogs_per_minute::text AS "
              "r_cogs_per_minute, r.rate_per_minute::text AS r_rate_per_minute, r.free_minutes AS "
              "r_free_minutes, r.rounding AS r_rounding, r.timezone AS r_timezone, r.currency AS "
              "r_currency FROM public.organizations o LEFT JOIN "
              "public.usage_rollups r ON r.org_id = o.id AND r.period = $2 AND r.version = 1 "
              "WHERE o.id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)",
              {ids.dump(), o.period.text()}));
  // Tenants with closed periods that may have late usage (or adjustments on this statement
  // already) go one by one; so do tenants whose period is closed (returned as stored).
  nlohmann::json since = nlohmann::json::array();
  std::map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < known.size(); ++i) {
    row_of[known.get(i, "org_id")] = i;
    auto st = usage_state_from_json(nlohmann::json::parse(known.get(i, "usage_state"), nullptr, false));
    since.push_back({{"org_id", known.get(i, "org_id")}, {"since", st ? st->settled_before : ""}});
  }
  CRM_TRY_ASSIGN(
      auto late,
      tx.exec("SELECT DISTINCT r.org_id::text AS org_id FROM public.usage_rollups r JOIN "
              "jsonb_to_recordset($1::jsonb) AS t(org_id uuid, since text) ON t.org_id = r.org_id "
              "CROSS JOIN LATERAL (SELECT max(r2.closed_at) - interval '1 hour' AS after FROM "
              "public.usage_rollups r2 WHERE r2.org_id = r.org_id AND r2.closed_at IS NOT NULL AND "
              "r2.period < $2 AND r2.version = 1) w WHERE r.closed_at IS NOT NULL AND r.period < "
              "$2 AND r.version = 1 AND (EXISTS (SELECT 1 FROM public.billing_adjustments a WHERE "
              "a.org_id = r.org_id AND a.applied_to_period = $2) OR (SELECT true FROM public.calls "
              "c WHERE c.org_id = r.org_id AND c.updated_at > least(coalesce(nullif(t.since, "
              "'')::timestamptz, 'infinity'), w.after) AND c.started_at + interval '0 s' >= "
              "((r.period || '-01')::date::timestamp AT TIME ZONE r.timezone) AND c.started_at + "
              "interval '0 s' < (((r.period || '-01')::date + interval '1 month')::timestamp AT "
              "TIME ZONE r.timezone) LIMIT 1))",
              {since.dump(), o.period.text()}));
  std::set<std::string> one_by_one;
  for (std::size_t i = 0; i < late.size(); ++i)
    one_by_one.insert(late.get(i, "org_id"));
  std::vector<BulkTenant> reads;
  std::map<std::string, Terms> terms;
  for (const auto& [id, t] : rows) {
    auto it = row_of.find(id);
    if (it == row_of.end() || one_by_one.count(id) || known.get(it->second, "closed") == "t") {
      out.per_tenant.push_back(*t);
      continue;
    }
    CRM_TRY_ASSIGN(auto tt, terms_of(known, it->second));
    BulkTenant b{id, tt.timezone, std::nullopt};
    auto st = usage_state_from_json(
        nlohmann::json::parse(known.get(it->second, "usage_state"), nullptr, false));
    if (o.full == FullRead::no && st && st->timezone == tt.timezone && !st->settled_before.empty())
      b.prev = st;
    terms[id] = tt;
    reads.push_back(std::move(b));
  }
  CRM_TRY_ASSIGN(auto edited, edited_since(tx, reads));
  for (auto& b : reads)
    if (edited.count(b.org_id)) b.prev.reset();
  CRM_TRY_ASSIGN(auto usage, read_usage_bulk(tx, o.period, reads, settle));
  // A draft whose usage and terms are what it already says is left as it is: a no-op rerun
  // writes nothing (its kept state stays valid; the next read starts from its older boundary).
  auto unchanged = [&](const std::string& id, const Usage& now, const Terms& t) {
    const std::size_t i = row_of.at(id);
    if (known.get(i, "r_rounding").empty()) return false; // never rolled up
    auto st = nlohmann::json::parse(known.get(i, "usage_state"), nullptr, false);
    if (!st.is_object() || !st.contains("total")) return false;
    auto before = usage_from_json(st["total"]);
    if (!before || !(*before == now)) return false;
    auto stored = stored_terms(known, i);
    return stored && *stored == t;
  };
  std::vector<UsageRead> read_list;
  std::vector<RollupResult> to_write;
  for (const auto& b : reads) {
    RollupResult r;
    r.org_id = b.org_id;
    r.slug = rows[b.org_id]->slug;
    r.period = o.period;
    r.status = "draft";
    r.terms = terms[b.org_id];
    const auto& u = usage[b.org_id];
    r.read = u.kind;
    r.usage = u.total;
    r.rated = rate(r.usage, r.terms);
    finish_totals(r);
    r.unchanged = unchanged(b.org_id, r.usage, r.terms);
    if (!r.unchanged) {
      to_write.push_back(r);
      read_list.push_back(u);
    }
    out.done.push_back(std::move(r));
  }
  CRM_TRY(write_rollups(tx, to_write, read_list, o));
  return out;
}

void finish_totals(RollupResult& r) {
  r.adjustments_total = Decimal();
  Decimal adj_cogs;
  for (const auto& a : r.adjustments) {
    r.adjustments_total = r.adjustments_total + a.amount;
    adj_cogs = adj_cogs + a.cogs;
  }
  r.total = r.rated.charge + r.adjustments_total;
  r.margin = r.total - round_money(r.rated.cogs + adj_cogs);
}

nlohmann::json to_json(const RollupResult& r) {
  nlohmann::json adj = nlohmann::json::array();
  for (const auto& a : r.adjustments)
    adj.push_back({{"for_period", a.for_period.text()},
                   {"units", a.units.to_string(6)},
                   {"free_units", a.free_units.to_string(6)},
                   {"paid_units", a.paid_units.to_string(6)},
                   {"unit_price", a.unit_price.to_string(6)},
                   {"amount", a.amount.to_string(2)},
                   {"cogs", a.cogs.to_string(2)},
                   {"calls", a.calls}});
  nlohmann::json j = {
      {"tenant", r.slug},
      {"tenant_id", r.org_id},
      {"period", r.period.text()},
      {"status", r.status},
      {"closed_at", r.closed_at.empty() ? nlohmann::json() : nlohmann::json(r.closed_at)},
      {"already_closed", r.was_closed},
      {"read", r.read == ReadKind::full ? "full" : "incremental"},
      {"unchanged", r.unchanged},
      {"rounding", tenant::rounding_name(r.terms.rounding)},
      {"timezone", r.terms.timezone},
      {"currency", r.terms.currency},
      {"rate_per_minute", r.terms.rate_per_minute.to_string(6)},
      {"cogs_per_minute", r.terms.cogs_per_minute.to_string(6)},
      {"free_minutes", r.terms.free_minutes},
      {"calls", r.usage.calls},
      {"billable_calls", r.usage.billable_calls},
      {"billable_seconds", r.usage.billable_seconds},
      {"billed_minutes", r.rated.units.to_string(6)},
      {"free_minutes_applied", r.rated.free_units.to_string(6)},
      {"paid_minutes", r.rated.paid_units.to_string(6)},
      {"charge", r.rated.charge.to_string(2)},
      {"adjustments", adj},
      {"adjustments_total", r.adjustments_total.to_string(2)},
      {"total", r.total.to_string(2)},
      {"cogs", r.rated.cogs.to_string(2)},
      {"cogs_exact", r.rated.cogs.to_string()},
      {"cogs_from_provider_calls", r.usage.provider_cost_calls},
      {"cogs_estimated_calls", r.usage.billable_calls - r.usage.provider_cost_calls},
      {"margin", r.margin.to_string(2)},
      {"excluded_calls", r.usage.excluded_calls},
      {"excluded_minutes", r.rated.excluded_units.to_string(6)},
      {"excluded_cogs", r.rated.excluded_cogs.to_string(2)}};
  if (r.debit)
    j["credit_debit"] = {{"amount", r.debit->amount.to_string(2)},
                         {"balance_after", r.debit->balance_after.to_string(2)},
                         {"low_balance", r.debit->low_balance},
                         {"zero_balance", r.debit->zero_balance}};
  return j;
}

} // namespace crm::billing
