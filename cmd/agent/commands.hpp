// `crmctl agent create | list | show | disable | enable` (one .cpp per verb; shared rendering in
// agent.cpp).
#pragma once
#include "cmd/app.hpp"
#include "telephony/agents.hpp"

#include <string>

namespace crm::cmd {

struct AgentCreateOptions {
  std::string provider, external_id, name;
};
struct AgentListOptions {
  std::string provider, status;
};
struct AgentShowOptions {
  std::string agent, provider;
};
struct AgentDisableOptions {
  std::string agent, provider;
};
struct AgentEnableOptions {
  std::string agent, provider;
};
/// Registers the `agent` noun and its verbs.
void register_agent(CLI::App& root, Context& ctx);
/// Registers `agent create`.
void register_agent_create(CLI::App& noun, Context& ctx);
/// Registers `agent list`.
void register_agent_list(CLI::App& noun, Context& ctx);
/// Registers `agent show`.
void register_agent_show(CLI::App& noun, Context& ctx);
/// Registers `agent disable` and `agent enable` (disable.cpp).
void register_agent_disable(CLI::App& noun, Context& ctx);
void register_agent_enable(CLI::App& noun, Context& ctx);
/// Registers the agent and prints its webhook URL and secret (once).
Result<void> run_agent_create(const AgentCreateOptions& o, Deps& d);
/// Lists the tenant's agents.
Result<void> run_agent_list(const AgentListOptions& o, Deps& d);
/// Shows one agent by UUID or external id.
Result<void> run_agent_show(const AgentShowOptions& o, Deps& d);
/// Disables an agent (confirmed like other destructive verbs).
Result<void> run_agent_disable(const AgentDisableOptions& o, Deps& d);
/// Enables a disabled agent again.
Result<void> run_agent_enable(const AgentEnableOptions& o, Deps& d);

/// The profile's webhook_base_url ("" when unset or when the settings do not load).
std::string webhook_base_url(Deps& d);
/// JSON of one agent, with its webhook URL on `base_url` (the path alone when it is empty).
nlohmann::json agent_json(const telephony::AgentInfo& a, const std::string& base_url);
/// JSON of an enable/disable outcome.
nlohmann::json agent_status_json(const telephony::AgentStatusResult& r);

} // namespace crm::cmd
