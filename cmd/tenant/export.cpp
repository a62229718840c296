#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_export(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantExportOptions>();
  auto* app = add_command(
      noun, ctx, "export",
      {"Export every tenant table as JSONL plus a manifest (portability, backup)",
       "Reads through the tenant's own RLS-scoped transaction, so nothing of another tenant can "
       "appear. "
       "Writes organization.json, <table>.jsonl and manifest.json (row counts, SHA-256 per file).",
       {"crmctl tenant export acme --out ./acme-export",
        "crmctl tenant export acme --out /backups/acme -o json"}});
  app->add_option("tenant", o->tenant, "Tenant UUID or slug (or --tenant)");
  app->add_option("--out", o->out, "Directory to write")->required();
  on_run(app, ctx, o, run_tenant_export);
}

Result<void> run_tenant_export(const TenantExportOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, o.tenant));
  CRM_TRY_ASSIGN(auto* c, d.db());
  if (d.global().dry_run) {
    CRM_TRY_ASSIGN(
        auto tables,
        tenant::tenant_tables(*c, t.isolation == db::Isolation::schema ? t.schema : "public"));
    d.print({{"dry_run", true}, {"out", o.out}, {"tables", tables}});
    return {};
  }
  CRM_TRY_ASSIGN(auto m,
                 tenant::export_to(*c, t, tenancy_of(d), o.out, d.clock().now(), actor_of(d)));
  if (d.format() == Format::table) {
    d.print(m["tables"], {{"table", "rows", "file", "sha256"}});
    d.notice("exported tenant '" + t.slug + "' to " + o.out);
    return {};
  }
  d.print(m);
  return {};
}

} // namespace crm::cmd
