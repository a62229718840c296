#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantListOptions>();
  auto* app =
      add_command(noun, ctx, "list",
                  {"List tenants",
                   "Active and suspended tenants by default; --status deleted shows deleted ones.",
                   {"crmctl tenant list", "crmctl tenant list --status suspended -o json",
                    "crmctl tenant list --search dental --isolation schema"}});
  app->add_option("--status", o->status, "active, suspended or deleted")
      ->check(CLI::IsMember({"active", "suspended", "deleted"}));
  app->add_option("--isolation", o->isolation, "row or schema")
      ->check(CLI::IsMember({"row", "schema"}));
  app->add_option("--search", o->search, "Substring of the name or slug");
  on_run(app, ctx, o, run_tenant_list, Effect::reads);
}

Result<void> run_tenant_list(const TenantListOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto tx, c->admin());
  CRM_TRY_ASSIGN(auto rows, tenant::list(*tx, {o.status, o.isolation, o.search}));
  d.print(json_list(rows),
          {{"slug", "name", "status", "isolation", "timezone", "currency", "id", "created_at"}});
  return {};
}

} // namespace crm::cmd
