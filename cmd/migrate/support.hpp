// Helpers shared by the migrate verbs (cmd layer only).
#pragma once
#include "cmd/app.hpp"
#include "cmd/doctor/commands.hpp"
#include "cmd/migrate/commands.hpp"
#include "core/progress.hpp"
#include "core/units.hpp"
#include "db/pool.hpp"
#include "migrate/migrate.hpp"

namespace crm::cmd::migrate_support {

inline Result<migrate::MigrationSet> load(const MigrateCommon& c, Deps& d) {
  return migrate::load_migrations(resolve_migrations_dir(c.migrations_dir, d));
}

inline Result<std::chrono::milliseconds> lock_wait(const MigrateCommon& c) {
  return parse_duration(c.lock_timeout);
}

/// Fan-out events of a run: a progress bar when stderr is a TTY, NDJSON lines otherwise (through
/// the logger's lock, so they never interleave with log lines); nothing with -q.
migrate::EventSink event_sink(Deps& d);

/// The connection source of a run: the process's pool. Notes on stderr when --jobs exceeds what the
/// pool can give (one session coordinates, the others are workers).
Result<db::ConnectionSource*> source(Deps& d, int jobs);

/// Renders a run report; returns interrupted (130) when stopped, db_unavailable (7) when the
/// database went away (with what was not attempted), partial (8) when tenants failed.
Result<void> finish(const migrate::RunReport& rep, Deps& d, const char* verb);

} // namespace crm::cmd::migrate_support
