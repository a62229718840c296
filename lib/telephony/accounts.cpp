#include "telephony/accounts.hpp"
#include "http/client.hpp"
#include "tenant/vault.hpp"

namespace crm::telephony {

const char* source_name(AccountSource s) {
  return s == AccountSource::tenant ? "tenant" : "platform";
}

Result<providers::twilio::Account> Accounts::need_twilio(const tenant::TenantRef& t) const {
  if (twilio) return *twilio;
  return make_error(
      ErrorKind::config,
      "tenant '" + t.slug +
          "' has no Twilio credentials and the profile has no platform account: run "
          "`printf 'account_sid=AC...\\nauth_token=...\\n' | crmctl creds set --tenant " +
          t.slug + " twilio --from-stdin` (or set providers.twilio in the profile)");
}

Result<providers::elevenlabs::Account> Accounts::need_elevenlabs(const tenant::TenantRef& t) const {
  if (elevenlabs) return *elevenlabs;
  return make_error(ErrorKind::config,
                    "tenant '" + t.slug +
                        "' has no ElevenLabs credentials and the profile has no platform key: run "
                        "`ELEVENLABS_API_KEY=... crmctl creds set --tenant " +
                        t.slug +
                        " elevenlabs --from-env` (or set providers.elevenlabs in the profile)");
}

Result<providers::twilio::Account> Accounts::twilio_for(const tenant::TenantRef& t,
                                                        const std::string& sid) const {
  if (sid.empty()) return need_twilio(t);
  if (twilio && twilio->account_sid == sid) return *twilio;
  if (platform.twilio && platform.twilio->account_sid == sid) return *platform.twilio;
  return make_error(ErrorKind::config,
                    "the number was bought with Twilio account " + sid +
                        ", whose credentials are no longer configured for tenant '" + t.slug +
                        "': restore them with `crmctl creds set --tenant " + t.slug +
                        " twilio --from-stdin` or in the profile");
}

Result<Accounts> resolve_accounts(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const std::optional<MasterKey>& key, const Platform& platform) {
  Accounts a;
  a.platform = platform;
  a.twilio = platform.twilio;
  a.elevenlabs = platform.elevenlabs;
  CRM_TRY_ASSIGN(auto stored, tenant::list_credentials(tx, t));
  for (const auto& c : stored) {
    if (c.provider != "twilio" && c.provider != "elevenlabs") continue;
    if (!key)
      return make_error(ErrorKind::config, "tenant '" + t.slug + "' has its own " + c.provider +
                                               " credentials but no master key is configured: set "
                                               "CRMCTL_MASTER_KEY or the profile's master_key");
    CRM_TRY_ASSIGN(auto v, tenant::load_credentials(tx, t, c.provider, *key));
    if (c.provider == "twilio") {
      a.twilio =
          providers::twilio::Account{platform.twilio_base_url, v["account_sid"], v["auth_token"]};
      a.twilio_source = AccountSource::tenant;
    } else {
      a.elevenlabs = providers::elevenlabs::Account{platform.elevenlabs_base_url, v["api_key"]};
      a.elevenlabs_source = AccountSource::tenant;
    }
  }
  return a;
}

std::string WebhookUrls::forward_to(const std::string& to) const {
  return forward + "?to=" + http::url_encode(to);
}

bool WebhookUrls::is_forward(const std::string& url) const {
  return url == forward || url.rfind(forward + "?", 0) == 0;
}

Result<WebhookUrls> webhook_urls(const std::string& base_in) {
  std::string base = base_in;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::config,
                      "webhook_base_url " + why +
                          ": set it in the profile to the public https URL of `crmctl serve`, "
                          "e.g. webhook_base_url: https://hooks.example.com");
  };
  if (base.empty()) return bad("is not set");
  bool scheme = base.rfind("https://", 0) == 0 || base.rfind("http://", 0) == 0;
  if (!scheme) return bad("'" + base + "' is not an http(s) URL");
  for (char c : base)
    if (c == '?' || c == '#' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return bad("'" + base + "' must not hold a query, fragment, space or control character");
  WebhookUrls u;
  u.voice = base + "/webhooks/twilio/voice";
  u.sms = base + "/webhooks/twilio/sms";
  u.status = base + "/webhooks/twilio/voice-status";
  u.forward = base + "/webhooks/twilio/forward";
  return u;
}

} // namespace crm::telephony
