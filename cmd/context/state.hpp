// The current-tenant context (like kubectl's current context): one entry per profile in a small
// JSON state file beside the config file ($XDG_CONFIG_HOME/crmctl/context.json when none).
#pragma once
#include "cmd/app.hpp"

#include <optional>
#include <string>

namespace crm::cmd {

struct CurrentContext {
  std::string profile; // the profile name, "default" when none is chosen
  std::string tenant_id;
  std::string slug;
  std::string set_at; // RFC 3339
};

/// Where the state file lives for the current settings.
std::string context_state_path(Deps& d);
/// The context of the current profile, if one is set (a missing or unreadable file is none).
std::optional<CurrentContext> current_context(Deps& d);
/// Stores (or with nullopt, clears) the current profile's context; the file is written 0600
/// through a temporary name.
Status store_context(Deps& d, const std::optional<CurrentContext>& ctx);
/// The profile key contexts are stored under.
std::string context_profile(Deps& d);

} // namespace crm::cmd
