#include "billing/credit.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/support.hpp"

namespace crm::cmd {

namespace {

void register_add(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<BillingCreditAddOptions>();
  auto* app = add_command(
      noun, ctx, "add",
      {"Add credit to a tenant's balance (a top-up), audited",
       "Opens the tenant's credit account on the first top-up. A credit account is debited the "
       "statement total when a period is closed (once per period); low_balance is set at or "
       "below the account's threshold and zero_balance at or below zero.",
       {"crmctl billing credit add --tenant acme 50.00 --reason \"top-up, invoice 1042\""}});
  app->add_option("amount", o->amount, "Amount in the tenant's currency (e.g. 50.00)")->required();
  app->add_option("--reason", o->reason, "Why (kept in the history and the audit trail)")
      ->required();
  on_run(app, ctx, o, run_billing_credit_add, Effect::writes);
}

void register_show(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<BillingCreditShowOptions>();
  auto* app = add_command(noun, ctx, "show",
                          {"A tenant's credit balance, flags and balance history",
                           "Newest entries first: top-ups and the debits of closed periods.",
                           {"crmctl billing credit show --tenant acme",
                            "crmctl billing credit show --tenant acme --limit 100 -o json"}});
  app->add_option("--limit", o->limit, "History entries shown (1-10000)")
      ->check(CLI::Range(1, 10000));
  on_run(app, ctx, o, run_billing_credit_show, Effect::reads);
}

void print_account(Deps& d, const billing::CreditAccount& a, const std::string& slug) {
  auto j = billing::to_json(a);
  j["tenant"] = slug;
  if (d.format() != Format::table) {
    d.print(j);
    return;
  }
  if (!a.exists) {
    d.io().out << "tenant '" << slug << "' has no credit account (add credit to open one)\n";
    return;
  }
  d.io().out << "Balance " << a.balance.to_string(2) << " (threshold "
             << a.low_balance_threshold.to_string(2) << ")"
             << (a.zero_balance ? "  ZERO BALANCE" : (a.low_balance ? "  LOW BALANCE" : ""))
             << "\n";
  d.print(j["history"], {{"at", "kind", "amount", "balance_after", "period", "reason", "actor"}});
}

} // namespace

void register_billing_credit(CLI::App& noun, Context& ctx) {
  auto* credit = add_command(noun, ctx, "credit",
                             {"Credit accounts: top-ups and the balance history",
                              "Prepaid tenants (RinglyPro style) hold a balance debited at close.",
                              {"crmctl billing credit add --tenant acme 25 --reason trial",
                               "crmctl billing credit show --tenant acme"}});
  credit->require_subcommand(1);
  register_add(*credit, ctx);
  register_show(*credit, ctx);
}

Result<void> run_billing_credit_add(const BillingCreditAddOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto amount, Decimal::parse(o.amount, k_numeric_20_2));
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto a, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::add_credit(tx, call.tenant, amount, o.reason, actor_of(d),
                                              dry_run_of(d));
                 }));
  if (d.global().dry_run) d.notice("dry run: nothing was added");
  print_account(d, a, call.tenant.slug);
  return {};
}

Result<void> run_billing_credit_show(const BillingCreditShowOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto a, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::show_credit(tx, o.limit);
                 }));
  print_account(d, a, call.tenant.slug);
  return {};
}

} // namespace crm::cmd
