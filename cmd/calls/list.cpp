#include "billing/calls.hpp"
#include "cmd/calls/commands.hpp"
#include "cmd/support.hpp"

namespace crm::cmd {

void register_calls_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CallsListOptions>();
  auto* app = add_command(noun, ctx, "list",
                          {"List a tenant's calls, newest first (no transcripts)",
                           "--since and --until bound the start time (RFC 3339, until "
                           "exclusive); --limit caps the rows (default 100).",
                           {"crmctl calls list --tenant acme",
                            "crmctl calls list --tenant acme --since 2026-11-01T00:00:00Z "
                            "--until 2026-12-01T00:00:00Z --limit 1000 -o csv"}});
  app->add_option("--since", o->since, "Calls started at or after (RFC 3339)");
  app->add_option("--until", o->until, "Calls started before (RFC 3339)");
  app->add_option("--limit", o->limit, "At most this many calls (1-100000)")
      ->check(CLI::Range(1, 100000));
  on_run(app, ctx, o, run_calls_list, Effect::reads);
}

Result<void> run_calls_list(const CallsListOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  CRM_TRY_ASSIGN(auto rows, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return billing::list_calls(tx, {o.since, o.until, o.limit});
                 }));
  d.print(rows, {{"started_at", "provider", "external_call_id", "call_type", "direction",
                  "from_number", "to_number", "caller_name", "duration_seconds", "cost", "billable"}});
  return {};
}

} // namespace crm::cmd
