#include "ops/provider_checks.hpp"
#include "core/mask.hpp"
#include "providers/verify.hpp"

namespace crm::ops {

namespace {

/// The fields each platform credential needs (Vapi's is the platform private key).
const std::vector<std::pair<std::string, std::vector<std::string>>>& platform_fields() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> k_fields = {
      {"twilio", {"account_sid", "auth_token"}},
      {"elevenlabs", {"api_key"}},
      {"vapi", {"private_key"}},
      {"retell", {"api_key"}},
      {"google", {"client_id", "client_secret", "refresh_token"}},
  };
  return k_fields;
}

} // namespace

std::vector<Check> provider_checks(const Settings& s, const EnvLookup& env, http::Client& http) {
  std::vector<Check> out;
  for (const auto& [name, fields] : platform_fields()) {
    Check c;
    c.name = "provider " + name;
    auto it = s.profile.providers.find(name);
    if (it == s.profile.providers.end()) {
      c.status = CheckStatus::skip;
      c.detail = "not configured in profile '" + s.profile_name + "'";
      out.push_back(c);
      continue;
    }
    std::map<std::string, std::string> values;
    std::string missing, unresolved;
    for (const auto& f : fields) {
      auto v = it->second.values.find(f);
      if (v == it->second.values.end() || v->second.empty()) {
        missing += (missing.empty() ? "" : ", ") + f;
        continue;
      }
      auto r = resolve_ref(v->second, env);
      if (!r) {
        unresolved = "providers." + name + "." + f + ": " + r.error().message;
        break;
      }
      values[f] = *r;
    }
    std::string base =
        it->second.base_url.empty() ? providers::default_base_url(name) : it->second.base_url;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    if (!unresolved.empty()) {
      c.status = CheckStatus::fail;
      c.kind = ErrorKind::config;
      c.detail = unresolved;
      c.hint = "set the environment variable or file the reference names";
    } else if (values.empty()) {
      c.status = CheckStatus::skip;
      c.detail = "no platform credentials (base_url " + base + ")";
    } else if (!missing.empty()) {
      c.status = CheckStatus::fail;
      c.kind = ErrorKind::config;
      c.detail = "providers." + name + " lacks " + missing;
      c.hint = "add them to the profile (as env: or file: references)";
    } else {
      std::map<std::string, std::string> check_values = values;
      if (name == "vapi") check_values = {{"api_key", values["private_key"]}};
      auto r = providers::verify_credentials(http, name, base, check_values);
      std::string who = name == "twilio" ? "account " + values["account_sid"]
                                         : "key " + mask_secret(values.begin()->second);
      if (r) {
        c.detail = who + " accepted by " + base;
      } else {
        c.status = CheckStatus::fail;
        c.kind = r.error().kind == ErrorKind::config ? ErrorKind::config : ErrorKind::upstream;
        c.detail = who + ": " + r.error().message;
        for (const auto& [k, v] : values)
          if (!v.empty() && k != "account_sid" && k != "client_id")
            for (auto pos = c.detail.find(v); pos != std::string::npos; pos = c.detail.find(v))
              c.detail.replace(pos, v.size(), mask_secret(v));
        c.hint = c.kind == ErrorKind::config ? "fix the credentials in the profile"
                                             : "check the network path to " + base;
      }
    }
    out.push_back(c);
  }
  return out;
}

} // namespace crm::ops
