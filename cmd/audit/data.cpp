#include "cmd/audit/commands.hpp"

namespace crm::cmd {

void register_audit_data(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AuditDataOptions>();
  auto* app = add_command(
      noun, ctx, "data",
      {"Find rows that crossed a tenant boundary: orphans, shared numbers, cross-tenant refs",
       "ORPHAN_ROWS: rows whose tenant column is NULL. XTENANT_DUPLICATE_PHONE: one number "
       "(--phone-column, default e164) held by several tenants, across every table with the "
       "column (released numbers excluded). XTENANT_REFERENCE: rows whose foreign key omits the "
       "tenant column and lands in another tenant's row. DELETED_TENANT_REFERENCE: "
       "phone_numbers, agents, number_routes and agent_routes rows of a deleted or missing "
       "tenant (audit.tenants_table, default public.organizations). Set-based: one statement per "
       "family. Reads every tenant's rows, so the login must bypass RLS (exit 10 otherwise).",
       {"crmctl audit data", "crmctl audit data --fail-on high -o json",
        "crmctl audit data --tenant-column client_id --phone-column phone_number"}});
  add_audit_flags(app, o->common);
  app->add_option("--phone-column", o->phone_columns,
                  "Column holding owned phone numbers (repeat or comma list; default e164)")
      ->delimiter(',');
  on_run(app, ctx, o, run_audit_data, Effect::reads);
}

Result<void> run_audit_data(const AuditDataOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto out, audit_output(o.common, d));
  CRM_TRY_ASSIGN(auto cfg, audit_config(o.common, d, o.phone_columns));
  CRM_TRY_ASSIGN(db::Connection * conn, d.db());
  CRM_TRY_ASSIGN(auto run, audit::run_data(*conn, cfg, d.clock()));
  audit::finalize(run.report, out.baseline);
  return print_audit(run.report, out, d);
}

} // namespace crm::cmd
