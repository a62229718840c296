// ElevenLabs Conversational AI: phone numbers (import a Twilio number, list, get, assign an
// agent, delete) and agents (get, list with cursor paging). shared/docs/providers.md.
#pragma once
#include "core/result.hpp"
#include "http/client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace crm::providers::elevenlabs {

/// One ElevenLabs workspace: base URL and `xi-api-key`.
struct Account {
  std::string base_url;
  std::string api_key;
};

/// A phone number known to ElevenLabs.
struct PhoneNumber {
  std::string phone_number_id, phone_number, label, provider;
  std::string agent_id; // "" when no agent is assigned
};

/// What to import: the Twilio number and the credentials of the Twilio account owning it.
struct Import {
  std::string phone_number, label;
  std::string twilio_account_sid, twilio_auth_token;
};

/// POST /v1/convai/phone-numbers → phone_number_id. Never repeated once sent: a lost answer (or a
/// 5xx) is ErrorKind::outcome_unknown and the caller lists the numbers before anything else.
Result<std::string> import_twilio_number(http::Client& http, const Account& a, const Import& i);

/// GET /v1/convai/phone-numbers (a plain array; an object wrapping the array is tolerated).
Result<std::vector<PhoneNumber>> list_phone_numbers(http::Client& http, const Account& a);

/// GET /v1/convai/phone-numbers/{id}; nullopt on 404.
Result<std::optional<PhoneNumber>> get_phone_number(http::Client& http, const Account& a,
                                                    const std::string& id);

/// PATCH /v1/convai/phone-numbers/{id} {"agent_id": ...} (null unassigns). Repeatable.
Result<void> assign_agent(http::Client& http, const Account& a, const std::string& id,
                          const std::optional<std::string>& agent_id);

/// DELETE /v1/convai/phone-numbers/{id}: true when deleted now, false when it was already gone.
Result<bool> delete_phone_number(http::Client& http, const Account& a, const std::string& id);

struct Agent {
  std::string agent_id, name;
};
/// GET /v1/convai/agents/{id}; nullopt on 404.
Result<std::optional<Agent>> get_agent(http::Client& http, const Account& a, const std::string& id);
/// GET /v1/convai/agents, every page (cursor / has_more).
Result<std::vector<Agent>> list_agents(http::Client& http, const Account& a);

} // namespace crm::providers::elevenlabs
