#include "core/master_key.hpp"
#include "core/crypto.hpp"

namespace crm {

Result<MasterKey> master_key_from_base64(const std::string& b64, const std::string& origin) {
  std::string t = b64;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
    t.pop_back();
  auto raw = crypto::base64_decode(t);
  if (!raw || raw->size() != 32)
    return make_error(ErrorKind::config, "master key from " + origin +
                                             " is not base64 of 32 bytes: generate one with "
                                             "`openssl rand -base64 32`");
  return MasterKey{*raw, "k" + crypto::hex(crypto::sha256(*raw)).substr(0, 8)};
}

Result<MasterKey> load_master_key(const Settings& s, const EnvLookup& env) {
  if (auto v = env("CRMCTL_MASTER_KEY"); v && !v->empty())
    return master_key_from_base64(*v, "CRMCTL_MASTER_KEY");
  if (auto f = env("CRMCTL_MASTER_KEY_FILE"); f && !f->empty()) {
    CRM_TRY_ASSIGN(std::string text, resolve_ref("file:" + *f, env));
    return master_key_from_base64(text, "file " + *f);
  }
  if (!s.profile.master_key.empty()) {
    CRM_TRY_ASSIGN(std::string text, resolve_ref(s.profile.master_key, env));
    return master_key_from_base64(text, "profile " + s.profile_name + " master_key");
  }
  return make_error(ErrorKind::config,
                    "no master key for the credentials vault: set CRMCTL_MASTER_KEY (base64 of 32 "
                    "bytes, `openssl rand -base64 32`), CRMCTL_MASTER_KEY_FILE, or master_key in "
                    "the profile");
}

} // namespace crm
