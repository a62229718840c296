// The audit trail: every mutating command writes one audit_events row (global, append-only).
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"
#include <string>

namespace crm::db {

/// One audit row; `arguments_json` must already be redacted (no secrets).
struct AuditEvent {
  std::string actor;
  std::string org_id; // "" when not tenant-specific
  std::string action; // "tenant.create"
  std::string target;
  std::string arguments_json = "{}";
  std::string outcome = "ok"; // ok | error | dry_run
  std::string error;
};

/// Inserts into public.audit_events when the table exists (before the first migration it does
/// not, and nothing is written). Runs in the caller's transaction so it commits with the change.
Result<void> write_audit(Tx& tx, const AuditEvent& e);
/// Same, in its own autocommit statement (for failures whose transaction was rolled back).
Result<void> write_audit(Connection& c, const AuditEvent& e);

} // namespace crm::db
