// Internals shared by the number sagas and reconcile (not part of the public interface): step
// transactions, the operation log, record reads and the purchase completion both use.
#pragma once
#include "telephony/numbers.hpp"

#include <nlohmann/json.hpp>

namespace crm::telephony::detail {

/// Runs `fn(TenantTx&)` in its own transaction on the env's session and commits it.
template <class F>
auto tenant_step(NumberEnv& env, F&& fn) -> decltype(fn(std::declval<db::TenantTx&>())) {
  auto tx = env.conn.tenant(env.scope);
  if (!tx) return std::move(tx).error();
  auto r = fn(**tx);
  if (!r) return r;
  if (auto c = (*tx)->commit(); !c) return std::move(c).error();
  return r;
}

/// Runs tenant work inside an admin transaction: enters the tenant's scope (role, GUC, search
/// path) for `g`, and leaves it afterwards, so global statements before and after run as the
/// login role.
class InTenant {
public:
  InTenant(db::AdminTx& admin, const db::TenantScope& scope) : m_admin(admin), m_scope(scope) {}
  template <class G> auto operator()(G&& g) -> decltype(g(std::declval<db::TenantTx&>())) {
    auto s = db::scoped(m_admin, m_scope);
    if (!s) return std::move(s).error();
    auto r = g(**s);
    s->reset();
    return r;
  }

private:
  db::AdminTx& m_admin;
  const db::TenantScope& m_scope;
};

/// Runs `fn(AdminTx&, InTenant&)` — global routing rows and, through InTenant, the tenant's rows
/// — in one transaction and commits it.
template <class F>
auto routing_step(NumberEnv& env, F&& fn)
    -> decltype(fn(std::declval<db::AdminTx&>(), std::declval<InTenant&>())) {
  auto tx = env.conn.admin();
  if (!tx) return std::move(tx).error();
  InTenant in(**tx, env.scope);
  auto r = fn(**tx, in);
  if (!r) return r;
  if (auto c = (*tx)->commit(); !c) return std::move(c).error();
  return r;
}

/// One number_operations row.
struct Operation {
  std::string id, idempotency_key, kind, e164, step, state, error;
  nlohmann::json refs = nlohmann::json::object();
};

/// Inserts an operation (state in_flight).
Result<Operation> open_operation(db::TenantTx& tx, const std::string& id, const std::string& key,
                                 const std::string& kind, const std::string& e164,
                                 const std::string& step, const nlohmann::json& refs);
/// Updates step/state/refs/error of an operation.
Result<void> set_operation(db::TenantTx& tx, const Operation& op);
/// The operation with this idempotency key, if any.
Result<std::optional<Operation>> operation_by_key(db::TenantTx& tx, const std::string& key);
/// Operations still in flight whose last step is at least `min_age` old (oldest first): younger
/// ones may belong to a command running right now.
Result<std::vector<Operation>> open_operations(db::TenantTx& tx, std::chrono::seconds min_age);
/// The operation that bought under this friendly name, if any.
Result<std::optional<Operation>> operation_by_marker(db::TenantTx& tx, const std::string& name);

/// The record of `e164` for the tenant, or nullopt.
Result<std::optional<NumberRecord>> read_number(db::TenantTx& tx, const tenant::TenantRef& t,
                                                const std::string& e164);

/// Records a number Twilio bought for `op` (purchase answer or a lookup found it): routes it to
/// the tenant, marks it purchased, closes the operation, audits.
Result<NumberRecord> complete_purchase(NumberEnv& env, Operation op,
                                       const providers::twilio::IncomingNumber& n);
/// Closes a purchase that did not happen: the operation failed, the reservation and the
/// placeholder record removed, audited.
Result<void> abandon_purchase(NumberEnv& env, Operation op, const std::string& why);
/// Looks the purchase of `op` up on Twilio by the friendly name crmctl gave it (and its number
/// when known): the number when Twilio has it.
Result<std::optional<providers::twilio::IncomingNumber>>
find_purchase(NumberEnv& env, const providers::twilio::Account& a, const Operation& op);

/// Audits a number action in `tx`.
Result<void> audit(db::Tx& tx, const NumberEnv& env, const std::string& action,
                   const std::string& e164, const nlohmann::json& args, const std::string& outcome,
                   const std::string& error = "");

} // namespace crm::telephony::detail
