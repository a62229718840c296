#include "db/audit.hpp"

namespace crm::db {
namespace {
const char* k_insert =
    "INSERT INTO public.audit_events (actor, org_id, action, target, arguments, outcome, error) "
    "VALUES ($1, nullif($2, '')::uuid, $3, $4, $5::jsonb, $6, nullif($7, ''))";
Params params(const AuditEvent& e) {
  return {e.actor, e.org_id, e.action, e.target, e.arguments_json, e.outcome, e.error};
}
} // namespace

Result<void> write_audit(Tx& tx, const AuditEvent& e) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT to_regclass('public.audit_events') IS NOT NULL AS e"));
  if (r.get(0, "e") != "t") return {};
  CRM_TRY(tx.exec(k_insert, params(e)));
  return {};
}

Result<void> write_audit(Connection& c, const AuditEvent& e) {
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT to_regclass('public.audit_events') IS NOT NULL AS e"));
  if (r.get(0, "e") != "t") return {};
  CRM_TRY(c.exec(k_insert, params(e)));
  return {};
}

} // namespace crm::db
