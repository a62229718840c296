#include "tenant/export.hpp"
#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"
#include "db/audit.hpp"
#include "tenant/catalog.hpp"

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
  on_run(app, ctx, o, run_tenant_export, Effect::reads);
}

Result<void> run_tenant_export(const TenantExportOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  const auto& t = call.tenant;
  if (d.global().dry_run) {
    CRM_TRY_ASSIGN(auto tables,
                   tenant::tenant_tables(
                       *call.conn, t.isolation == db::Isolation::schema ? t.schema : "public"));
    d.print({{"dry_run", true}, {"out", o.out}, {"tables", tables}});
    return {};
  }
  // One read-only snapshot for everything: the schema version as the login role (the app role
  // cannot read crm.schema_migrations), then the rows in the tenant's RLS scope.
  CRM_TRY_ASSIGN(auto atx, call.conn->admin({.isolation = db::TxIsolation::repeatable_read,
                                             .access = db::TxAccess::read_only}));
  tenant::ExportOptions eo;
  eo.out_dir = o.out;
  eo.now = d.clock().now();
  CRM_TRY_ASSIGN(eo.schema_version, tenant::export_schema_version(*atx, t));
  tenant::ExportManifest m;
  {
    CRM_TRY_ASSIGN(auto tx, db::scoped(*atx, call.scope()));
    CRM_TRY_ASSIGN(m, tenant::export_to(*tx, t, eo));
  }
  CRM_TRY(atx->commit());
  CRM_TRY(db::write_audit(
      *call.conn,
      {call.actor.name, t.id, "tenant.export", o.out,
       tenant::audit_args(call.actor, nlohmann::json{{"tables", m.tables.size()}}.dump()), "ok",
       ""}));
  nlohmann::json manifest = tenant::manifest_json(m);
  if (d.format() == Format::table) {
    d.print(manifest["tables"], {{"table", "rows", "file", "sha256"}});
    d.notice("exported tenant '" + t.slug + "' to " + o.out);
    return {};
  }
  d.print(manifest);
  return {};
}

} // namespace crm::cmd
