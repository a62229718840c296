#include "cmd/audit/commands.hpp"
#include "core/text.hpp"

namespace crm::cmd {

void register_audit(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "audit",
      {"Audit row-level security and tenant data: find every way one tenant can see another",
       "`audit rls` reads the catalog in a handful of set-based queries and checks tables, "
       "policies (on their expression trees, helper functions resolved one level) and bypass "
       "paths; --probe tries cross-tenant reads (and with --probe-writes writes) as the "
       "application role in rolled-back transactions. `audit data` finds rows that already "
       "crossed a tenant boundary. Inputs come from flags, then the profile's audit: section, "
       "then defaults, and the report header says which; a missing input (no application role, "
       "no tenant table, a GUC no policy reads) is exit 10, never a clean report.",
       {"crmctl audit rls", "crmctl audit rls --probe --fail-on high",
        "crmctl audit data --fail-on high"}});
  noun->require_subcommand(1);
  register_audit_rls(*noun, ctx);
  register_audit_data(*noun, ctx);
}

void add_audit_flags(CLI::App* app, AuditCommon& c) {
  app->add_option("--schema", c.schemas, "Schema to scan (repeat or comma list; default all)")
      ->delimiter(',');
  app->add_option("--tenant-column", c.tenant_columns,
                  "Tenant column name, in order of preference (default org_id,tenant_id,"
                  "client_id)")
      ->delimiter(',');
  app->add_option("--app-role", c.app_roles,
                  "Application role(s) subject to RLS (default the profile's tenancy.app_role)")
      ->delimiter(',');
  app->add_option("--guc", c.gucs,
                  "Tenant GUC(s) the policies may read; x* matches a prefix (default "
                  "app.current_org_id,request.jwt.claims)")
      ->delimiter(',');
  app->add_option("--bypass-role", c.bypass_roles,
                  "Role expected to bypass RLS (service roles; default none)")
      ->delimiter(',');
  app->add_option("--global-table", c.global_tables,
                  "schema.table to treat as global besides crmctl:global comments")
      ->delimiter(',');
  app->add_option("--fail-on", c.fail_on,
                  "Exit 5 when a new finding is at or above this level: critical|high|medium|"
                  "info")
      ->check(CLI::IsMember({"critical", "high", "medium", "info"}));
  app->add_option("--format", c.format,
                  "Report format: table|json|sarif|junit (default: -o, table on a TTY)")
      ->check(CLI::IsMember({"table", "json", "sarif", "junit"}));
  app->add_option("--baseline", c.baseline,
                  "An earlier JSON or SARIF report: its findings are known and do not fail");
}

Result<AuditOutput> audit_output(const AuditCommon& c, Deps& d) {
  AuditOutput out;
  if (!c.format.empty()) {
    out.format = c.format;
  } else {
    switch (d.format()) {
    case Format::table:
      out.format = "table";
      break;
    case Format::json:
      out.format = "json";
      break;
    case Format::yaml:
      out.format = "yaml";
      break;
    case Format::csv:
      out.format = "csv";
      break;
    }
  }
  if (!c.fail_on.empty()) {
    CRM_TRY_ASSIGN(out.fail_on, audit::parse_severity(c.fail_on));
  }
  if (!c.baseline.empty()) {
    CRM_TRY_ASSIGN(std::string text, read_file(c.baseline, "baseline file"));
    CRM_TRY_ASSIGN(out.baseline, audit::parse_baseline(text, c.baseline));
  }
  return out;
}

Result<audit::Config> audit_config(const AuditCommon& c, Deps& d,
                                   const std::vector<std::string>& phone_columns) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  audit::Flags f;
  f.schemas = c.schemas;
  f.tenant_columns = c.tenant_columns;
  f.app_roles = c.app_roles;
  f.gucs = c.gucs;
  f.bypass_roles = c.bypass_roles;
  f.global_tables = c.global_tables;
  f.phone_columns = phone_columns;
  return audit::resolve_config(f, s->profile);
}

Result<void> print_audit(audit::Report& r, const AuditOutput& out, Deps& d) {
  std::size_t fails = out.fail_on ? audit::failing(r, *out.fail_on) : 0;
  if (out.format == "sarif") {
    d.io().out << audit::to_sarif(r, version_string());
  } else if (out.format == "junit") {
    d.io().out << audit::to_junit(r, out.fail_on);
  } else if (out.format == "table") {
    d.io().out << audit::to_text(r, out.fail_on, d.io().color);
  } else if (out.format == "csv") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& f : r.findings)
      rows.push_back({{"id", f.check},
                      {"severity", std::string(audit::severity_name(f.severity))},
                      {"object", f.object},
                      {"message", f.message},
                      {"fix", f.fix},
                      {"fingerprint", f.fingerprint},
                      {"baseline", f.known ? "known" : "new"}});
    d.print(rows, {{"id", "severity", "object", "message", "fix", "fingerprint", "baseline"}});
  } else {
    nlohmann::json j = audit::to_json(r);
    j["fail_on"] = out.fail_on ? nlohmann::json(std::string(audit::severity_name(*out.fail_on)))
                               : nlohmann::json(nullptr);
    j["failing"] = out.fail_on ? fails : 0;
    render(j, out.format == "yaml" ? Format::yaml : Format::json, d.io().out);
  }
  d.io().out.flush();
  if (out.fail_on && fails > 0) {
    std::size_t known = 0;
    for (const auto& f : r.findings)
      if (f.known) ++known;
    return make_error(
        ErrorKind::findings,
        "audit " + r.kind + ": " + std::to_string(fails) + " finding(s) at or above " +
            std::string(audit::severity_name(*out.fail_on)) +
            (out.baseline ? " not in the baseline (" + std::to_string(known) + " known)"
                          : std::string()) +
            ": fix them (see the report), or accept one in the profile's "
            "audit.allow with a reason");
  }
  return {};
}

} // namespace crm::cmd
