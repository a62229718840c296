// Number records, the operation log and purchase completion (shared by the sagas and reconcile).
#include "db/audit.hpp"
#include "db/sql.hpp"
#include "telephony/saga.hpp"

namespace crm::telephony {

using nlohmann::json;

namespace {

const std::string k_record_columns =
    "p.id::text AS id, p.e164, p.status, coalesce(p.twilio_sid, '') AS twilio_sid, "
    "coalesce(p.twilio_account_sid, '') AS twilio_account_sid, "
    "coalesce(p.friendly_name, '') AS friendly_name, "
    "coalesce(p.elevenlabs_phone_number_id, '') AS el_id, coalesce(p.agent_id::text, '') AS "
    "agent_id, coalesce(a.external_id, '') AS agent_external_id, p.ai_enabled, "
    "coalesce(p.forward_to, '') AS forward_to, " +
    db::rfc3339_sql("p.created_at") + " AS created_at, " + db::rfc3339_sql("p.updated_at") +
    " AS updated_at FROM phone_numbers p LEFT JOIN agents a ON a.org_id = p.org_id AND a.id = "
    "p.agent_id";

NumberRecord record_of(const db::Rows& r, std::size_t i, const std::string& slug) {
  NumberRecord n;
  n.tenant = slug;
  n.id = r.get(i, "id");
  n.e164 = r.get(i, "e164");
  n.status = r.get(i, "status");
  n.twilio_sid = r.get(i, "twilio_sid");
  n.twilio_account_sid = r.get(i, "twilio_account_sid");
  n.friendly_name = r.get(i, "friendly_name");
  n.elevenlabs_phone_number_id = r.get(i, "el_id");
  n.agent_id = r.get(i, "agent_id");
  n.agent_external_id = r.get(i, "agent_external_id");
  n.ai_enabled = r.get(i, "ai_enabled") == "t";
  n.forward_to = r.get(i, "forward_to");
  n.created_at = r.get(i, "created_at");
  n.updated_at = r.get(i, "updated_at");
  return n;
}

detail::Operation operation_of(const db::Rows& r, std::size_t i) {
  detail::Operation op;
  op.id = r.get(i, "id");
  op.idempotency_key = r.get(i, "idempotency_key");
  op.kind = r.get(i, "kind");
  op.e164 = r.get(i, "e164");
  op.step = r.get(i, "step");
  op.state = r.get(i, "state");
  op.error = r.get(i, "error");
  auto j = json::parse(r.get(i, "provider_refs"), nullptr, false);
  if (j.is_object()) op.refs = std::move(j);
  return op;
}

const char* k_op_columns = "SELECT id::text AS id, idempotency_key, kind, coalesce(e164, '') AS "
                           "e164, step, state, coalesce(error, '') AS error, provider_refs::text "
                           "AS provider_refs FROM number_operations ";

} // namespace

Result<std::vector<NumberRecord>> list_numbers(db::TenantTx& tx, const tenant::TenantRef& t,
                                               bool include_released) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT " + k_record_columns + " WHERE p.org_id = $1" +
                                     (include_released ? "" : " AND p.status <> 'released'") +
                                     " ORDER BY p.e164",
                                 {tx.org_id()}));
  std::vector<NumberRecord> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back(record_of(r, i, t.slug));
  return out;
}

Result<NumberRecord> find_number(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const std::string& e164) {
  CRM_TRY_ASSIGN(auto n, detail::read_number(tx, t, e164));
  if (!n)
    return make_error(ErrorKind::not_found, e164 + " is not a number of tenant '" + t.slug +
                                                "': see `crmctl number list --tenant " + t.slug +
                                                "`");
  return *n;
}

namespace detail {

Result<std::optional<NumberRecord>> read_number(db::TenantTx& tx, const tenant::TenantRef& t,
                                                const std::string& e164) {
  CRM_TRY_ASSIGN(auto r,
                 tx.exec("SELECT " + k_record_columns + " WHERE p.org_id = $1 AND p.e164 = $2",
                         {tx.org_id(), e164}));
  if (r.empty()) return std::optional<NumberRecord>();
  return std::optional<NumberRecord>(record_of(r, 0, t.slug));
}

Result<Operation> open_operation(db::TenantTx& tx, const std::string& id, const std::string& key,
                                 const std::string& kind, const std::string& e164,
                                 const std::string& step, const json& refs) {
  auto r = tx.exec("INSERT INTO number_operations (org_id, id, idempotency_key, kind, e164, step, "
                   "state, provider_refs) VALUES ($1, $2, $3, $4, nullif($5, ''), $6, "
                   "'in_flight', $7::jsonb)",
                   {tx.org_id(), id, key, kind, e164, step, refs.dump()});
  if (!r) {
    if (r.error().sqlstate == "23505")
      return make_error(ErrorKind::conflict,
                        "idempotency key '" + key + "' is already used by another operation");
    return std::move(r).error();
  }
  Operation op;
  op.id = id;
  op.idempotency_key = key;
  op.kind = kind;
  op.e164 = e164;
  op.step = step;
  op.state = "in_flight";
  op.refs = refs;
  return op;
}

Result<void> set_operation(db::TenantTx& tx, const Operation& op) {
  CRM_TRY(tx.exec("UPDATE number_operations SET step = $2, state = $3, provider_refs = $4::jsonb, "
                  "error = nullif($5, ''), e164 = coalesce(nullif($6, ''), e164), updated_at = "
                  "now() WHERE org_id = $7 AND id = $1",
                  {op.id, op.step, op.state, op.refs.dump(), op.error, op.e164, tx.org_id()}));
  return {};
}

Result<std::optional<Operation>> operation_by_key(db::TenantTx& tx, const std::string& key) {
  CRM_TRY_ASSIGN(auto r,
                 tx.exec(std::string(k_op_columns) + "WHERE org_id = $1 AND idempotency_key = $2",
                         {tx.org_id(), key}));
  if (r.empty()) return std::optional<Operation>();
  return std::optional<Operation>(operation_of(r, 0));
}

Result<std::vector<Operation>> open_operations(db::TenantTx& tx, std::chrono::seconds min_age) {
  CRM_TRY_ASSIGN(auto r, tx.exec(std::string(k_op_columns) +
                                     "WHERE org_id = $1 AND state IN ('pending', 'in_flight') AND "
                                     "updated_at <= now() - make_interval(secs => $2) "
                                     "ORDER BY created_at, id",
                                 {tx.org_id(), std::to_string(min_age.count())}));
  std::vector<Operation> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back(operation_of(r, i));
  return out;
}

Result<std::optional<Operation>> operation_by_marker(db::TenantTx& tx, const std::string& name) {
  CRM_TRY_ASSIGN(auto r, tx.exec(std::string(k_op_columns) +
                                     "WHERE org_id = $1 AND kind = 'buy' AND "
                                     "provider_refs->>'friendly_name' = $2 ORDER BY created_at "
                                     "DESC LIMIT 1",
                                 {tx.org_id(), name}));
  if (r.empty()) return std::optional<Operation>();
  return std::optional<Operation>(operation_of(r, 0));
}

Result<void> audit(db::Tx& tx, const NumberEnv& env, const std::string& action,
                   const std::string& e164, const json& args, const std::string& outcome,
                   const std::string& error) {
  return db::write_audit(tx, {env.actor.name, env.tenant.id, action, e164,
                              tenant::audit_args(env.actor, args.dump()), outcome, error});
}

Result<NumberRecord> complete_purchase(NumberEnv& env, Operation op,
                                       const providers::twilio::IncomingNumber& n) {
  return routing_step(env, [&](db::AdminTx& admin, InTenant& in) -> Result<NumberRecord> {
    CRM_TRY_ASSIGN(auto route,
                   admin.exec("INSERT INTO number_routes (e164, org_id) VALUES ($1, $2) ON "
                              "CONFLICT (e164) DO UPDATE SET e164 = EXCLUDED.e164 RETURNING "
                              "org_id::text AS org",
                              {n.phone_number, env.tenant.id}));
    if (route.get(0, "org") != env.tenant.id)
      return make_error(ErrorKind::conflict,
                        "Twilio sold " + n.phone_number + " (" + n.sid +
                            ") but another tenant's record already routes it: run `crmctl "
                            "number reconcile` and `crmctl audit data`");
    return in([&](db::TenantTx& tx) -> Result<NumberRecord> {
      CRM_TRY(tx.exec(
          "INSERT INTO phone_numbers (org_id, e164, twilio_sid, twilio_account_sid, friendly_name, "
          "status, ai_enabled) VALUES ($1, $2, $3, $4, $5, 'purchased', true) ON CONFLICT (org_id, "
          "e164) DO UPDATE SET twilio_sid = EXCLUDED.twilio_sid, twilio_account_sid = "
          "EXCLUDED.twilio_account_sid, friendly_name = EXCLUDED.friendly_name, status = "
          "'purchased', elevenlabs_phone_number_id = NULL, agent_id = NULL, ai_enabled = true, "
          "ai_voice_url = NULL, updated_at = now()",
          {tx.org_id(), n.phone_number, n.sid, n.account_sid, n.friendly_name}));
      op.e164 = n.phone_number;
      op.step = "recorded";
      op.state = "done";
      op.refs["twilio_sid"] = n.sid;
      CRM_TRY(set_operation(tx, op));
      CRM_TRY(audit(tx, env, "number.buy", n.phone_number,
                    {{"operation_id", op.id}, {"twilio_sid", n.sid}}, "ok"));
      CRM_TRY_ASSIGN(auto rec, read_number(tx, env.tenant, n.phone_number));
      return *rec;
    });
  });
}

Result<void> abandon_purchase(NumberEnv& env, Operation op, const std::string& why) {
  return routing_step(env, [&](db::AdminTx& admin, InTenant& in) -> Result<void> {
    if (!op.e164.empty()) {
      CRM_TRY(admin.exec("DELETE FROM number_routes WHERE e164 = $1 AND org_id = $2",
                         {op.e164, env.tenant.id}));
    }
    return in([&](db::TenantTx& tx) -> Result<void> {
      if (!op.e164.empty()) {
        // A placeholder made for this purchase goes; an older (released) record stays released.
        CRM_TRY(tx.exec("DELETE FROM phone_numbers WHERE org_id = $1 AND e164 = $2 AND status = "
                        "'purchasing' AND twilio_sid IS NULL",
                        {tx.org_id(), op.e164}));
        CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'released', updated_at = now() WHERE "
                        "org_id = $1 AND e164 = $2 AND status = 'purchasing'",
                        {tx.org_id(), op.e164}));
      }
      op.state = "failed";
      op.error = why;
      CRM_TRY(set_operation(tx, op));
      CRM_TRY(audit(tx, env, "number.buy", op.e164, {{"operation_id", op.id}}, "error", why));
      return {};
    });
  });
}

Result<std::optional<providers::twilio::IncomingNumber>>
find_purchase(NumberEnv& env, const providers::twilio::Account& a, const Operation& op) {
  std::string marker = op.refs.value("friendly_name", "");
  providers::twilio::ListFilter f;
  f.friendly_name = marker;
  // Filter on our side too: a server that ignores the filter returns every number.
  CRM_TRY_ASSIGN(auto list, providers::twilio::list_numbers(env.http, a, f));
  for (const auto& n : list)
    if (!marker.empty() && n.friendly_name == marker &&
        (op.e164.empty() || n.phone_number == op.e164))
      return std::optional<providers::twilio::IncomingNumber>(n);
  return std::optional<providers::twilio::IncomingNumber>();
}

} // namespace detail
} // namespace crm::telephony
