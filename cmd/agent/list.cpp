#include "cmd/agent/commands.hpp"
#include "cmd/support.hpp"

namespace crm::cmd {

void register_agent_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AgentListOptions>();
  auto* app = add_command(noun, ctx, "list",
                          {"List a tenant's voice agents (never their secrets)",
                           "Oldest first; filter by --provider and --status.",
                           {"crmctl agent list --tenant acme",
                            "crmctl agent list --tenant acme --provider vapi --status "
                            "pending_validation -o json"}});
  app->add_option("--provider", o->provider, "Only agents of vapi, elevenlabs or retell")
      ->check(CLI::IsMember(telephony::agent_providers()));
  app->add_option("--status", o->status, "Only pending_validation, active or disabled agents")
      ->check(CLI::IsMember(telephony::agent_statuses()));
  on_run(app, ctx, o, run_agent_list, Effect::reads);
}

Result<void> run_agent_list(const AgentListOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto agents, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return telephony::list_agents(tx, call.tenant, {o.provider, o.status});
                 }));
  const std::string base = webhook_base_url(d);
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : agents)
    a.push_back(agent_json(x, base));
  d.print(a, {{"provider", "external_id", "name", "status", "validated_at", "created_at", "id"}});
  return {};
}

} // namespace crm::cmd
