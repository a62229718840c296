// The migration engine: versioned SQL with checksums, per-(schema, version) state committed with
// the DDL, session-level try-locks, fan-out over tenant schemas, resumable non-transactional files.
// See shared/docs/migrations.md.
#pragma once
#include "core/clock.hpp"
#include "core/io.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "db/fan_out.hpp"
#include "db/pool.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crm {
class Metrics;
}

namespace crm::migrate {

enum class Track { global, tenant };
enum class TxMode { transactional, none };

/// One migration file, parsed.
struct Migration {
  Track track = Track::global;
  std::string version; // "20260101000000" or "R__name" for repeatable files
  std::string name;    // "create_calls"
  std::string file;    // path
  bool repeatable = false;
  TxMode tx = TxMode::transactional;
  std::string up_sql;
  std::string down_sql; // empty when the file declares no down part
  std::string checksum; // sha256 hex over normalised bytes
  std::chrono::milliseconds lock_timeout{3000};
  std::chrono::milliseconds statement_timeout{300'000};
  bool run_as_login = false; // -- crmctl:role=login (data migrations that must bypass RLS)
};

/// Both tracks of a migrations directory.
struct MigrationSet {
  std::string dir;
  std::vector<Migration> global;
  std::vector<Migration> tenant;
};

/// Strips a UTF-8 BOM and turns CRLF into LF (what checksums are computed over).
std::string normalise(std::string_view bytes);
/// SHA-256 hex of the normalised bytes.
std::string checksum(std::string_view bytes);
/// Parses one file's text (directives, down part).
Result<Migration> parse_migration(const std::string& filename, const std::string& text,
                                  Track track);
/// Loads `dir/global` and `dir/tenant`. Missing dir or unreadable file: config error (10);
/// a .sql name out of pattern: usage error (2) naming the file.
Result<MigrationSet> load_migrations(const std::string& dir);
/// Splits SQL into statements (quotes, dollar quotes and comments respected).
std::vector<std::string> split_statements(const std::string& sql);

/// A lint finding of `migrate plan`.
struct LintFinding {
  std::string severity; // high | medium | info
  std::string code;     // TENANT_TABLE_NO_ORG_ID, ...
  std::string file;
  std::string message;
};
/// Lints one file (tenant-table invariants, CONCURRENTLY, NOT NULL without default, drops).
std::vector<LintFinding> lint(const Migration& m);

/// Creates the engine's own state tables (schema crm) if missing. Idempotent.
Result<void> ensure_state_tables(db::Connection& c);

/// A target of the tenant track: "public" (row-mode tenants) or "org_<hex>" (schema tenants).
struct Target {
  std::string schema;
  std::string org_id; // empty for public
};
/// The schemas the tenant track applies to: public, then every schema tenant not deleted.
Result<std::vector<Target>> tenant_targets(db::Connection& c);

/// Options of up/down/verify runs.
struct RunOptions {
  std::string to_version; // apply up to and including this version ("" = all)
  int jobs = 4;           // fan-out workers (bounded by the source's spare connections and by
                          // the server's free max_connections)
  int canary = 0;
  std::vector<std::string> tenants; // org ids, slugs or schema names; empty = all
  bool stop_on_error = true;        // --on-error stop|continue
  std::chrono::milliseconds lock_timeout{10'000};
  bool allow_out_of_order = false;
  bool dry_run = false;
  std::string actor = "crmctl";
  Metrics* metrics = nullptr; // fan-out metrics (run="migrate_up" / "migrate_down")
};

/// Result of one schema in a run.
struct SchemaOutcome {
  std::string schema;
  std::vector<std::string> applied; // versions applied now
  bool failed = false;
  std::string failed_version;
  std::string error;
  std::string sqlstate;
  long long ms = 0;
  ErrorKind kind = ErrorKind::unexpected; // of the failure (db_unavailable: the server went away)
};

struct RunReport {
  std::string run_id;
  std::vector<SchemaOutcome> schemas;
  std::vector<std::string> plan; // dry-run: "schema version file (tx)" lines, in order
  std::vector<std::string> plan_sql;
  bool interrupted = false;
  /// Non-empty when the database became unavailable during the run (exit 7): why.
  std::string unavailable;
  /// Tenant schemas never attempted (stopped by an error, a failed canary, an interrupt or an
  /// unavailable database), in order.
  std::vector<std::string> not_attempted;
  /// Earlier runs found 'running' whose session is gone, closed as 'abandoned' by this run.
  std::vector<std::string> abandoned_runs;
  std::size_t failed_count() const;
  std::size_t applied_count() const;
};

/// Events of a run (db::fan_out's: run_start, item_start, item_done, item_failed, run_done; items
/// are tenant schemas). Rendered by crm::fan_out_renderer.
using EventSink = FanOutEventSink;
/// Opens one session (tests and tools without a pool).
using ConnectionFactory = std::function<Result<std::unique_ptr<db::Connection>>()>;

/// `migrate up`: coordinator lock, close runs left 'running' by a dead session, global track on
/// public, tenant track on public, then db::fan_out over tenant schemas with per-schema locks
/// (public and the canaries first). Failed schemas are listed (the caller maps them to exit 8); a
/// database that went away mid-run sets `unavailable` and lists what was not attempted (exit 7).
/// `stop` is polled between schemas (SIGINT). Connections come from `source` (one coordinates,
/// the others are workers).
Result<RunReport> up(const MigrationSet& set, const RunOptions& opts, db::ConnectionSource& source,
                     Clock& clock, const EventSink& events, const std::atomic<bool>& stop);
/// The same with a fresh connection per worker from `connect`.
Result<RunReport> up(const MigrationSet& set, const RunOptions& opts, ConnectionFactory connect,
                     Clock& clock, const EventSink& events, const std::atomic<bool>& stop);

/// `migrate down`: reverts the newest applied version (or down to, excluding, --to) of the global
/// track or every tenant schema (fanned out like up, with the same events); only files that
/// declare a down part.
Result<RunReport> down(const MigrationSet& set, Track track, const RunOptions& opts,
                       db::ConnectionSource& source, Clock& clock, const EventSink& events,
                       const std::atomic<bool>& stop);
/// The same with a fresh connection per worker from `connect`.
Result<RunReport> down(const MigrationSet& set, Track track, const RunOptions& opts,
                       ConnectionFactory connect, Clock& clock, const EventSink& events,
                       const std::atomic<bool>& stop);

/// Drift: changed (checksum differs) and missing (applied, file gone) per file, with schemas.
struct Drift {
  std::string kind; // changed | missing
  std::string version;
  std::string file;
  std::vector<std::string> schemas;
};
Result<std::vector<Drift>> verify(db::Connection& c, const MigrationSet& set);

/// Re-stamps checksums of applied rows to the files' current ones and clears failed rows; writes
/// an audit row. Returns the number of rows changed.
Result<long long> repair(db::Connection& c, const MigrationSet& set, const std::string& actor,
                         bool dry_run);

/// `migrate status`: global version and a histogram of tenant schemas per version.
struct StatusReport {
  std::string global_version;
  std::size_t global_pending = 0;
  std::vector<std::string> global_pending_files;
  std::string latest_tenant_version;
  std::map<std::string, std::size_t> tenant_histogram; // version ("" = none) -> schemas
  std::size_t tenant_schemas = 0;
  std::size_t tenant_behind = 0;
  std::vector<std::pair<std::string, std::string>> failures; // schema, version: error
};
Result<StatusReport> status(db::Connection& c, const MigrationSet& set);

/// What doctor shows.
struct VersionSummary {
  std::string applied_global;
  std::size_t pending_global = 0;
  std::size_t tenant_schemas = 0;
  std::size_t pending_tenant_schemas = 0;
};
/// Works with no state tables (nothing applied); `dir` may be empty or missing (no pending info).
Result<VersionSummary> schema_version_summary(db::Connection& c, const std::string& dir);

/// `migrate plan`: pending files per target group, with lint findings.
struct PlanItem {
  std::string target; // "global", "tenant:public", "tenant:<n> schemas"
  std::string version;
  std::string file;
  std::string tx;
  std::size_t schemas = 0;
};
struct Plan {
  std::vector<PlanItem> items;
  std::vector<LintFinding> findings;
};
Result<Plan> plan(db::Connection& c, const MigrationSet& set);

/// Applies the whole tenant track to a brand-new, empty schema inside the caller's transaction
/// (tenant provisioning: one step, not a replay across transactions). CONCURRENTLY is dropped
/// (an empty table needs no online build). Records the state rows in the same transaction.
Result<void> provision_schema(db::Tx& tx, const MigrationSet& set, const std::string& schema);

/// `migrate new NAME`: writes an empty timestamped file; returns its path.
Result<std::string> new_file(const std::string& dir, Track track, const std::string& name,
                             TimePoint now);

/// True when files may run as crm_owner in `schema` (the login can SET ROLE to it and it may create
/// there); otherwise they run as the login role.
Result<bool> can_run_as_owner(db::Tx& tx, const std::string& schema);

/// Lock keys (namespace 0x43524d31, "CRM1").
db::LockKey coordinator_key();
db::LockKey schema_key(const std::string& schema);

} // namespace crm::migrate
