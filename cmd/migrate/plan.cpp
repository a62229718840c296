#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_plan(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigratePlanOptions>();
  auto* app = add_command(
      noun, ctx, "plan",
      {"List pending files, their transaction mode, and lint findings",
       "Lints each pending file: a tenant table without org_id, RLS, FORCE or a policy; CREATE "
       "INDEX without CONCURRENTLY; ADD COLUMN NOT NULL without DEFAULT; drops.",
       {"crmctl migrate plan", "crmctl migrate plan -o json"}});
  add_common_flags(app, o->common);
  on_run(app, ctx, o, run_migrate_plan, Effect::reads);
}

Result<void> run_migrate_plan(const MigratePlanOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto p, migrate::plan(*c, set));
  nlohmann::json items = nlohmann::json::array(), findings = nlohmann::json::array();
  for (const auto& i : p.items)
    items.push_back({{"track", i.target},
                     {"version", i.version},
                     {"file", i.file},
                     {"tx", i.tx},
                     {"schemas", i.schemas}});
  for (const auto& f : p.findings)
    findings.push_back(
        {{"severity", f.severity}, {"code", f.code}, {"file", f.file}, {"message", f.message}});
  if (d.format() == Format::table) {
    render(items, Format::table, d.io().out,
           {{"track", "version", "file", "tx", "schemas"}, d.io().color});
    if (!findings.empty()) {
      d.io().out << "\nlint:\n";
      render(findings, Format::table, d.io().out,
             {{"severity", "code", "file", "message"}, d.io().color});
    }
    return {};
  }
  d.print({{"pending", items}, {"findings", findings}});
  return {};
}

} // namespace crm::cmd
