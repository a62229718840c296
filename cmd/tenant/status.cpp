#include "cmd/render.hpp"
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
    on_run(app, ctx, o, run_tenant_status,
           std::string(verb) == "suspend" ? Effect::destroys : Effect::writes);
  }
}

Result<void> run_tenant_status(const TenantStatusOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  auto target =
      o.status == "suspended" ? tenant::TargetStatus::suspended : tenant::TargetStatus::active;
  if (target == tenant::TargetStatus::suspended && !d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes,
                   d.confirm("suspend tenant '" + call.tenant.slug + "'", call.tenant.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::set_status(tx, call.tenant, target, call.actor, dry_run_of(d));
                 }));
  if (!r.changed) d.notice("tenant '" + call.tenant.slug + "' is already " + o.status);
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
