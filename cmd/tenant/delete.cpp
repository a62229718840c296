#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_delete(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantDeleteOptions>();
  auto* app = add_command(
      noun, ctx, "delete",
      {"Delete a tenant: soft by default, --purge removes its data",
       "Soft delete marks the organization deleted and keeps everything. --purge deletes every "
       "tenant row "
       "(row isolation) or drops the tenant schema (schema isolation), its routes and inbox rows, "
       "and the "
       "organization; audit events stay. Export first: `crmctl tenant export`.",
       {"crmctl tenant delete acme --yes", "crmctl tenant delete acme --purge --dry-run",
        "crmctl tenant delete acme --purge --yes"}});
  app->add_option("tenant", o->tenant, "Tenant UUID or slug (or --tenant)");
  app->add_flag("--purge", o->purge, "Remove the tenant's data for good");
  on_run(app, ctx, o, run_tenant_delete);
}

Result<void> run_tenant_delete(const TenantDeleteOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, o.tenant));
  if (!d.global().dry_run) {
    if (o.purge && !d.global().yes)
      return make_error(ErrorKind::usage,
                        "--purge destroys tenant '" + t.slug + "' data for good: add --yes");
    CRM_TRY_ASSIGN(bool yes, d.confirm(std::string(o.purge ? "purge" : "delete") + " tenant '" +
                                       t.slug + "'"));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::remove(*c, t, o.purge, actor_of(d), d.global().dry_run));
  d.print(j);
  return {};
}

} // namespace crm::cmd
