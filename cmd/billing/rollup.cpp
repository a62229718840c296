#include "billing/rollup.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/migrate/support.hpp"
#include "cmd/support.hpp"
#include "core/progress.hpp"
#include "db/fan_out.hpp"
#include "tenant/lifecycle.hpp"

#include <algorithm>
#include <map>
#include <mutex>

namespace crm::cmd {

void register_billing_rollup(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<BillingRollupOptions>();
  auto* app = add_command(
      noun, ctx, "rollup",
      {"Rate a period's calls into a draft statement; --close makes it final",
       "Per tenant: calls, billable calls, billed minutes under the tenant's rounding policy, free "
       "minutes applied, paid minutes, COGS (provider-reported cost where present, else COGS per "
       "minute), charge, margin and the usage that is not billed (web, test, zero-length calls). "
       "The period is the calendar month in the tenant's timezone. Reruns are idempotent and "
       "cheap: only calls changed since the last run are read (--full reads all). Closing is "
       "final: the statement is frozen, a credit account is debited once, and late calls for the "
       "period show up as an adjustment on the next open statement. With --all-tenants the "
       "tenants' rows are read in one pass and written --jobs tenants at a time; a tenant that "
       "fails is reported and the others go on (exit 8).",
       {"crmctl billing rollup --period 2026-11 --tenant acme",
        "crmctl billing rollup --period 2026-11 --all-tenants --jobs 8 -o json",
        "crmctl billing rollup --period 2026-10 --all-tenants --close --yes",
        "crmctl billing rollup --period 2026-10 --tenant acme --close --dry-run"}});
  app->add_option("--period", o->period, "The month, YYYY-MM")->required();
  app->add_flag("--all-tenants", o->all_tenants, "Every active and suspended tenant");
  app->add_flag("--close", o->close, "Close the period: final, debits credit accounts (asks)");
  app->add_flag("--full", o->full, "Read every call of the period (not only the changed ones)");
  app->add_option("--jobs", o->jobs, "Tenants written at a time with --all-tenants (1-64)")
      ->check(CLI::Range(1, 64));
  on_run(app, ctx, o, run_billing_rollup, Effect::writes);
}

namespace {

nlohmann::json summary_row(const billing::RollupResult& r) {
  return {{"tenant", r.slug},
          {"status", r.status},
          {"read", r.was_closed ? "stored" : (r.read == billing::ReadKind::full ? "full" : "incremental")},
          {"changed", !r.was_closed && !r.unchanged},
          {"calls", r.usage.calls},
          {"billable_calls", r.usage.billable_calls},
          {"billed_minutes", r.rated.units.to_string(2)},
          {"paid_minutes", r.rated.paid_units.to_string(2)},
          {"charge", r.rated.charge.to_string(2)},
          {"adjustments", r.adjustments_total.to_string(2)},
          {"total", r.total.to_string(2)},
          {"currency", r.terms.currency},
          {"margin", r.margin.to_string(2)}};
}

Result<void> rollup_all(const BillingRollupOptions& o, const billing::RollupOptions& ro, Deps& d) {
  if (!d.global().tenant.empty())
    return make_error(ErrorKind::usage, "pass either --tenant or --all-tenants");
  const auto tenancy = tenancy_of(d);
  std::vector<billing::RollupResult> results;
  std::vector<tenant::TenantRef> one_by_one;
  {
    // Row tenants with an open period and nothing tenant-specific to do: set-based, one
    // transaction, a fixed number of statements.
    CRM_TRY_ASSIGN(auto* c, d.db());
    CRM_TRY_ASSIGN(auto tx, c->admin());
    CRM_TRY_ASSIGN(auto list, tenant::list(*tx, {"", "", ""}));
    std::vector<tenant::TenantRef> tenants;
    for (const auto& s : list)
      tenants.push_back(tenant::ref_of(s));
    CRM_TRY_ASSIGN(auto bulk, billing::rollup_bulk(*tx, tenants, ro));
    if (!d.global().dry_run) CRM_TRY(tx->commit());
    results = std::move(bulk.done);
    one_by_one = std::move(bulk.per_tenant);
  }
  // The rest (schema tenants, closing, late usage to re-rate): one transaction per tenant,
  // --jobs at a time.
  std::vector<db::FanOutTarget> targets;
  std::map<std::string, tenant::TenantRef> by_id;
  for (const auto& t : one_by_one) {
    targets.push_back({t.id, t.slug});
    by_id[t.id] = t;
  }
  db::FanOutReport rep;
  if (!targets.empty()) {
    CRM_TRY_ASSIGN(db::ConnectionSource * source, migrate_support::source(d, o.jobs));
    db::FanOutOptions fo;
    fo.jobs = static_cast<std::size_t>(o.jobs);
    fo.on_error = db::OnError::keep_going;
    fo.run_name = "billing_rollup";
    fo.clock = &d.clock();
    FanOutEventSink sink;
    if (!d.global().quiet)
      sink = fan_out_renderer(d.io(), d.clock(), d.redactor(), {"rollup", "tenant"},
                              [&log = d.log()](std::string_view text) { log.write_raw(text); });
    std::mutex mu;
    const bool dry = d.global().dry_run;
    d.interrupt().cooperative = true;
    rep = db::fan_out(targets, fo, *source, d.interrupt().requested, sink,
                      [&](db::Connection& c, const db::FanOutTarget& target) {
                        const auto& t = by_id.at(target.id);
                        auto tx = c.tenant(tenant::scope_of(t, tenancy));
                        if (!tx) return db::ItemOutcome::from_error(tx.error());
                        auto r = billing::rollup_tenant(**tx, t, ro);
                        if (!r) return db::ItemOutcome::from_error(r.error());
                        if (!dry) {
                          if (auto done = (*tx)->commit(); !done)
                            return db::ItemOutcome::from_error(done.error());
                        }
                        std::lock_guard lock(mu);
                        results.push_back(std::move(*r));
                        return db::ItemOutcome::ok(results.back().status);
                      });
    d.interrupt().cooperative = false;
  }
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.slug < b.slug; });
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : results)
    rows.push_back(summary_row(r));
  d.print(rows, {{"tenant", "status", "read", "changed", "calls", "billable_calls", "billed_minutes",
                  "paid_minutes", "charge", "adjustments", "total", "currency", "margin"}});
  return db::fan_out_result(rep, "tenant");
}

} // namespace

Result<void> run_billing_rollup(const BillingRollupOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto period, billing::parse_period(o.period));
  billing::RollupOptions ro;
  ro.period = period;
  ro.close = o.close ? billing::Close::yes : billing::Close::no;
  ro.full = o.full ? billing::FullRead::yes : billing::FullRead::no;
  ro.actor = actor_of(d);
  ro.dry_run = d.global().dry_run;
  if (o.close && !d.global().dry_run) {
    const std::string who = o.all_tenants ? "every tenant" : "this tenant";
    CRM_TRY_ASSIGN(bool yes, d.confirm("Close " + period.text() + " for " + who +
                                       "? Closed statements are final and credit balances are "
                                       "debited"));
    if (!yes) return make_error(ErrorKind::interrupted, "not closed");
  }
  if (o.all_tenants) return rollup_all(o, ro, d);
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::rollup_tenant(tx, call.tenant, ro);
                 }));
  if (r.was_closed)
    d.notice(period.text() + " is closed for '" + call.tenant.slug +
             "': showing the stored rollup (closed periods never change)");
  auto j = billing::to_json(r);
  j["dry_run"] = d.global().dry_run;
  d.print(j);
  return {};
}

} // namespace crm::cmd
