#include "cmd/agent/commands.hpp"

namespace crm::cmd {

void register_agent(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "agent",
      {"Voice agents (Vapi, ElevenLabs, Retell) registered for webhook routing",
       "Each agent routes to exactly one tenant and gets its own webhook URL "
       "(<webhook_base_url>/webhooks/agent/<uuid>) and secret, shown once at creation (only its "
       "SHA-256 is stored). Status: pending_validation until its first valid webhook, then "
       "active; disabled by an operator.",
       {"crmctl agent create --tenant acme --provider vapi --external-id asst_123 --name Reception",
        "crmctl agent list --tenant acme --status active",
        "crmctl agent show --tenant acme asst_123",
        "crmctl agent disable --tenant acme asst_123"}});
  noun->require_subcommand(1);
  register_agent_create(*noun, ctx);
  register_agent_list(*noun, ctx);
  register_agent_show(*noun, ctx);
  register_agent_disable(*noun, ctx);
  register_agent_enable(*noun, ctx);
}

std::string webhook_base_url(Deps& d) {
  auto s = d.settings();
  return s ? (*s)->profile.webhook_base_url : std::string();
}

nlohmann::json agent_json(const telephony::AgentInfo& a, const std::string& base_url) {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  return {{"id", opt(a.id)},
          {"provider", a.provider},
          {"external_id", a.external_id},
          {"name", a.name},
          {"status", a.status},
          {"webhook_url", a.id.empty()
                              ? nlohmann::json()
                              : nlohmann::json(telephony::agent_webhook_url(base_url, a.id))},
          {"has_webhook_secret", a.has_webhook_token},
          {"validated_at", opt(a.validated_at)},
          {"created_at", opt(a.created_at)}};
}

nlohmann::json agent_status_json(const telephony::AgentStatusResult& r) {
  return {{"id", r.id},
          {"tenant", r.tenant},
          {"provider", r.provider},
          {"external_id", r.external_id},
          {"previous_status", r.previous_status},
          {"status", r.status},
          {"changed", r.changed},
          {"dry_run", r.dry_run}};
}

} // namespace crm::cmd
