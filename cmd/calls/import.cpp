#include "billing/calls.hpp"
#include "cmd/calls/commands.hpp"
#include "cmd/support.hpp"
#include "core/text.hpp"

namespace crm::cmd {

void register_calls_import(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CallsImportOptions>();
  auto* app = add_command(
      noun, ctx, "import",
      {"Import call history (JSONL or CSV) into a tenant, all rows or none",
       "One call per JSONL line or CSV record, fields: provider, external_call_id, call_type "
       "(phone|web|test, default phone), direction (inbound|outbound), from_number, to_number "
       "(E.164), caller_name, started_at (RFC 3339 with offset), ended_at or duration_seconds, "
       "cost (a decimal, kept exactly), transcript, summary, recording_url. Every row is "
       "validated first; any bad row is reported with its line number and nothing is imported. "
       "Calls already present (same provider and external_call_id) are left untouched and "
       "counted, so a rerun is safe. Web and test calls are imported as not billable.",
       {"crmctl calls import --tenant acme history.jsonl",
        "crmctl calls import --tenant acme legacy.csv --dry-run",
        "cat calls.jsonl | crmctl calls import --tenant acme - --format jsonl"}});
  app->add_option("file", o->file, "JSONL or CSV file ('-' = stdin, with --format)")->required();
  app->add_option("--format", o->format, "jsonl or csv (default: from the file name)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  on_run(app, ctx, o, run_calls_import, Effect::writes);
}

Result<void> run_calls_import(const CallsImportOptions& o, Deps& d) {
  if (o.file == "-" && o.format.empty())
    return make_error(ErrorKind::usage, "reading stdin: pass --format jsonl or --format csv");
  CRM_TRY_ASSIGN(auto format, billing::call_format_of(o.file, o.format));
  std::string text;
  if (o.file == "-") {
    text = read_all_stdin(d);
  } else {
    CRM_TRY_ASSIGN(text, read_file(o.file, "call history file"));
  }
  CRM_TRY_ASSIGN(auto parsed, billing::parse_calls(text, format));
  if (!parsed.errors.empty()) return billing::row_errors(parsed.errors, o.file);
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto res, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::import_calls(tx, call.tenant, parsed.rows, o.file,
                                                actor_of(d), dry_run_of(d));
                 }));
  d.print({{"tenant", call.tenant.slug},
           {"file", o.file},
           {"rows", res.rows},
           {"imported", res.imported},
           {"already_present", res.already_present},
           {"duplicates_in_file", res.duplicates_in_file},
           {"dry_run", res.dry_run}});
  return {};
}

} // namespace crm::cmd
