#include "billing/credit.hpp"

#include "core/input.hpp"
#include "db/audit.hpp"

namespace crm::billing {

Result<CreditAccount> add_credit(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const Decimal& amount, const std::string& reason,
                                 const tenant::Actor& actor, DryRun dry_run) {
  if (amount <= Decimal())
    return make_error(ErrorKind::usage, "credit amount must be positive (got " +
                                            amount.to_string() + "): debits happen at close");
  if (!amount.fits(k_numeric_20_2))
    return make_error(ErrorKind::usage, "credit amount " + amount.to_string() +
                                            " has more than 2 decimal places or 18 digits");
  CRM_TRY(check_text(reason, TextRule("--reason", 500)));
  if (reason.find_first_not_of(" \t") == std::string::npos)
    return make_error(ErrorKind::usage, "--reason is required: say why credit is added");
  CRM_TRY(tx.exec("INSERT INTO credit_accounts (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING",
                  {t.id}));
  CRM_TRY(tx.exec("UPDATE credit_accounts SET prepaid = true WHERE NOT prepaid"));
  CRM_TRY_ASSIGN(auto acct, tx.exec("SELECT balance::text AS b, low_balance_threshold::text AS th "
                                    "FROM credit_accounts FOR UPDATE"));
  CRM_TRY_ASSIGN(auto balance, Decimal::parse(acct.get(0, "b"), {24, 18}));
  CRM_TRY_ASSIGN(auto threshold, Decimal::parse(acct.get(0, "th"), {24, 18}));
  const Decimal after = balance + amount;
  if (!after.fits(k_numeric_20_6))
    return make_error(ErrorKind::usage, "the balance would exceed what numeric(20,6) holds");
  const bool low = after <= threshold, zero = after <= Decimal();
  CRM_TRY(tx.exec("INSERT INTO credit_transactions (org_id, kind, amount, balance_after, reason, "
                  "actor) VALUES ($1, 'topup', $2, $3, $4, $5)",
                  {t.id, amount.to_string(2), after.to_string(6), reason, actor.name}));
  CRM_TRY(tx.exec("UPDATE credit_accounts SET balance = $1, low_balance = $2, zero_balance = $3, "
                  "updated_at = now()",
                  {after.to_string(6), low ? "true" : "false", zero ? "true" : "false"}));
  nlohmann::json args = {{"amount", amount.to_string(2)}, {"reason", reason}};
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "billing.credit_add", t.slug,
                               tenant::audit_args(actor, args.dump()),
                               dry_run == DryRun::yes ? "dry_run" : "ok", ""}));
  return show_credit(tx, 20);
}

Result<CreditAccount> show_credit(db::TenantTx& tx, int limit) {
  CreditAccount a;
  CRM_TRY_ASSIGN(auto acct, tx.exec("SELECT balance::text AS b, low_balance_threshold::text AS th, "
                                    "low_balance, zero_balance FROM credit_accounts WHERE prepaid"));
  if (acct.empty()) return a;
  a.exists = true;
  CRM_TRY_ASSIGN(a.balance, Decimal::parse(acct.get(0, "b"), {24, 18}));
  CRM_TRY_ASSIGN(a.low_balance_threshold, Decimal::parse(acct.get(0, "th"), {24, 18}));
  a.low_balance = acct.get(0, "low_balance") == "t";
  a.zero_balance = acct.get(0, "zero_balance") == "t";
  CRM_TRY_ASSIGN(auto h, tx.exec("SELECT to_char(created_at AT TIME ZONE 'UTC', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at, kind, "
                                 "coalesce(period, '') AS period, reason, actor, amount::text AS "
                                 "amount, balance_after::text AS after FROM credit_transactions "
                                 "ORDER BY created_at DESC, id LIMIT $1",
                                 {std::to_string(limit)}));
  for (std::size_t i = 0; i < h.size(); ++i) {
    CreditEntry e{h.get(i, "at"), h.get(i, "kind"), h.get(i, "period"), h.get(i, "reason"),
                  h.get(i, "actor"), {}, {}};
    CRM_TRY_ASSIGN(e.amount, Decimal::parse(h.get(i, "amount"), {24, 18}));
    CRM_TRY_ASSIGN(e.balance_after, Decimal::parse(h.get(i, "after"), {24, 18}));
    a.history.push_back(std::move(e));
  }
  return a;
}

nlohmann::json to_json(const CreditAccount& a) {
  nlohmann::json h = nlohmann::json::array();
  for (const auto& e : a.history)
    h.push_back({{"at", e.at},
                 {"kind", e.kind},
                 {"amount", e.amount.to_string(2)},
                 {"balance_after", e.balance_after.to_string(2)},
                 {"period", e.period.empty() ? nlohmann::json() : nlohmann::json(e.period)},
                 {"reason", e.reason},
                 {"actor", e.actor}});
  return {{"has_account", a.exists},
          {"balance", a.balance.to_string(2)},
          {"low_balance_threshold", a.low_balance_threshold.to_string(2)},
          {"low_balance", a.low_balance},
          {"zero_balance", a.zero_balance},
          {"history", h}};
}

} // namespace crm::billing
