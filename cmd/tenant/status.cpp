#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_suspend_resume(CLI::App& noun, Context& ctx) {
  for (const char* verb : {"suspend", "resume"}) {
    auto o = std::make_shared<TenantStatusOptions>();
    o->status = std::string(verb) == "suspend" ? "suspended" : "active";
    auto* app = add_command(
        noun, ctx, verb,
        std::string(verb) == "suspend"
            ? CommandDoc{"Suspend a tenant: tenant-scoped commands and the daemon refuse it",
                         "Data is kept. `crmctl tenant resume` undoes it.",
                         {"crmctl tenant suspend acme --yes",
                          "crmctl tenant suspend acme --dry-run"}}
            : CommandDoc{"Resume a suspended tenant", "", {"crmctl tenant resume acme"}});
    app->add_option("tenant", o->tenant, "Tenant UUID or slug (or --tenant)");
    on_run(app, ctx, o, run_tenant_status);
  }
}

Result<void> run_tenant_status(const TenantStatusOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, o.tenant));
  if (o.status == "suspended" && !d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm("suspend tenant '" + t.slug + "'"));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::set_status(*c, t, o.status, actor_of(d), d.global().dry_run));
  if (!j["changed"].get<bool>()) d.notice("tenant '" + t.slug + "' is already " + o.status);
  d.print(j);
  return {};
}

} // namespace crm::cmd
