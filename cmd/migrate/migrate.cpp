#include "cmd/migrate/commands.hpp"

namespace crm::cmd {

void add_common_flags(CLI::App* app, MigrateCommon& c) {
  app->add_option("--migrations-dir", c.migrations_dir,
                  "Directory with global/ and tenant/ (default: profile migrations_dir, then the "
                  "bundled templates/migrations)");
  app->add_option("--lock-timeout", c.lock_timeout,
                  "How long to wait for another migrate run's lock (e.g. 10s)");
}

void register_migrate(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "migrate",
      {"Versioned schema migrations over the shared schema and every tenant schema",
       "Two tracks: global/ (shared schema) and tenant/ (applied to public for row-level tenants "
       "and to each org_<uuid> schema). State per (schema, version) commits with the DDL, so a "
       "rerun after any crash continues where it stopped. Locks are session-level try-locks with "
       "a bounded wait: one coordinator lock plus one per tenant schema.",
       {"crmctl migrate status", "crmctl migrate plan", "crmctl migrate up --jobs 8 --canary 5",
        "crmctl migrate verify"}});
  noun->require_subcommand(1);
  register_migrate_status(*noun, ctx);
  register_migrate_plan(*noun, ctx);
  register_migrate_up(*noun, ctx);
  register_migrate_down(*noun, ctx);
  register_migrate_verify(*noun, ctx);
  register_migrate_repair(*noun, ctx);
  register_migrate_new(*noun, ctx);
}

} // namespace crm::cmd
