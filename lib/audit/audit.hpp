// `crmctl audit rls | data`: find every way one tenant can see another. The catalog is read in a
// handful of set-based queries (db::tenant_table_rls plus roles, views and functions), every check
// of docs/rls-audit.md runs on it in memory, policies are analysed on their expression trees
// (audit/expr.hpp), the live probe tries cross-tenant reads and writes in rolled-back
// transactions, and the data checks look for rows that already crossed a tenant boundary.
#pragma once
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "db/catalog.hpp"
#include "db/db.hpp"
#include "db/pool.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crm::audit {

// ---- checks and findings --------------------------------------------------------------------

/// How bad a finding is; ordered (info < medium < high < critical).
enum class Severity { info, medium, high, critical };
/// "info" | "medium" | "high" | "critical".
std::string_view severity_name(Severity s);
/// Parses a severity name; anything else is a usage error listing the levels.
Result<Severity> parse_severity(std::string_view s);

/// The family a check belongs to (one JUnit test suite each).
enum class Family { tables, policies, bypass, probe, data };
std::string_view family_name(Family f);

/// One check the audit knows.
struct CheckInfo {
  std::string_view id;
  Severity severity; // default
  Family family;
  std::string_view summary; // what is wrong, in general
  std::string_view fix;     // what to do, in general
};
/// Every check, in report order.
const std::vector<CheckInfo>& all_checks();
/// The check with this id, or nullptr.
const CheckInfo* find_check(std::string_view id);

/// One finding.
struct Finding {
  std::string check; // check id (RLS_DISABLED)
  Severity severity = Severity::info;
  std::string object;      // "public.calls", "public.calls/tenant_isolation", "crm_app"
  std::string object_type; // table, policy, view, function, role, foreign_key, column
  std::string message;     // one line: what is wrong with this object
  std::string fix;         // one line: what to do
  std::string fix_sql;     // the mechanical fix, or "" when it needs a human
  std::string fingerprint; // stable across runs: check + object
  bool known = false;      // present in the --baseline file
};

/// A finding the configuration accepted (allowlist, or its check switched off).
struct Suppressed {
  Finding finding;
  std::string reason;
};

// ---- configuration --------------------------------------------------------------------------

/// Audit inputs given on the command line (empty = not given).
struct Flags {
  std::vector<std::string> schemas, tenant_columns, app_roles, gucs, bypass_roles, global_tables,
      phone_columns;
};

/// One resolved input and where it came from ("flag", "config", "profile", "default").
struct Input {
  std::vector<std::string> value;
  std::string source;
};

/// The resolved configuration of one audit run (flags > profile `audit:` > defaults).
struct Config {
  Input tenant_columns; // default org_id, tenant_id, client_id
  Input app_roles;      // default the profile's tenancy.app_role
  Input gucs;           // default the tenancy GUC and request.jwt.claims; `x*` matches a prefix
  Input bypass_roles;   // roles expected to bypass RLS (service roles); default none
  Input schemas;        // default every non-system schema
  Input global_tables;  // schema.table treated as global besides crmctl:global comments
  Input phone_columns;  // audit data: columns holding owned phone numbers; default e164
  std::string tenants_table = "public.organizations"; // audit data: deleted tenants
  bool tenants_table_explicit = false;
  std::string probe_value = "{tenant}"; // the GUC value the probe sets; {tenant} = tenant id
  std::map<std::string, std::optional<Severity>> severity; // nullopt: check switched off
  std::vector<AuditAllow> allow;
};

/// Resolves and validates flags and the profile's audit section: unknown check ids or levels,
/// GUC names without a dot and empty entries are configuration errors (exit 10).
Result<Config> resolve_config(const Flags& flags, const Profile& profile);

// ---- the catalog ----------------------------------------------------------------------------

/// A role as the audit needs it.
struct RoleInfo {
  std::string name;
  bool super = false, bypassrls = false, login = false;
};

/// A view or materialized view and the relations its rules read.
struct ViewInfo {
  std::uint32_t oid = 0;
  std::string schema, name;
  char kind = 'v'; // 'v' view, 'm' materialized view
  bool security_invoker = false;
  std::string owner;
  std::vector<std::uint32_t> refs;
  std::set<std::string> readable_by; // application roles with SELECT
};

/// A user-defined function (not C, not from an extension).
struct FunctionInfo {
  std::uint32_t oid = 0;
  std::string schema, name, language, owner, body;
  std::string identity_args; // pg_get_function_identity_arguments ("row_org uuid")
  std::vector<std::string> arg_names;
  std::size_t nargs = 0;
  bool security_definer = false;
  bool sets_search_path = false;
  bool in_scope = false;               // in the scanned schemas
  std::set<std::string> executable_by; // application roles with EXECUTE
};

/// What one audit run read from the database.
struct Catalog {
  std::string database, server_version, login_role;
  bool login_bypasses_rls = false;        // superuser or BYPASSRLS
  std::vector<db::TenantTableRls> tables; // tenant tables and global ones (flag `global`)
  std::vector<ViewInfo> views;
  std::vector<FunctionInfo> functions;
  std::map<std::string, RoleInfo> roles;
  /// Per application role: the roles whose privileges it has (itself included).
  std::map<std::string, std::set<std::string>> privileges_of;
  /// Per application role: the roles it is a member of (can SET ROLE to; itself included).
  std::map<std::string, std::set<std::string>> member_of;
  /// Per application role: whether the login can SET ROLE to it (the probe needs it).
  std::map<std::string, bool> login_can_set_role;
  /// Non-superuser BYPASSRLS roles with a privilege on a tenant table.
  std::set<std::string> bypass_with_access;
  std::size_t round_trips = 0; // statements sent to load it, transaction control included
};

/// Reads the catalog in one READ ONLY snapshot (a fixed number of statements, whatever the number
/// of tables). Configuration errors (exit 10): an application or bypass role or a schema that
/// does not exist, no tenant table with the configured columns, and configured GUCs that no
/// policy reads while policies read others.
Result<Catalog> load_catalog(db::Connection& conn, const Config& cfg);

// ---- reports --------------------------------------------------------------------------------

/// The probe's verdict on one attempt.
enum class Outcome { denied, leak, inconclusive, skipped };
std::string_view outcome_name(Outcome o);

/// One probe attempt on one table.
struct ProbeResult {
  std::string table; // schema.table
  std::string probe; // read, insert, update, delete, move, unset_guc, empty_guc, pick
  Outcome outcome = Outcome::denied;
  std::string detail;
};

/// What the probe did.
struct ProbeSummary {
  std::size_t tables = 0, denied = 0, leaks = 0, inconclusive = 0, skipped = 0;
  std::size_t jobs = 0;
  bool writes = false;
  std::chrono::milliseconds elapsed{0};
  std::vector<ProbeResult> results; // table order
};

/// Counts for the report header.
struct Stats {
  std::size_t tenant_tables = 0, global_tables = 0, policies = 0, views = 0, functions = 0;
  std::size_t round_trips = 0;
  std::chrono::milliseconds elapsed{0};
};

/// The result of `audit rls` or `audit data`.
struct Report {
  std::string kind; // "rls" | "data"
  std::string database, server_version, login_role;
  Config config;
  Stats stats;
  std::vector<Finding> findings; // sorted: severity (worst first), check, object
  std::vector<Suppressed> suppressed;
  std::optional<ProbeSummary> probe;
  std::vector<std::string> notes; // checks skipped and why
  std::set<Family> families;      // the check families that ran
  bool baseline = false;          // a baseline was applied (findings marked new / known)
};

/// Runs every static check on a loaded catalog. A configuration error (exit 10) when no policy
/// reads a configured GUC while policies read others: the GUC is wrong, not every table.
Result<Report> check_catalog(const Catalog& cat, const Config& cfg);

// ---- the live probe -------------------------------------------------------------------------

/// How the probe runs.
struct ProbeOptions {
  bool writes = false; // insert, update, delete and move probes (always rolled back)
  std::size_t jobs = 4;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds lock_timeout{1000};
  std::string run_id = "audit-probe";
};

/// For each tenant table with rows of two tenants A and B: as the application role with the GUC
/// set to A (always in a transaction that is rolled back): read B's rows, the GUC empty, and with
/// writes: insert a row stamped B, update and delete B's rows, move A's row to B; on a session
/// that never set the GUC (`fresh`), read with the GUC unset. Denied = 42501 or 0 rows; a leak is
/// a critical PROBE_* finding; any other error is inconclusive (PROBE_INCONCLUSIVE), never a
/// pass. Work is spread over `jobs` workers with db::fan_out; the error is the fan-out's (exit
/// 8/7/130) when tables could not be probed. The login must be able to SET ROLE to the
/// application role (configuration error otherwise).
Result<void> probe(Report& report, const Catalog& cat, const Config& cfg,
                   const ProbeOptions& options, db::ConnectionSource& source,
                   db::ConnectionSource& fresh, Clock& clock, const std::atomic<bool>& cancel,
                   const FanOutEventSink& events);

// ---- data checks ----------------------------------------------------------------------------

/// `audit data`: rows with a NULL tenant id, the same phone number in several tenants, rows
/// referencing another tenant's rows through foreign keys that omit the tenant column, and
/// numbers or agents of deleted tenants. Set-based (one statement per family); the login must
/// bypass RLS (configuration error otherwise: it would see nothing and report clean).
Result<void> check_data(Report& report, db::Connection& conn, const Catalog& cat,
                        const Config& cfg);

// ---- runs -----------------------------------------------------------------------------------

/// One audit run: what it read and what it found.
struct Run {
  Catalog catalog;
  Report report;
};
/// `audit rls` without the probe: the catalog, every static check and (with `data`) the data
/// checks; the report's elapsed time is measured with `clock`.
Result<Run> run_static(db::Connection& conn, const Config& cfg, bool data, Clock& clock);
/// `audit data`: the catalog and the data checks only.
Result<Run> run_data(db::Connection& conn, const Config& cfg, Clock& clock);

// ---- results --------------------------------------------------------------------------------

/// Fingerprints, the configuration's severity overrides and allowlist, baseline marking and the
/// sort order; call once after every check ran.
void finalize(Report& report, const std::optional<std::set<std::string>>& baseline);
/// The fingerprints of a baseline file: the JSON report of an earlier run (`-o json` or
/// `--format json`) or a SARIF file of one. Anything else is a usage error.
Result<std::set<std::string>> parse_baseline(const std::string& text, const std::string& path);
/// Findings that fail the run: at or above `fail_on` and not in the baseline.
std::size_t failing(const Report& report, Severity fail_on);

/// The JSON document of the report (snake_case keys).
nlohmann::json to_json(const Report& report);
/// SARIF 2.1.0 (one run; rules for every check; results with logical locations).
std::string to_sarif(const Report& report, const std::string& tool_version);
/// JUnit XML: one test suite per check family, one test case per finding (a <failure> when it
/// fails the run) and one passing case per check without findings.
std::string to_junit(const Report& report, std::optional<Severity> fail_on);
/// The human report: header (what was configured), findings table, probe summary, totals.
std::string to_text(const Report& report, std::optional<Severity> fail_on, bool color);
/// SQL for the mechanical fixes (enable/force RLS, the canonical policy, the guard trigger, NOT
/// NULL, policy roles), one transaction; a comment per finding that needs a human.
std::string fix_sql(const Report& report);

} // namespace crm::audit
