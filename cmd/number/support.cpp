#include "cmd/number/support.hpp"
#include "providers/verify.hpp"

namespace crm::cmd::number_support {

Result<std::string> value(Deps& d, const ProviderConfig& p, const std::string& provider,
                          const std::string& key) {
  auto it = p.values.find(key);
  if (it == p.values.end() || it->second.empty()) return std::string();
  auto v = resolve_ref(it->second, d.env());
  if (!v)
    return make_error(ErrorKind::config, "providers." + provider + "." + key +
                                             " of the profile: " + v.error().message);
  d.redactor().add(*v);
  return *v;
}

Result<telephony::Platform> platform(Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  telephony::Platform p;
  p.twilio_base_url = providers::default_base_url("twilio");
  p.elevenlabs_base_url = providers::default_base_url("elevenlabs");
  const auto& provs = s->profile.providers;
  if (auto it = provs.find("twilio"); it != provs.end()) {
    if (!it->second.base_url.empty()) p.twilio_base_url = it->second.base_url;
    CRM_TRY_ASSIGN(auto sid, value(d, it->second, "twilio", "account_sid"));
    CRM_TRY_ASSIGN(auto token, value(d, it->second, "twilio", "auth_token"));
    if (!sid.empty() && !token.empty())
      p.twilio = providers::twilio::Account{p.twilio_base_url, sid, token};
  }
  if (auto it = provs.find("elevenlabs"); it != provs.end()) {
    if (!it->second.base_url.empty()) p.elevenlabs_base_url = it->second.base_url;
    CRM_TRY_ASSIGN(auto key, value(d, it->second, "elevenlabs", "api_key"));
    if (!key.empty()) p.elevenlabs = providers::elevenlabs::Account{p.elevenlabs_base_url, key};
  }
  while (!p.twilio_base_url.empty() && p.twilio_base_url.back() == '/')
    p.twilio_base_url.pop_back();
  while (!p.elevenlabs_base_url.empty() && p.elevenlabs_base_url.back() == '/')
    p.elevenlabs_base_url.pop_back();
  if (p.twilio) p.twilio->base_url = p.twilio_base_url;
  if (p.elevenlabs) p.elevenlabs->base_url = p.elevenlabs_base_url;
  return p;
}

Result<telephony::WebhookUrls> urls(Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  return telephony::webhook_urls(s->profile.webhook_base_url);
}

std::optional<MasterKey> optional_master_key(Deps& d) {
  auto s = d.settings();
  if (!s) return std::nullopt;
  auto k = load_master_key(**s, d.env());
  if (!k) return std::nullopt;
  return *k;
}

Result<telephony::NumberEnv> env(Deps& d, TenantCall& call, bool need_urls) {
  CRM_TRY_ASSIGN(auto p, platform(d));
  telephony::WebhookUrls u;
  if (need_urls) {
    CRM_TRY_ASSIGN(u, urls(d));
  } else if (auto maybe = urls(d)) {
    u = *maybe;
  }
  telephony::Accounts accounts;
  {
    CRM_TRY_ASSIGN(auto tx, call.conn->tenant(call.scope()));
    CRM_TRY_ASSIGN(accounts,
                   telephony::resolve_accounts(*tx, call.tenant, optional_master_key(d), p));
  }
  if (accounts.twilio) d.redactor().add(accounts.twilio->auth_token);
  if (accounts.elevenlabs) d.redactor().add(accounts.elevenlabs->api_key);
  return telephony::NumberEnv{*call.conn, call.tenant, call.scope(), call.actor, d.http(), accounts,
                              u};
}

nlohmann::json json_of(const telephony::NumberRecord& n) {
  auto opt = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  return {{"tenant", n.tenant},
          {"id", opt(n.id)},
          {"e164", n.e164},
          {"status", n.status},
          {"twilio_sid", opt(n.twilio_sid)},
          {"twilio_account_sid", opt(n.twilio_account_sid)},
          {"friendly_name", opt(n.friendly_name)},
          {"elevenlabs_phone_number_id", opt(n.elevenlabs_phone_number_id)},
          {"agent_id", opt(n.agent_id)},
          {"agent_external_id", opt(n.agent_external_id)},
          {"ai_enabled", n.ai_enabled},
          {"forward_to", opt(n.forward_to)},
          {"created_at", opt(n.created_at)},
          {"updated_at", opt(n.updated_at)}};
}

nlohmann::json json_of(const telephony::NumberResult& r) {
  auto j = json_of(r.number);
  j["operation_id"] =
      r.operation_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.operation_id);
  j["changed"] = r.changed;
  j["dry_run"] = r.dry_run;
  j["notes"] = r.notes;
  return j;
}

nlohmann::json json_of(const telephony::Finding& f) {
  return {
      {"tenant", f.tenant.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.tenant)},
      {"e164", f.e164},
      {"kind", f.kind},
      {"detail", f.detail},
      {"fixable", f.fixable},
      {"fixed", f.fixed},
      {"fix_error", f.fix_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.fix_error)}};
}

nlohmann::json json_of(const providers::twilio::AvailableNumber& n) {
  return {{"phone_number", n.phone_number},
          {"friendly_name", n.friendly_name},
          {"locality", n.locality},
          {"region", n.region},
          {"postal_code", n.postal_code},
          {"iso_country", n.iso_country},
          {"voice", n.voice},
          {"sms", n.sms},
          {"mms", n.mms}};
}

void print_result(Deps& d, const telephony::NumberResult& r) {
  for (const auto& n : r.notes)
    d.notice(n);
  d.print(json_of(r));
}

} // namespace crm::cmd::number_support
