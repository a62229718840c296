// `crmctl audit rls | data`: the RLS and data audits (lib/audit); one .cpp per verb.
#pragma once
#include "audit/audit.hpp"
#include "cmd/app.hpp"

#include <optional>
#include <set>

#include <string>
#include <vector>

namespace crm::cmd {

/// Flags shared by the audit verbs: the configuration inputs and the output.
struct AuditCommon {
  std::vector<std::string> schemas, tenant_columns, app_roles, gucs, bypass_roles, global_tables;
  std::string fail_on;  // critical|high|medium|info; "" = findings never fail the run
  std::string format;   // table|json|sarif|junit; "" = from -o
  std::string baseline; // an earlier JSON (or SARIF) report: only new findings fail
};

struct AuditRlsOptions {
  AuditCommon common;
  bool probe = false;
  bool probe_writes = false;
  bool allow_production = false;
  bool data = false;
  int jobs = 4;
  std::string statement_timeout = "5s";
  std::string lock_timeout = "1s";
  std::string fix_sql; // file for the mechanical fixes
};

struct AuditDataOptions {
  AuditCommon common;
  std::vector<std::string> phone_columns;
};

void register_audit(CLI::App& root, Context& ctx);
void register_audit_rls(CLI::App& noun, Context& ctx);
void register_audit_data(CLI::App& noun, Context& ctx);
Result<void> run_audit_rls(const AuditRlsOptions& o, Deps& d);
Result<void> run_audit_data(const AuditDataOptions& o, Deps& d);

/// Binds the shared flags.
void add_audit_flags(CLI::App* app, AuditCommon& c);

/// What the shared flags resolve to before anything connects.
struct AuditOutput {
  std::string format; // table|json|yaml|csv|sarif|junit
  std::optional<audit::Severity> fail_on;
  std::optional<std::set<std::string>> baseline;
};
/// Validates --format, --fail-on and reads --baseline (usage errors, exit 2).
Result<AuditOutput> audit_output(const AuditCommon& c, Deps& d);
/// The audit configuration: flags over the profile's audit section over the defaults.
Result<audit::Config> audit_config(const AuditCommon& c, Deps& d,
                                   const std::vector<std::string>& phone_columns = {});
/// Prints a finalized report; findings at or above --fail-on (not in the baseline) are
/// ErrorKind::findings (exit 5).
Result<void> print_audit(audit::Report& r, const AuditOutput& out, Deps& d);

} // namespace crm::cmd
