// Helpers shared by the migrate verbs (cmd layer only).
#pragma once
#include "cmd/app.hpp"
#include "cmd/doctor/commands.hpp"
#include "cmd/migrate/commands.hpp"
#include "core/progress.hpp"
#include "core/units.hpp"
#include "migrate/migrate.hpp"

namespace crm::cmd::migrate_support {

inline Result<migrate::MigrationSet> load(const MigrateCommon& c, Deps& d) {
  return migrate::load_migrations(resolve_migrations_dir(c.migrations_dir, d));
}

inline Result<std::chrono::milliseconds> lock_wait(const MigrateCommon& c) {
  return parse_duration(c.lock_timeout);
}

/// NDJSON events on stderr when it is not a TTY; a progress bar when it is.
migrate::EventSink event_sink(Deps& d, std::shared_ptr<Progress>& bar);

/// Renders a run report; returns partial (8) when tenants failed, interrupted (130) when stopped.
Result<void> finish(const migrate::RunReport& rep, Deps& d, const char* verb);

} // namespace crm::cmd::migrate_support
