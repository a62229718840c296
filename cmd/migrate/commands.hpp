// `crmctl migrate status | plan | up | down | verify | repair | new` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {

/// Flags shared by the migrate verbs.
struct MigrateCommon {
  std::string migrations_dir;
  std::string lock_timeout = "10s";
};
struct MigrateStatusOptions {
  MigrateCommon common;
};
struct MigratePlanOptions {
  MigrateCommon common;
};
struct MigrateUpOptions {
  MigrateCommon common;
  std::string to;
  int jobs = 4;
  int canary = 0;
  std::string tenants = "all";
  std::string on_error = "stop";
  bool allow_out_of_order = false;
};
struct MigrateDownOptions {
  MigrateCommon common;
  std::string to;
  std::string track = "tenant";
};
struct MigrateVerifyOptions {
  MigrateCommon common;
};
struct MigrateRepairOptions {
  MigrateCommon common;
};
struct MigrateNewOptions {
  MigrateCommon common;
  std::string name;
  std::string track = "tenant";
};

void register_migrate(CLI::App& root, Context& ctx);
void register_migrate_status(CLI::App& noun, Context& ctx);
void register_migrate_plan(CLI::App& noun, Context& ctx);
void register_migrate_up(CLI::App& noun, Context& ctx);
void register_migrate_down(CLI::App& noun, Context& ctx);
void register_migrate_verify(CLI::App& noun, Context& ctx);
void register_migrate_repair(CLI::App& noun, Context& ctx);
void register_migrate_new(CLI::App& noun, Context& ctx);
Result<void> run_migrate_status(const MigrateStatusOptions& o, Deps& d);
Result<void> run_migrate_plan(const MigratePlanOptions& o, Deps& d);
Result<void> run_migrate_up(const MigrateUpOptions& o, Deps& d);
Result<void> run_migrate_down(const MigrateDownOptions& o, Deps& d);
Result<void> run_migrate_verify(const MigrateVerifyOptions& o, Deps& d);
Result<void> run_migrate_repair(const MigrateRepairOptions& o, Deps& d);
Result<void> run_migrate_new(const MigrateNewOptions& o, Deps& d);

/// Binds --migrations-dir and --lock-timeout.
void add_common_flags(CLI::App* app, MigrateCommon& c);

} // namespace crm::cmd
