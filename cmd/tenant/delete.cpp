#include "cmd/render.hpp"
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
  on_run(app, ctx, o, run_tenant_delete, Effect::destroys);
}

Result<void> run_tenant_delete(const TenantDeleteOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  const auto& t = call.tenant;
  if (!d.global().dry_run) {
    if (o.purge && !d.global().yes)
      return make_error(ErrorKind::usage,
                        "--purge destroys tenant '" + t.slug + "' data for good: add --yes");
    CRM_TRY_ASSIGN(
        bool yes,
        d.confirm(std::string(o.purge ? "purge" : "delete") + " tenant '" + t.slug + "'", t.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::remove(tx, t, o.purge ? tenant::Purge::yes : tenant::Purge::no,
                                         call.actor, dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
