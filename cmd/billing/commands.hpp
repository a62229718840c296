// `crmctl billing rollup | statement | report | credit add | credit show`.
#pragma once
#include "cmd/app.hpp"

#include <string>

namespace crm::cmd {

struct BillingRollupOptions {
  std::string period;
  bool all_tenants = false, close = false, full = false;
  int jobs = 4;
};
struct BillingStatementOptions {
  std::string period, format, out;
};
struct BillingReportOptions {
  std::string period, timezone;
  bool no_chart = false;
};
struct BillingCreditAddOptions {
  std::string amount, reason;
};
struct BillingCreditShowOptions {
  int limit = 20;
};

/// Registers the `billing` noun and its verbs.
void register_billing(CLI::App& root, Context& ctx);
void register_billing_rollup(CLI::App& noun, Context& ctx);
void register_billing_statement(CLI::App& noun, Context& ctx);
void register_billing_report(CLI::App& noun, Context& ctx);
void register_billing_credit(CLI::App& noun, Context& ctx);
/// Rates a period for one tenant or all (fan-out), draft or closed.
Result<void> run_billing_rollup(const BillingRollupOptions& o, Deps& d);
/// Prints or writes a tenant's statement (json, csv, pdf).
Result<void> run_billing_statement(const BillingStatementOptions& o, Deps& d);
/// The cross-tenant report with peak hours.
Result<void> run_billing_report(const BillingReportOptions& o, Deps& d);
/// Adds credit to a tenant's balance.
Result<void> run_billing_credit_add(const BillingCreditAddOptions& o, Deps& d);
/// Shows a tenant's balance and its history.
Result<void> run_billing_credit_show(const BillingCreditShowOptions& o, Deps& d);

} // namespace crm::cmd
