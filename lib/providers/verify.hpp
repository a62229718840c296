// Credential checks against the providers' HTTP contracts (shared/docs/providers.md).
#pragma once
#include "core/result.hpp"
#include "http/client.hpp"

#include <map>
#include <string>

namespace crm::providers {

/// The fields each tenant-credential provider takes (twilio, elevenlabs, retell, google).
const std::map<std::string, std::vector<std::string>>& credential_fields();
/// Default API base URL of a provider.
std::string default_base_url(const std::string& provider);

/// Calls a cheap authenticated endpoint: Twilio GET Accounts/{sid}.json (Basic auth), ElevenLabs
/// GET /v1/user (xi-api-key), Retell GET /list-agents (Bearer), Vapi GET /assistant?limit=1
/// (Bearer; values {"api_key": private key}), Google POST /token (refresh grant).
/// Rejected credentials → ErrorKind::config (exit 10) with the provider's reason; transport or 5xx
/// after retries → ErrorKind::upstream (exit 6). A provider's answer fills the Error's http_status,
/// provider_code and provider_message (http::provider_error). Every check only reads, so it is
/// sent with RetrySafety::safe.
Status verify_credentials(http::Client& http, const std::string& provider,
                          const std::string& base_url,
                          const std::map<std::string, std::string>& values);

} // namespace crm::providers
