#include "cmd/agent/commands.hpp"
#include "cmd/support.hpp"
#include "core/input.hpp"

namespace crm::cmd {

void register_agent_disable(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AgentDisableOptions>();
  auto* app = add_command(noun, ctx, "disable",
                          {"Disable a voice agent (its route is kept)",
                           "Asks for confirmation (--yes without a terminal). Disabling a "
                           "disabled agent changes nothing and succeeds.",
                           {"crmctl agent disable --tenant acme asst_123",
                            "crmctl agent disable --tenant acme asst_123 --provider vapi --yes"}});
  app->add_option("agent", o->agent, "Agent UUID or the provider's agent id")->required();
  app->add_option("--provider", o->provider, "vapi, elevenlabs or retell (to disambiguate)")
      ->check(CLI::IsMember(telephony::agent_providers()));
  on_run(app, ctx, o, run_agent_disable, Effect::destroys);
}

void register_agent_enable(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AgentEnableOptions>();
  auto* app = add_command(noun, ctx, "enable",
                          {"Enable a disabled voice agent again",
                           "It returns to active when it was validated before, otherwise to "
                           "pending_validation. Enabling an enabled agent changes nothing.",
                           {"crmctl agent enable --tenant acme asst_123"}});
  app->add_option("agent", o->agent, "Agent UUID or the provider's agent id")->required();
  app->add_option("--provider", o->provider, "vapi, elevenlabs or retell (to disambiguate)")
      ->check(CLI::IsMember(telephony::agent_providers()));
  on_run(app, ctx, o, run_agent_enable, Effect::writes);
}

Result<void> run_agent_disable(const AgentDisableOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes, d.confirm("disable agent '" + excerpt(o.agent, 60) + "' of '" +
                                           call.tenant.slug + "'",
                                       call.tenant.slug));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing disabled");
  }
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return telephony::set_agent_status(tx, call.tenant, o.agent,
                                                      telephony::AgentSwitch::disable, call.actor,
                                                      dry_run_of(d), o.provider);
                 }));
  if (!r.changed && !r.dry_run) d.notice("the agent is already disabled; nothing to do");
  d.print(agent_status_json(r));
  return {};
}

Result<void> run_agent_enable(const AgentEnableOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return telephony::set_agent_status(tx, call.tenant, o.agent,
                                                      telephony::AgentSwitch::enable, call.actor,
                                                      dry_run_of(d), o.provider);
                 }));
  if (!r.changed && !r.dry_run) d.notice("the agent is not disabled; nothing to do");
  d.print(agent_status_json(r));
  return {};
}

} // namespace crm::cmd
