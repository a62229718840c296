#include "billing/statement.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/support.hpp"
#include "core/sink.hpp"

namespace crm::cmd {

void register_billing_statement(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<BillingStatementOptions>();
  auto* app = add_command(
      noun, ctx, "statement",
      {"A tenant's statement for a rolled-up period: JSON, CSV or a one-page PDF",
       "What the tenant sees: usage lines (billed, free and paid minutes, unit price, amount, "
       "call count, dates), adjustment lines for late usage of closed periods, the calls not "
       "billed, and the total; the rounding policy is stated. No COGS, no provider names. CSV is "
       "RFC 4180 (CRLF, fixed decimals, line order). The PDF carries the tenant's name on its "
       "branding colour (branding.primary_color in the tenant's settings) and a chart of billed "
       "minutes per day. --format defaults to -o; pdf needs --out or a pipe.",
       {"crmctl billing statement --tenant acme --period 2026-10",
        "crmctl billing statement --tenant acme --period 2026-10 --format csv --out acme.csv",
        "crmctl billing statement --tenant acme --period 2026-10 --format pdf --out acme.pdf"}});
  app->add_option("--period", o->period, "The month, YYYY-MM")->required();
  app->add_option("--format", o->format, "json, csv or pdf (default: -o)")
      ->check(CLI::IsMember({"json", "csv", "pdf"}));
  app->add_option("--out", o->out, "Write to this file (atomically) instead of stdout");
  on_run(app, ctx, o, run_billing_statement, Effect::reads);
}

Result<void> run_billing_statement(const BillingStatementOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto period, billing::parse_period(o.period));
  std::string format = o.format;
  if (format.empty())
    format = d.format() == Format::csv ? "csv" : (d.format() == Format::table ? "table" : "json");
  if (format == "pdf" && o.out.empty() && d.io().stdout_tty)
    return make_error(ErrorKind::usage,
                      "a PDF is not for the terminal: pass --out FILE.pdf or pipe the output");
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto st, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::load_statement(tx, call.tenant, period);
                 }));
  std::string bytes;
  if (format == "pdf") {
    CRM_TRY_ASSIGN(bytes, billing::statement_pdf(st));
  } else if (format == "csv") {
    bytes = billing::statement_csv(st);
  } else if (format == "table" && o.out.empty()) {
    auto j = billing::statement_json(st);
    d.io().out << escape_for_terminal(st.tenant_name) << " - statement " << period.text() << " ("
               << st.status << ", " << st.currency << ", rounding " << st.rounding << ")\n";
    d.print(j["lines"], {{"line", "description", "units", "free_units", "paid_units",
                          "unit_price", "amount", "calls"}});
    d.io().out << "Total: " << st.total.to_string(2) << " " << st.currency << "\n";
    return {};
  } else {
    bytes = billing::statement_json(st).dump(2) + "\n";
  }
  if (o.out.empty()) {
    d.io().out << bytes;
    d.io().out.flush();
    return {};
  }
  CRM_TRY_ASSIGN(auto sink, FileSink::create(o.out));
  CRM_TRY(sink.write(bytes));
  CRM_TRY(sink.commit());
  d.notice("wrote " + o.out + " (" + std::to_string(bytes.size()) + " bytes, sha256 " +
           sink.sha256_hex().substr(0, 12) + ")");
  return {};
}

} // namespace crm::cmd
