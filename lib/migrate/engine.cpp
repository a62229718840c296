// Applying migrations: state, locks, fan-out.
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "migrate/migrate.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace crm::migrate {
namespace {

constexpr std::int32_t k_lock_space = 0x43524d31;
const char* track_name(Track t) {
  return t == Track::global ? "global" : "tenant";
}
std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + "ms";
}
std::string base(const std::string& f) {
  return std::filesystem::path(f).filename().string();
}

struct Applied {
  std::string status;
  std::string checksum;
  int statements_done = 0;
  int attempt = 0;
};
using AppliedMap = std::map<std::string, Applied>; // version -> state

Result<bool> state_tables_exist(db::Connection& c) {
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT to_regclass('crm.schema_migrations') IS NOT NULL AS e"));
  return r.get(0, "e") == "t";
}

Result<AppliedMap> applied_for(db::Connection& c, const std::string& schema, Track track) {
  AppliedMap m;
  CRM_TRY_ASSIGN(bool exists, state_tables_exist(c));
  if (!exists) return m;
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT version, status, checksum, statements_done, attempt "
                                "FROM crm.schema_migrations WHERE schema_name = $1 AND track = $2",
                                {schema, track_name(track)}));
  for (std::size_t i = 0; i < r.size(); ++i)
    m[r.get(i, "version")] = {r.get(i, "status"), r.get(i, "checksum"),
                              std::stoi(r.get(i, "statements_done")),
                              std::stoi(r.get(i, "attempt"))};
  return m;
}

std::string search_path_for(const std::string& schema) {
  return schema == "public" ? "public, crm" : db::quote_ident(schema) + ", public, crm";
}

const char* k_upsert_applied =
    "INSERT INTO crm.schema_migrations (schema_name, track, version, name, checksum, status, "
    "  applied_at, duration_ms, error, sqlstate, attempt, run_id, statements_done) "
    "VALUES ($1, $2, $3, $4, $5, 'applied', now(), $6::bigint, NULL, NULL, 1, $7::uuid, $8::int) "
    "ON CONFLICT (schema_name, track, version) DO UPDATE SET status = 'applied', checksum = "
    "EXCLUDED.checksum, "
    "  applied_at = now(), duration_ms = EXCLUDED.duration_ms, error = NULL, sqlstate = NULL, "
    "  attempt = crm.schema_migrations.attempt + 1, run_id = EXCLUDED.run_id, "
    "  statements_done = EXCLUDED.statements_done, name = EXCLUDED.name";

Result<void> record_failure(db::Connection& c, const std::string& schema, const Migration& m,
                            const std::string& run_id, const Error& e) {
  auto r = c.exec(
      "INSERT INTO crm.schema_migrations (schema_name, track, version, name, checksum, status, "
      "  error, sqlstate, attempt, run_id) VALUES ($1, $2, $3, $4, $5, 'failed', $6, $7, 1, "
      "$8::uuid) "
      "ON CONFLICT (schema_name, track, version) DO UPDATE SET "
      "  status = CASE WHEN crm.schema_migrations.status = 'applied' THEN 'applied' "
      "                WHEN crm.schema_migrations.status = 'running' THEN 'running' ELSE 'failed' "
      "END, "
      "  error = EXCLUDED.error, sqlstate = EXCLUDED.sqlstate, "
      "  attempt = crm.schema_migrations.attempt + 1, run_id = EXCLUDED.run_id",
      {schema, track_name(m.track), m.version, m.name, m.checksum, e.message,
       e.sqlstate.empty() ? db::Value{} : db::Value{e.sqlstate}, run_id});
  if (!r) return std::move(r).error();
  return {};
}

} // namespace

Result<bool> can_run_as_owner(db::Tx& tx, const std::string& schema) {
  // Objects belong to crm_owner when the login may become it and it may create in the schema
  // (a database migrated by another tool keeps its own ownership).
  CRM_TRY_ASSIGN(auto r,
                 tx.exec("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_owner' "
                         "AND pg_has_role(current_user, oid, 'MEMBER') "
                         "AND has_schema_privilege(oid, $1, 'CREATE')) AS ok",
                         {schema}));
  return r.get(0, "ok") == "t";
}

namespace {

// Runs the up part of a transactional file and its state row in one transaction.
Result<void> apply_transactional(db::Connection& c, const std::string& schema, const Migration& m,
                                 const std::string& run_id, Clock& clock) {
  auto start = clock.steady_now();
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY(tx->exec(
      "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true), "
      "set_config('search_path', $3, true)",
      {ms_text(m.lock_timeout), ms_text(m.statement_timeout), search_path_for(schema)}));
  bool as_owner = false;
  if (!m.run_as_login) {
    CRM_TRY_ASSIGN(as_owner, can_run_as_owner(*tx, schema));
    if (as_owner) CRM_TRY(tx->exec("SET LOCAL ROLE crm_owner"));
  }
  if (auto r = tx->exec_script(m.up_sql); !r)
    return std::move(r).error().with_context(base(m.file) + " in schema " + schema);
  if (as_owner) CRM_TRY(tx->exec("RESET ROLE"));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start).count();
  CRM_TRY(tx->exec(k_upsert_applied, {schema, track_name(m.track), m.version, m.name, m.checksum,
                                      std::to_string(ms), run_id, "0"}));
  return tx->commit();
}

// A CREATE INDEX CONCURRENTLY statement's index name, if any.
std::optional<std::string> cic_index_name(const std::string& stmt) {
  static const std::regex k_cic(
      R"re(^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?"?([A-Za-z_][\w$]*)"?)re",
      std::regex::icase);
  std::smatch sm;
  if (std::regex_search(stmt, sm, k_cic)) return sm[1].str();
  return std::nullopt;
}

// Non-transactional file: per-statement progress, resume at the next statement, rebuild an
// INVALID index left by a failed CREATE INDEX CONCURRENTLY.
Result<void> apply_nontransactional(db::Connection& c, const std::string& schema,
                                    const Migration& m, const std::string& run_id, int done_before,
                                    Clock& clock) {
  auto start = clock.steady_now();
  auto stmts = split_statements(m.up_sql);
  CRM_TRY(
      c.exec("INSERT INTO crm.schema_migrations (schema_name, track, version, name, checksum, "
             "status, attempt, "
             "  run_id, statements_done) VALUES ($1, $2, $3, $4, $5, 'running', 0, $6::uuid, 0) "
             "ON CONFLICT (schema_name, track, version) DO UPDATE SET status = 'running', run_id = "
             "EXCLUDED.run_id",
             {schema, track_name(m.track), m.version, m.name, m.checksum, run_id}));
  CRM_TRY(
      c.exec("SELECT set_config('search_path', $1, false), set_config('lock_timeout', $2, false), "
             "set_config('statement_timeout', $3, false)",
             {search_path_for(schema), ms_text(m.lock_timeout), ms_text(m.statement_timeout)}));
  auto reset = [&] {
    (void)c.exec("RESET search_path; RESET lock_timeout; RESET statement_timeout");
  };
  for (std::size_t i = static_cast<std::size_t>(done_before); i < stmts.size(); ++i) {
    if (auto idx = cic_index_name(stmts[i])) {
      auto inv = c.exec("SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                        "JOIN pg_namespace n ON n.oid = i.relnamespace "
                        "WHERE n.nspname = $1 AND i.relname = $2 AND NOT x.indisvalid",
                        {schema, *idx});
      if (inv && !inv->empty())
        CRM_TRY(c.exec_script("DROP INDEX CONCURRENTLY IF EXISTS " + db::quote_ident(schema) + "." +
                              db::quote_ident(*idx)));
    }
    if (auto r = c.exec_script(stmts[i]); !r) {
      reset();
      return std::move(r).error().with_context(base(m.file) + " statement " +
                                               std::to_string(i + 1) + " in schema " + schema);
    }
    CRM_TRY(c.exec("UPDATE crm.schema_migrations SET statements_done = $3::int "
                   "WHERE schema_name = $1 AND track = $4 AND version = $2",
                   {schema, m.version, std::to_string(i + 1), track_name(m.track)}));
  }
  reset();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start).count();
  CRM_TRY(c.exec(k_upsert_applied, {schema, track_name(m.track), m.version, m.name, m.checksum,
                                    std::to_string(ms), run_id, std::to_string(stmts.size())}));
  return {};
}

Result<void> apply_one(db::Connection& c, const std::string& schema, const Migration& m,
                       const std::string& run_id, const Applied* prior, Clock& clock) {
  if (m.tx == TxMode::none)
    return apply_nontransactional(c, schema, m, run_id,
                                  prior && prior->status != "applied" ? prior->statements_done : 0,
                                  clock);
  std::chrono::milliseconds backoff{200};
  for (int attempt = 0;; ++attempt) {
    auto r = apply_transactional(c, schema, m, run_id, clock);
    if (r || r.error().sqlstate != "55P03" || attempt >= 3) return r;
    clock.sleep_for(backoff); // lock_timeout hit: the table was busy; try again
    backoff *= 2;
  }
}

// The files still to apply in one schema, in order; errors on out-of-order files.
Result<std::vector<const Migration*>> pending(const std::vector<Migration>& files,
                                              const AppliedMap& applied, const std::string& schema,
                                              const RunOptions& opts) {
  std::string max_applied;
  for (const auto& [v, a] : applied)
    if (a.status == "applied" && v.rfind("R__", 0) != 0) max_applied = std::max(max_applied, v);
  std::vector<const Migration*> out;
  for (const auto& m : files) {
    auto it = applied.find(m.version);
    bool done = it != applied.end() && it->second.status == "applied";
    if (m.repeatable) {
      if (!opts.to_version.empty()) continue;
      if (!done || it->second.checksum != m.checksum) out.push_back(&m);
      continue;
    }
    if (done) continue;
    if (!opts.to_version.empty() && m.version > opts.to_version) continue;
    if (m.version < max_applied && !opts.allow_out_of_order)
      return make_error(ErrorKind::conflict, "out-of-order migration " + base(m.file) +
                                                 " in schema " + schema + " (older than applied " +
                                                 max_applied +
                                                 "): rename it or pass --allow-out-of-order");
    out.push_back(&m);
  }
  return out;
}

// Applies the pending files of one track to one schema.
SchemaOutcome run_schema(db::Connection& c, const std::string& schema,
                         const std::vector<Migration>& files, Track track, const RunOptions& opts,
                         const std::string& run_id, Clock& clock, RunReport* dry) {
  SchemaOutcome o;
  o.schema = schema;
  auto start = clock.steady_now();
  auto applied = applied_for(c, schema, track);
  if (!applied) {
    o.failed = true;
    o.error = applied.error().message;
    o.kind = applied.error().kind;
    return o;
  }
  auto todo = pending(files, *applied, schema, opts);
  if (!todo) {
    o.failed = true;
    o.error = todo.error().message;
    o.kind = todo.error().kind;
    return o;
  }
  for (const Migration* m : *todo) {
    if (dry) {
      dry->plan.push_back((track == Track::global ? std::string("global") : schema) + " " +
                          m->version + " " + base(m->file) + " (" +
                          (m->tx == TxMode::none ? "no transaction" : "transaction") + ")");
      o.applied.push_back(m->version);
      continue;
    }
    auto it = applied->find(m->version);
    auto r = apply_one(c, schema, *m, run_id, it == applied->end() ? nullptr : &it->second, clock);
    if (!r) {
      o.failed = true;
      o.failed_version = m->version;
      o.error = r.error().full_message();
      o.sqlstate = r.error().sqlstate;
      o.kind = r.error().kind;
      (void)record_failure(c, schema, *m, run_id, r.error());
      break;
    }
    o.applied.push_back(m->version);
  }
  o.ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start).count();
  return o;
}

Result<void> start_run(db::Connection& c, const std::string& run_id, const std::string& command,
                       const RunOptions& opts) {
  // The session's pid and start time tell a later run whether this one is still alive.
  return c.exec("INSERT INTO crm.migration_runs (run_id, command, actor, status, args, "
                "  backend_pid, backend_start) "
                "VALUES ($1::uuid, $2, $3, 'running', $4::jsonb, pg_backend_pid(), "
                "  (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()))",
                {run_id, command, opts.actor,
                 std::string("{\"to\":\"") + opts.to_version +
                     "\",\"jobs\":" + std::to_string(opts.jobs) + "}"})
                 .ok()
             ? Result<void>{}
             : make_error(ErrorKind::unexpected, "cannot record migration run");
}

void finish_run(db::Connection& c, const std::string& run_id, const RunReport& rep) {
  (void)c.exec("UPDATE crm.migration_runs SET finished_at = now(), status = $2, applied = $3::int, "
               "failed = $4::int WHERE run_id = $1::uuid",
               {run_id,
                rep.interrupted            ? "interrupted"
                : !rep.unavailable.empty() ? "unavailable"
                : rep.failed_count()       ? "partial"
                                           : "ok",
                std::to_string(rep.applied_count()), std::to_string(rep.failed_count())});
}

// Runs left 'running' by a session that is gone (killed, crashed, lost its connection) become
// 'abandoned'. Called under the coordinator lock, which every live run holds: a 'running' row
// whose session still exists would be a bug, but it is left alone all the same.
Result<std::vector<std::string>> close_abandoned_runs(db::Connection& c) {
  CRM_TRY_ASSIGN(
      auto r, c.exec("UPDATE crm.migration_runs r SET status = 'abandoned', finished_at = now() "
                     "WHERE r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a "
                     "  WHERE a.pid = r.backend_pid AND a.backend_start = r.backend_start) "
                     "RETURNING r.run_id::text AS run_id"));
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < r.size(); ++i)
    ids.push_back(r.get(i, "run_id"));
  return ids;
}

// A session-level advisory lock held on a pooled connection: released when the scope ends, and
// the connection closed instead of pooled if the release fails (nobody may inherit the lock).
class HeldLock {
public:
  HeldLock(db::Lease& lease, db::LockKey key) : m_lease(lease), m_key(std::move(key)) {}
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  ~HeldLock() {
    if (m_held && m_lease && !db::release_lock(*m_lease, m_key)) m_lease.discard();
  }
  Result<void> acquire(std::chrono::milliseconds wait, Clock& clock) {
    CRM_TRY(db::acquire_lock(*m_lease, m_key, wait, clock));
    m_held = true;
    return {};
  }

private:
  db::Lease& m_lease;
  db::LockKey m_key;
  bool m_held = false;
};

db::ItemOutcome item_outcome(const SchemaOutcome& o, const std::string& done_detail) {
  if (!o.failed) return db::ItemOutcome::ok(done_detail);
  return {o.kind == ErrorKind::db_unavailable ? db::ItemStatus::unavailable
                                              : db::ItemStatus::failed,
          o.error, db::LeaseHealth::errored};
}

// The fan-out result folded into the run report.
void absorb(RunReport& rep, const db::FanOutReport& fo, const std::atomic<bool>& stop) {
  for (const auto& t : fo.not_attempted)
    rep.not_attempted.push_back(t.id);
  rep.unavailable = fo.unavailable;
  // A source that could not give a single worker connection leaves no SchemaOutcome behind.
  if (!fo.unavailable.empty() && fo.results.empty())
    rep.schemas.push_back(
        {"(worker)", {}, true, "", fo.unavailable, "", 0, ErrorKind::db_unavailable});
  rep.interrupted = stop.load() && !fo.not_attempted.empty();
}

// The tenant schemas `wanted` (--tenants) names: each entry is a schema name ("public" or
// "org_<hex>") or a tenant's id or slug (a row tenant lives in public). Every unknown entry is a
// usage error naming them all, before anything is applied; an empty list means every schema.
Result<std::set<std::string>> resolve_selection(db::Connection& c,
                                                const std::vector<std::string>& wanted) {
  std::set<std::string> schemas;
  if (wanted.empty()) return schemas;
  std::map<std::string, std::string> schema_of = {{"public", "public"}};
  CRM_TRY_ASSIGN(auto e, c.exec("SELECT to_regclass('public.organizations') IS NOT NULL AS e"));
  if (e.get(0, "e") == "t") {
    CRM_TRY_ASSIGN(auto r, c.exec("SELECT id::text AS id, slug, coalesce(schema_name, '') AS "
                                  "schema_name FROM public.organizations "
                                  "WHERE status <> 'deleted'"));
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string schema = r.get(i, "schema_name").empty() ? "public" : r.get(i, "schema_name");
      schema_of[r.get(i, "id")] = schema;
      schema_of[r.get(i, "slug")] = schema;
      schema_of[schema] = schema;
    }
  }
  std::vector<std::string> unknown;
  for (const auto& w : wanted) {
    auto it = schema_of.find(w);
    if (it == schema_of.end())
      unknown.push_back("'" + excerpt(w) + "'");
    else
      schemas.insert(it->second);
  }
  if (!unknown.empty())
    return make_error(
        ErrorKind::usage,
        "--tenants names " +
            std::string(unknown.size() == 1 ? "an unknown tenant " : "unknown tenants ") +
            join(unknown) +
            ": give tenant slugs, ids or schema names (see `crmctl tenant list`); "
            "nothing was applied");
  return schemas;
}

} // namespace

std::size_t RunReport::failed_count() const {
  return static_cast<std::size_t>(
      std::count_if(schemas.begin(), schemas.end(), [](const auto& s) { return s.failed; }));
}
std::size_t RunReport::applied_count() const {
  std::size_t n = 0;
  for (const auto& s : schemas)
    n += s.applied.size();
  return n;
}

db::LockKey coordinator_key() {
  return {k_lock_space, "migrate:coordinator"};
}
db::LockKey schema_key(const std::string& schema) {
  return {k_lock_space, "migrate:schema:" + schema};
}

Result<void> ensure_state_tables(db::Connection& c) {
  return c.exec_script(R"SQL(
CREATE SCHEMA IF NOT EXISTS crm;
CREATE TABLE IF NOT EXISTS crm.migration_runs (
  run_id uuid PRIMARY KEY,
  command text NOT NULL,
  actor text NOT NULL,
  status text NOT NULL,
  args jsonb NOT NULL DEFAULT '{}',
  applied int NOT NULL DEFAULT 0,
  failed int NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE TABLE IF NOT EXISTS crm.schema_migrations (
  schema_name text NOT NULL,
  track text NOT NULL CHECK (track IN ('global', 'tenant')),
  version text NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'failed', 'running')),
  applied_at timestamptz,
  duration_ms bigint,
  error text,
  sqlstate text,
  attempt int NOT NULL DEFAULT 0,
  run_id uuid,
  statements_done int NOT NULL DEFAULT 0,
  PRIMARY KEY (schema_name, track, version)
);
ALTER TABLE crm.migration_runs ADD COLUMN IF NOT EXISTS backend_pid int,
  ADD COLUMN IF NOT EXISTS backend_start timestamptz;
)SQL");
}

Result<std::vector<Target>> tenant_targets(db::Connection& c) {
  std::vector<Target> out{{"public", ""}};
  CRM_TRY_ASSIGN(auto e, c.exec("SELECT to_regclass('public.organizations') IS NOT NULL AS e"));
  if (e.get(0, "e") != "t") return out;
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT id::text AS id, schema_name FROM public.organizations "
                                "WHERE isolation = 'schema' AND status <> 'deleted' "
                                "AND schema_name IS NOT NULL ORDER BY created_at, id"));
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get(i, "schema_name"), r.get(i, "id")});
  return out;
}

Result<RunReport> up(const MigrationSet& set, const RunOptions& opts, db::ConnectionSource& source,
                     Clock& clock, const EventSink& events, const std::atomic<bool>& stop) {
  RunReport rep;
  rep.run_id = uuid_v4();
  CRM_TRY_ASSIGN(db::Lease coord, source.acquire());
  // --tenants is resolved before anything is taken or applied.
  CRM_TRY_ASSIGN(auto wanted_schemas, resolve_selection(*coord, opts.tenants));
  HeldLock coordinator(coord, coordinator_key());
  RunReport* dry = opts.dry_run ? &rep : nullptr;
  if (!opts.dry_run) {
    CRM_TRY(coordinator.acquire(opts.lock_timeout, clock));
    CRM_TRY(ensure_state_tables(*coord));
    CRM_TRY_ASSIGN(rep.abandoned_runs, close_abandoned_runs(*coord));
    CRM_TRY(start_run(*coord, rep.run_id, "up", opts));
  }

  // 1. Global track, then the tenant track on public (row-mode tenants), under the coordinator
  // lock.
  SchemaOutcome g =
      run_schema(*coord, "public", set.global, Track::global, opts, rep.run_id, clock, dry);
  g.schema = "global";
  rep.schemas.push_back(g);
  if (g.failed) {
    if (g.kind == ErrorKind::db_unavailable) rep.unavailable = g.error;
    if (!opts.dry_run) finish_run(*coord, rep.run_id, rep);
    return rep;
  }
  CRM_TRY_ASSIGN(auto targets, tenant_targets(*coord));
  std::vector<db::FanOutTarget> chosen;
  for (const auto& t : targets)
    if (opts.tenants.empty() || wanted_schemas.count(t.schema)) chosen.push_back({t.schema, ""});
  if (!opts.tenants.empty() && chosen.empty())
    return make_error(ErrorKind::not_found, "none of the tenants given to --tenants exists");

  // 2. public (row tenants) and the canaries first, then the rest. Public alone is a barrier that
  // stops the run only under --on-error stop; a failed canary always stops it.
  db::FanOutOptions fo;
  fo.jobs = opts.dry_run ? 1 : static_cast<std::size_t>(std::max(1, opts.jobs));
  fo.canary = 1 + static_cast<std::size_t>(std::max(0, opts.canary));
  fo.on_error = opts.stop_on_error ? db::OnError::stop : db::OnError::keep_going;
  fo.after_canary_failure = opts.canary > 0 ? db::OnError::stop : fo.on_error;
  fo.bound = opts.dry_run ? db::JobsBound::as_given : db::JobsBound::free_connections;
  fo.run_id = rep.run_id;
  fo.clock = &clock;
  fo.metrics = opts.metrics;
  fo.run_name = "migrate_up";

  std::mutex mu; // guards rep.schemas and rep.plan while workers run
  auto work = [&](db::Connection& c, const db::FanOutTarget& t) -> db::ItemOutcome {
    SchemaOutcome o;
    if (dry) {
      std::lock_guard lock(mu);
      o = run_schema(c, t.id, set.tenant, Track::tenant, opts, rep.run_id, clock, dry);
    } else if (auto l = db::acquire_lock(c, schema_key(t.id), opts.lock_timeout, clock); !l) {
      o.schema = t.id;
      o.failed = true;
      o.error = l.error().message;
      o.kind = l.error().kind;
    } else {
      o = run_schema(c, t.id, set.tenant, Track::tenant, opts, rep.run_id, clock, nullptr);
      if (auto r = db::release_lock(c, schema_key(t.id)); !r && !o.failed) {
        o.failed = true; // applied, but the session may still hold the lock: report, reset it
        o.error = "applied, but releasing the schema lock failed: " + r.error().message;
        o.kind = r.error().kind;
      }
    }
    auto outcome = item_outcome(o, std::to_string(o.applied.size()) + " applied");
    std::lock_guard lock(mu);
    rep.schemas.push_back(std::move(o));
    return outcome;
  };
  auto result = db::fan_out(chosen, fo, source, stop, events, work);
  absorb(rep, result, stop);

  if (!opts.dry_run) {
    finish_run(*coord, rep.run_id, rep);
  } else {
    std::set<std::string> seen;
    for (const auto* list : {&set.global, &set.tenant})
      for (const auto& m : *list)
        for (const auto& line : rep.plan)
          if (line.find(" " + m.version + " ") != std::string::npos && seen.insert(m.file).second) {
            rep.plan_sql.push_back("-- " + base(m.file) + "\n" + m.up_sql);
            break;
          }
  }
  return rep;
}

Result<RunReport> up(const MigrationSet& set, const RunOptions& opts, ConnectionFactory connect,
                     Clock& clock, const EventSink& events, const std::atomic<bool>& stop) {
  db::FactorySource source(std::move(connect));
  return up(set, opts, source, clock, events, stop);
}

namespace {

// Before `down --to V` reverts anything: every applied version newer than V in the target schemas
// has a file with a down part. The error names each file (or missing file) and its schemas.
Result<void> check_down_parts(db::Connection& c, const std::vector<Migration>& files, Track track,
                              const std::vector<db::FanOutTarget>& targets,
                              const RunOptions& opts) {
  std::set<std::string> schemas;
  for (const auto& t : targets)
    schemas.insert(track == Track::global ? std::string("public") : t.id);
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT schema_name, version FROM crm.schema_migrations "
                                "WHERE track = $1 AND status = 'applied' AND version > $2 "
                                "AND version NOT LIKE 'R\\_\\_%' ORDER BY version, schema_name",
                                {track_name(track), opts.to_version}));
  std::map<std::string, std::vector<std::string>> blocked; // file -> schemas
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::string schema = r.get(i, "schema_name"), v = r.get(i, "version");
    if (!schemas.count(schema)) continue;
    auto it = std::find_if(files.begin(), files.end(),
                           [&](const Migration& m) { return m.version == v; });
    if (it != files.end() && !it->down_sql.empty()) continue;
    std::string file = it == files.end()
                           ? std::string(track_name(track)) + "/" + v + "_*.sql (file missing)"
                           : base(it->file);
    blocked[file].push_back(track == Track::global ? std::string("global") : schema);
  }
  if (blocked.empty()) return {};
  std::string list;
  for (const auto& [file, in] : blocked) {
    std::string where;
    for (std::size_t i = 0; i < in.size() && i < 5; ++i)
      where += (i ? ", " : "") + in[i];
    if (in.size() > 5) where += " and " + std::to_string(in.size() - 5) + " more";
    list += (list.empty() ? "" : "; ") + file + " (applied in " + where + ")";
  }
  return make_error(ErrorKind::conflict,
                    "cannot revert to " + opts.to_version + ": no down part in " + list +
                        ". Nothing was reverted; production policy is fix-forward (write a new "
                        "migration instead, or pass a newer --to)");
}

} // namespace

Result<RunReport> down(const MigrationSet& set, Track track, const RunOptions& opts,
                       db::ConnectionSource& source, Clock& clock, const EventSink& events,
                       const std::atomic<bool>& stop) {
  RunReport rep;
  rep.run_id = uuid_v4();
  CRM_TRY_ASSIGN(db::Lease coord, source.acquire());
  // --tenants is resolved before anything is taken or applied.
  CRM_TRY_ASSIGN(auto wanted_schemas, resolve_selection(*coord, opts.tenants));
  HeldLock coordinator(coord, coordinator_key());
  CRM_TRY_ASSIGN(bool exists, state_tables_exist(*coord));
  if (!exists) return rep;
  if (!opts.dry_run) {
    CRM_TRY(coordinator.acquire(opts.lock_timeout, clock));
    CRM_TRY(ensure_state_tables(*coord));
    CRM_TRY_ASSIGN(rep.abandoned_runs, close_abandoned_runs(*coord));
  }
  std::vector<db::FanOutTarget> targets;
  if (track == Track::global) {
    targets.push_back({"global", ""});
  } else {
    CRM_TRY_ASSIGN(auto all, tenant_targets(*coord));
    for (const auto& t : all)
      targets.push_back({t.schema, ""});
  }
  const auto& files = track == Track::global ? set.global : set.tenant;
  // --to: every version on the way down, in every target schema, must have a down part, or
  // nothing is reverted anywhere (no schema is left half way).
  if (!opts.to_version.empty()) CRM_TRY(check_down_parts(*coord, files, track, targets, opts));
  if (!opts.dry_run) CRM_TRY(start_run(*coord, rep.run_id, "down", opts));

  std::mutex mu; // guards rep while workers run
  // Reverts one schema's newest version (or every version newer than --to), newest first.
  auto revert = [&](db::Connection& c, const std::string& schema, SchemaOutcome& o) {
    auto applied = applied_for(c, schema, track);
    if (!applied) {
      o.failed = true;
      o.error = applied.error().message;
      o.kind = applied.error().kind;
      return;
    }
    std::vector<std::string> versions;
    for (const auto& [v, a] : *applied)
      if (a.status == "applied" && v.rfind("R__", 0) != 0) versions.push_back(v);
    std::sort(versions.rbegin(), versions.rend());
    for (const auto& v : versions) {
      if (opts.to_version.empty() ? !o.applied.empty() : v <= opts.to_version) break;
      auto it = std::find_if(files.begin(), files.end(),
                             [&](const Migration& m) { return m.version == v; });
      if (it == files.end() || it->down_sql.empty()) {
        o.failed = true;
        o.failed_version = v;
        o.kind = ErrorKind::conflict;
        o.error = "version " + v + " has no down part (" +
                  (it == files.end() ? std::string("file missing") : base(it->file)) +
                  "): production policy is fix-forward";
        return;
      }
      if (opts.dry_run) {
        std::lock_guard lock(mu);
        rep.plan.push_back(o.schema + " " + v + " " + base(it->file) + " (down)");
        rep.plan_sql.push_back("-- down " + base(it->file) + "\n" + it->down_sql);
        o.applied.push_back(v);
        continue;
      }
      auto r = [&]() -> Result<void> {
        CRM_TRY_ASSIGN(auto tx, c.admin());
        CRM_TRY(tx->exec(
            "SELECT set_config('search_path', $1, true), set_config('lock_timeout', $2, true)",
            {search_path_for(schema), ms_text(it->lock_timeout)}));
        CRM_TRY(tx->exec_script(it->down_sql));
        CRM_TRY(tx->exec("DELETE FROM crm.schema_migrations WHERE schema_name = $1 AND track = $3 "
                         "AND version = $2",
                         {schema, v, track_name(track)}));
        return tx->commit();
      }();
      if (!r) {
        o.failed = true;
        o.failed_version = v;
        o.error = r.error().message;
        o.sqlstate = r.error().sqlstate;
        o.kind = r.error().kind;
        return;
      }
      o.applied.push_back(v);
    }
  };
  auto work = [&](db::Connection& c, const db::FanOutTarget& t) -> db::ItemOutcome {
    SchemaOutcome o;
    o.schema = t.id;
    auto start = clock.steady_now();
    const std::string schema = track == Track::global ? "public" : t.id;
    if (opts.dry_run || track == Track::global) {
      revert(c, schema, o); // the global track runs under the coordinator lock alone
    } else if (auto l = db::acquire_lock(c, schema_key(schema), opts.lock_timeout, clock); !l) {
      o.failed = true;
      o.error = l.error().message;
      o.kind = l.error().kind;
    } else {
      revert(c, schema, o);
      if (auto r = db::release_lock(c, schema_key(schema)); !r && !o.failed) {
        o.failed = true;
        o.error = "reverted, but releasing the schema lock failed: " + r.error().message;
        o.kind = r.error().kind;
      }
    }
    o.ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start).count();
    std::string detail = o.applied.empty() ? std::string("nothing to revert") : "reverted";
    for (const auto& v : o.applied)
      detail += " " + v;
    auto outcome = item_outcome(o, detail);
    std::lock_guard lock(mu);
    rep.schemas.push_back(std::move(o));
    return outcome;
  };

  db::FanOutOptions fo;
  fo.jobs = opts.dry_run ? 1 : static_cast<std::size_t>(std::max(1, opts.jobs));
  fo.on_error = opts.stop_on_error ? db::OnError::stop : db::OnError::keep_going;
  fo.bound = opts.dry_run ? db::JobsBound::as_given : db::JobsBound::free_connections;
  fo.run_id = rep.run_id;
  fo.clock = &clock;
  fo.metrics = opts.metrics;
  fo.run_name = "migrate_down";
  auto result = db::fan_out(targets, fo, source, stop, events, work);
  absorb(rep, result, stop);
  if (!opts.dry_run) finish_run(*coord, rep.run_id, rep);
  return rep;
}

Result<RunReport> down(const MigrationSet& set, Track track, const RunOptions& opts,
                       ConnectionFactory connect, Clock& clock, const EventSink& events,
                       const std::atomic<bool>& stop) {
  db::FactorySource source(std::move(connect));
  return down(set, track, opts, source, clock, events, stop);
}

Result<std::vector<Drift>> verify(db::Connection& c, const MigrationSet& set) {
  std::vector<Drift> out;
  CRM_TRY_ASSIGN(bool exists, state_tables_exist(c));
  if (!exists) return out;
  CRM_TRY_ASSIGN(auto r,
                 c.exec("SELECT schema_name, track, version, checksum FROM crm.schema_migrations "
                        "WHERE status = 'applied' ORDER BY track, version, schema_name"));
  std::map<std::pair<std::string, std::string>, Drift> by;
  for (std::size_t i = 0; i < r.size(); ++i) {
    Track t = r.get(i, "track") == "global" ? Track::global : Track::tenant;
    const auto& files = t == Track::global ? set.global : set.tenant;
    std::string v = r.get(i, "version");
    std::string schema = t == Track::global ? "global" : r.get(i, "schema_name");
    auto it = std::find_if(files.begin(), files.end(),
                           [&](const Migration& m) { return m.version == v; });
    std::string kind;
    if (it == files.end())
      kind = "missing";
    else if (it->checksum != r.get(i, "checksum") && !it->repeatable)
      kind = "changed";
    else
      continue;
    auto& d = by[{kind, std::string(track_name(t)) + "/" + v}];
    d.kind = kind;
    d.version = v;
    d.file = it == files.end() ? std::string(track_name(t)) + "/" + v + "_*.sql" : it->file;
    d.schemas.push_back(schema);
  }
  for (auto& [k, d] : by)
    out.push_back(std::move(d));
  return out;
}

Result<long long> repair(db::Connection& c, const MigrationSet& set, const std::string& actor,
                         bool dry_run) {
  CRM_TRY_ASSIGN(bool exists, state_tables_exist(c));
  if (!exists) return 0LL;
  long long changed = 0;
  CRM_TRY_ASSIGN(auto tx, c.admin());
  for (const auto* list : {&set.global, &set.tenant})
    for (const auto& m : *list) {
      CRM_TRY_ASSIGN(
          auto r,
          tx->exec(dry_run
                       ? "SELECT 1 FROM crm.schema_migrations WHERE track = $1 AND version = $2 "
                         "AND status = 'applied' AND checksum <> $3"
                       : "UPDATE crm.schema_migrations SET checksum = $3 WHERE track = $1 "
                         "AND version = $2 AND status = 'applied' AND checksum <> $3",
                   {track_name(m.track), m.version, m.checksum}));
      changed += dry_run ? static_cast<long long>(r.size()) : r.affected;
    }
  CRM_TRY_ASSIGN(auto f,
                 tx->exec(dry_run ? "SELECT 1 FROM crm.schema_migrations WHERE status = 'failed'"
                                  : "DELETE FROM crm.schema_migrations WHERE status = 'failed'"));
  changed += dry_run ? static_cast<long long>(f.size()) : f.affected;
  if (dry_run) return changed;
  std::string run_id = uuid_v4();
  CRM_TRY(tx->exec(
      "INSERT INTO crm.migration_runs (run_id, command, actor, status, applied, finished_at) "
      "VALUES ($1::uuid, 'repair', $2, 'ok', $3::int, now())",
      {run_id, actor, std::to_string(changed)}));
  CRM_TRY(db::write_audit(*tx, {actor, "", "migrate.repair", "crm.schema_migrations",
                                "{\"rows\":" + std::to_string(changed) + "}", "ok", ""}));
  CRM_TRY(tx->commit());
  return changed;
}

} // namespace crm::migrate
