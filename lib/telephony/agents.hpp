// Voice agents registered for routing (Vapi assistants, ElevenLabs and Retell agents): a tenant
// row in `agents` (RLS) plus the global `agent_routes` row that maps (provider, external_id) to
// exactly one tenant. Each agent gets its own webhook URL (/webhooks/agent/<uuid>) and secret
// (shown once, only its SHA-256 stored); status pending_validation → active on the first valid
// webhook (the daemon's job), disabled by an operator. Functions take the transaction they run in
// and never commit.
#pragma once
#include "core/options.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace crm::telephony {

/// Most code points of an external id (the provider's agent id).
inline constexpr std::size_t k_max_external_id = 200;
/// Most code points of an agent's display name.
inline constexpr std::size_t k_max_agent_name = 200;

/// The providers an agent can belong to: vapi, elevenlabs, retell.
const std::vector<std::string>& agent_providers();
/// The statuses of an agent: pending_validation, active, disabled.
const std::vector<std::string>& agent_statuses();

/// The path the daemon serves an agent's webhooks on: "/webhooks/agent/<uuid>".
std::string agent_webhook_path(std::string_view agent_id);
/// `base_url` without trailing slashes, then the path; the path alone when base_url is empty.
std::string agent_webhook_url(std::string_view base_url, std::string_view agent_id);
/// Lower-case hex SHA-256 of a webhook token: what agents.webhook_token_hash stores and what the
/// daemon compares (in constant time) against the hash of the token it receives.
std::string webhook_token_hash(std::string_view token);

/// What `agent create` registers.
struct AgentSpec {
  std::string provider;    // vapi | elevenlabs | retell
  std::string external_id; // the provider's id: 1-200 printable characters, no whitespace
  std::string name;        // "" = the external id
};

/// One agent as stored (never its token hash).
struct AgentInfo {
  std::string id, provider, external_id, name, status;
  std::string validated_at; // RFC 3339 UTC, "" when never validated
  std::string created_at;
  bool has_webhook_token = false;
};

/// The outcome of create_agent.
struct AgentCreated {
  std::string tenant;   // slug
  AgentInfo agent;      // agent.id is empty on a dry run of a new agent
  bool created = false; // false: it already existed with the same attributes
  bool dry_run = false;
  std::string webhook_token;     // "whk_<base64url of 32 random bytes>": set only when created
  std::vector<std::string> plan; // what was (or, on a dry run, would be) done
};

/// Registers an agent for tenant `t`: the agent_routes row through `tx` (admin: the application
/// role cannot read it) and the agents row through db::scoped(tx, scope) under RLS, so both
/// commit together with the audit row. The same (provider, external_id) registered to another
/// tenant is a conflict naming no other tenant; in this tenant with the same name it succeeds
/// with created=false (no new token); with another name it is a conflict. Bad input is a usage
/// error before anything is read.
Result<AgentCreated> create_agent(db::AdminTx& tx, const tenant::TenantRef& t,
                                  const db::TenantScope& scope, const AgentSpec& spec,
                                  const tenant::Actor& actor, DryRun dry_run);

/// Filters of list_agents ("" = any).
struct AgentFilter {
  std::string provider;
  std::string status;
};
/// The tenant's agents, oldest first; an unknown filter value is a usage error.
Result<std::vector<AgentInfo>> list_agents(db::TenantTx& tx, const tenant::TenantRef& t,
                                           const AgentFilter& filter = {});

/// One agent by our UUID or the provider's external id, optionally narrowed to `provider`. Not
/// found → ErrorKind::not_found naming the id and `crmctl agent list --tenant <slug>`; an
/// external id shared by agents of several providers → usage error asking for the provider.
Result<AgentInfo> find_agent(db::TenantTx& tx, const tenant::TenantRef& t,
                             const std::string& id_or_external, const std::string& provider = "");

/// Which way set_agent_status switches an agent.
enum class AgentSwitch { disable, enable };
/// The outcome of set_agent_status.
struct AgentStatusResult {
  std::string tenant, id, provider, external_id;
  std::string previous_status, status;
  bool changed = false; // false: it already was disabled / enabled
  bool dry_run = false;
};
/// Disables an agent (status disabled; its route stays, so its webhooks still resolve to the
/// tenant, which sees the status) or enables it again (active when it was validated before, else
/// pending_validation). Switching to the state it is in is a no-op success.
Result<AgentStatusResult> set_agent_status(db::TenantTx& tx, const tenant::TenantRef& t,
                                           const std::string& id_or_external, AgentSwitch to,
                                           const tenant::Actor& actor, DryRun dry_run,
                                           const std::string& provider = "");

} // namespace crm::telephony
