#include "cmd/context/state.hpp"
#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"
#include "tenant/lifecycle.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberListOptions>();
  auto* app = add_command(
      noun, ctx, "list",
      {"List phone numbers (one tenant, or every tenant)",
       "Without --tenant (and no `crmctl context`), lists every tenant's numbers from one "
       "consistent snapshot. Released numbers only with --all.",
       {"crmctl number list --tenant acme", "crmctl number list --status purchased -o json",
        "crmctl number list --all -o csv > numbers.csv"}});
  app->add_flag("--all", o->all, "Include released numbers");
  app->add_option("--status", o->status, "Only numbers in this state")
      ->check(CLI::IsMember(
          {"purchasing", "purchased", "importing", "active", "releasing", "released", "failed"}));
  on_run(app, ctx, o, run_number_list, Effect::reads);
}

Result<void> run_number_list(const NumberListOptions& o, Deps& d) {
  bool include_released = o.all || o.status == "released";
  std::vector<telephony::NumberRecord> rows;
  if (!d.global().tenant.empty() || current_context(d)) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
    CRM_TRY_ASSIGN(auto tx, call.conn->tenant(call.scope(), {db::TxIsolation::repeatable_read,
                                                             db::TxAccess::read_only}));
    CRM_TRY_ASSIGN(rows, telephony::list_numbers(*tx, call.tenant, include_released));
  } else {
    CRM_TRY_ASSIGN(auto* c, d.db());
    CRM_TRY_ASSIGN(auto tx, c->admin({db::TxIsolation::repeatable_read, db::TxAccess::read_only}));
    CRM_TRY_ASSIGN(auto tenants, tenant::list(*tx, {}));
    auto tenancy = tenancy_of(d);
    for (const auto& s : tenants) {
      CRM_TRY_ASSIGN(auto t, tenant::resolve(*tx, s.id));
      CRM_TRY_ASSIGN(auto scoped, db::scoped(*tx, tenant::scope_of(t, tenancy)));
      CRM_TRY_ASSIGN(auto some, telephony::list_numbers(*scoped, t, include_released));
      rows.insert(rows.end(), some.begin(), some.end());
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows)
    if (o.status.empty() || r.status == o.status) out.push_back(json_of(r));
  d.print(out, {{"tenant", "e164", "status", "agent_external_id", "ai_enabled", "forward_to",
                 "twilio_sid", "elevenlabs_phone_number_id"}});
  return {};
}

} // namespace crm::cmd
