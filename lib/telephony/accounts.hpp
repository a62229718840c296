// Which provider accounts a tenant's numbers use, and where numbers point (webhook URLs).
#pragma once
#include "core/master_key.hpp"
#include "core/result.hpp"
#include "providers/elevenlabs.hpp"
#include "providers/twilio.hpp"
#include "tenant/tenant.hpp"

#include <optional>
#include <string>

namespace crm::telephony {

/// The platform's side of the profile: base URLs and the platform accounts (when configured).
struct Platform {
  std::string twilio_base_url = "https://api.twilio.com";
  std::string elevenlabs_base_url = "https://api.elevenlabs.io";
  std::optional<providers::twilio::Account> twilio;
  std::optional<providers::elevenlabs::Account> elevenlabs;
};

/// Where an account came from.
enum class AccountSource { tenant, platform };
const char* source_name(AccountSource s);

/// The accounts one tenant uses: its own vault credentials (BYOC) first, else the platform's.
struct Accounts {
  std::optional<providers::twilio::Account> twilio;
  AccountSource twilio_source = AccountSource::platform;
  std::optional<providers::elevenlabs::Account> elevenlabs;
  AccountSource elevenlabs_source = AccountSource::platform;
  /// The platform accounts too (a number bought on the platform account stays there even after
  /// the tenant brings its own).
  Platform platform;

  /// The Twilio account, or a config error (exit 10) naming the `creds set` command to run.
  Result<providers::twilio::Account> need_twilio(const tenant::TenantRef& t) const;
  /// The ElevenLabs account, or a config error naming the command to run.
  Result<providers::elevenlabs::Account> need_elevenlabs(const tenant::TenantRef& t) const;
  /// The Twilio account whose SID is `sid` (the tenant's or the platform's), or a config error
  /// saying that account's credentials are no longer configured.
  Result<providers::twilio::Account> twilio_for(const tenant::TenantRef& t,
                                                const std::string& sid) const;
};

/// Reads the tenant's vault (decrypting with `key` only when it holds a twilio/elevenlabs row).
Result<Accounts> resolve_accounts(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const std::optional<MasterKey>& key, const Platform& platform);

/// What numbers are pointed at, from the profile's webhook_base_url.
struct WebhookUrls {
  std::string voice;   // <base>/webhooks/twilio/voice (the AI answers)
  std::string sms;     // <base>/webhooks/twilio/sms
  std::string status;  // <base>/webhooks/twilio/voice-status
  std::string forward; // <base>/webhooks/twilio/forward (TwiML dialling the owner; ?to=E164)
  /// The forward-to-owner URL for `to`.
  std::string forward_to(const std::string& to) const;
  /// True when `url` is a forward URL of this base (whatever the destination).
  bool is_forward(const std::string& url) const;
};

/// Builds the URLs; the base must be an http(s) URL without query or fragment (config error,
/// exit 10, saying to set webhook_base_url in the profile, when empty or malformed).
Result<WebhookUrls> webhook_urls(const std::string& base);

} // namespace crm::telephony
