#include "cmd/agent/commands.hpp"
#include "cmd/support.hpp"
#include "core/input.hpp"

namespace crm::cmd {

void register_agent_create(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<AgentCreateOptions>();
  auto* app = add_command(
      noun, ctx, "create",
      {"Register a voice agent and print its webhook URL and secret (once)",
       "The provider's agent id routes to this tenant only: the same id registered to another "
       "tenant is a conflict (exit 4). Creating it again with the same name succeeds with a "
       "notice (no new secret); with another name it is a conflict. The URL is "
       "<webhook_base_url>/webhooks/agent/<uuid> (the path alone when the profile has no "
       "webhook_base_url). --external-id: 1-200 printable characters without whitespace; --name "
       "defaults to it.",
       {"crmctl agent create --tenant acme --provider vapi --external-id asst_123 --name Reception",
        "crmctl agent create --tenant acme --provider retell --external-id agent_9f2 --dry-run"}});
  app->add_option("--provider", o->provider, "vapi, elevenlabs or retell")
      ->required()
      ->check(CLI::IsMember(telephony::agent_providers()));
  app->add_option("--external-id", o->external_id, "The provider's agent (assistant) id")
      ->required();
  app->add_option("--name", o->name, "Display name (default: the external id)");
  on_run(app, ctx, o, run_agent_create, Effect::writes);
}

Result<void> run_agent_create(const AgentCreateOptions& o, Deps& d) {
  telephony::AgentSpec spec{o.provider, o.external_id, o.name};
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return telephony::create_agent(tx, call.tenant, call.scope(), spec, call.actor,
                                                  dry_run_of(d));
                 }));
  const std::string base = webhook_base_url(d);
  nlohmann::json j = agent_json(r.agent, base);
  j["tenant"] = r.tenant;
  j["created"] = r.created;
  j["dry_run"] = r.dry_run;
  if (r.dry_run) j["plan"] = r.plan; // the plan replaces the outcome only on a dry run
  const std::string what = r.agent.provider + " agent '" + excerpt(r.agent.external_id, 60) + "'";
  if (!r.webhook_token.empty()) {
    d.redactor().add(r.webhook_token);     // never in a log or notice
    j["webhook_secret"] = r.webhook_token; // shown once
    d.notice("store the webhook secret now: it is not shown again and cannot be recovered");
  } else if (!r.created && !r.agent.id.empty()) { // an existing agent (a new one has no id yet)
    d.notice(what + " already exists in '" + r.tenant +
             "' with the same attributes; nothing to do (its webhook secret was shown when it "
             "was created)");
    if (r.agent.status == "disabled")
      d.notice("it is disabled: `crmctl agent enable --tenant " + r.tenant + " " + r.agent.id +
               "`");
  }
  if (base.empty() && !r.agent.id.empty())
    d.notice("the profile has no webhook_base_url, so webhook_url is a path: set "
             "webhook_base_url in the profile to print the full URL");
  d.print(j);
  return {};
}

} // namespace crm::cmd
