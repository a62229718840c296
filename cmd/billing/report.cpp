#include "billing/report.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/support.hpp"
#include "core/input.hpp"

namespace crm::cmd {

void register_billing_report(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<BillingReportOptions>();
  auto* app = add_command(
      noun, ctx, "report",
      {"Cross-tenant revenue report: minutes, charge, COGS, margin, excluded usage, peak hours",
       "For the super-admin: one row per tenant and a total per currency, from each tenant's "
       "stored rollup (status draft or closed) or, for a tenant never rolled up, rated live "
       "(status live). Calls per hour of day are counted in each tenant's timezone or in "
       "--timezone. On a terminal the table is followed by a 24-row bar chart of the hours; "
       "-o json adds calls_by_hour per tenant; -o csv gives the rows.",
       {"crmctl billing report --period 2026-11",
        "crmctl billing report --period 2026-11 --timezone America/Vancouver",
        "crmctl billing report --period 2026-11 -o csv > revenue-2026-11.csv"}});
  app->add_option("--period", o->period, "The month, YYYY-MM")->required();
  app->add_option("--timezone", o->timezone, "Count hours of day in this timezone");
  app->add_flag("--no-chart", o->no_chart, "No bar chart after the table");
  on_run(app, ctx, o, run_billing_report, Effect::reads);
}

Result<void> run_billing_report(const BillingReportOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto period, billing::parse_period(o.period));
  CRM_TRY(check_text(o.timezone, TextRule("--timezone", 64)));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto rep, billing::build_report(*c, tenancy_of(d), period, o.timezone));
  if (d.format() == Format::json || d.format() == Format::yaml) {
    d.print(billing::to_json(rep));
    return {};
  }
  d.print(billing::report_rows(rep),
          {{"tenant", "status", "currency", "calls", "billable_calls", "minutes", "charge",
            "adjustments", "total", "cogs", "margin", "excluded_calls", "excluded_minutes",
            "excluded_cogs", "peak_hour"}});
  if (d.format() == Format::table && d.io().stdout_tty && !o.no_chart)
    d.io().out << "\n" << billing::hours_chart(rep.calls_by_hour, o.timezone);
  return {};
}

} // namespace crm::cmd
