#include "cmd/billing/commands.hpp"

namespace crm::cmd {

void register_billing(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "billing",
      {"Billing: period rollups, tenant statements, the revenue report, credit balances",
       "Money is exact decimal throughout. A tenant's terms (COGS and rate per minute, free "
       "minutes, rounding policy, timezone, currency: `tenant update`) rate the calls that started "
       "in the period in the tenant's timezone. A rollup is a draft until `--close`; a closed "
       "period never changes, and usage that arrives for it later becomes an adjustment line on "
       "the next open statement. Statements never show COGS or provider names.",
       {"crmctl billing rollup --period 2026-11 --all-tenants",
        "crmctl billing rollup --period 2026-10 --tenant acme --close --yes",
        "crmctl billing statement --tenant acme --period 2026-10 --format pdf --out acme.pdf",
        "crmctl billing report --period 2026-11",
        "crmctl billing credit add --tenant acme 50.00 --reason \"top-up, invoice 1042\""}});
  noun->require_subcommand(1);
  register_billing_rollup(*noun, ctx);
  register_billing_statement(*noun, ctx);
  register_billing_report(*noun, ctx);
  register_billing_credit(*noun, ctx);
}

} // namespace crm::cmd
