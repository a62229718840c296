#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_new(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateNewOptions>();
  auto* app = add_command(
      noun, ctx, "new",
      {"Create an empty timestamped migration file",
       "Writes <dir>/<track>/YYYYMMDDHHMMSS_NAME.sql with the directive and down-part skeleton.",
       {"crmctl migrate new add_call_tags", "crmctl migrate new add_plan_column --track global"}});
  add_common_flags(app, o->common);
  app->add_option("name", o->name, "lower_case_name")->required();
  app->add_option("--track", o->track, "global or tenant")
      ->check(CLI::IsMember({"global", "tenant"}));
  on_run(app, ctx, o, run_migrate_new, Effect::reads);
}

Result<void> run_migrate_new(const MigrateNewOptions& o, Deps& d) {
  std::string dir = resolve_migrations_dir(o.common.migrations_dir, d);
  if (d.global().dry_run) {
    d.print({{"dry_run", true}, {"dir", dir}, {"name", o.name}});
    return {};
  }
  CRM_TRY_ASSIGN(
      std::string path,
      migrate::new_file(dir, o.track == "global" ? migrate::Track::global : migrate::Track::tenant,
                        o.name, d.clock().now()));
  d.print({{"file", path}});
  return {};
}

} // namespace crm::cmd
