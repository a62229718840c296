#include "cmd/agent/commands.hpp"
#include "cmd/support.hpp"

namespace crm::cmd {

void register_agent_show(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AgentShowOptions>();
  auto* app =
      add_command(noun, ctx, "show",
                  {"Show one voice agent and its webhook URL",
                   "AGENT is our UUID or the provider's id; when several providers share "
                   "that id, add --provider.",
                   {"crmctl agent show --tenant acme asst_123",
                    "crmctl agent show --tenant acme 3f0c9a4e-5b1d-4c2a-9e7f-0a1b2c3d4e5f"}});
  app->add_option("agent", o->agent, "Agent UUID or the provider's agent id")->required();
  app->add_option("--provider", o->provider, "vapi, elevenlabs or retell (to disambiguate)")
      ->check(CLI::IsMember(telephony::agent_providers()));
  on_run(app, ctx, o, run_agent_show, Effect::reads);
}

Result<void> run_agent_show(const AgentShowOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto a, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return telephony::find_agent(tx, call.tenant, o.agent, o.provider);
                 }));
  nlohmann::json j = agent_json(a, webhook_base_url(d));
  j["tenant"] = call.tenant.slug;
  d.print(j);
  return {};
}

} // namespace crm::cmd
