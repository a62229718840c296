#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_repair(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateRepairOptions>();
  auto* app = add_command(
      noun, ctx, "repair",
      {"Accept the current files: re-stamp checksums and clear failed attempts (audited)",
       "Use after an intentional edit of an applied file (comments, formatting). Writes an audit "
       "row. Does not run any migration SQL.",
       {"crmctl migrate repair --dry-run", "crmctl migrate repair --yes"}});
  add_common_flags(app, o->common);
  on_run(app, ctx, o, run_migrate_repair, Effect::writes);
}

Result<void> run_migrate_repair(const MigrateRepairOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto* c, d.db());
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm("re-stamp migration checksums"));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  std::string actor = "crmctl";
  if (auto u = d.env()("USER")) actor = "crmctl:" + *u;
  CRM_TRY_ASSIGN(long long n, migrate::repair(*c, set, actor, d.global().dry_run));
  d.print({{"dry_run", d.global().dry_run}, {"rows", n}});
  return {};
}

} // namespace crm::cmd
