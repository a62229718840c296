// The credentials vault: per-tenant provider credentials, AES-256-GCM under the master key, a key
// id per row, masked on every output. The single source of truth for tenant (BYOC) credentials.
#pragma once
#include "core/env.hpp"
#include "core/master_key.hpp"
#include "http/client.hpp"
#include "tenant/tenant.hpp"

#include <functional>
#include <map>
#include <string>

namespace crm::tenant {

using Values = std::map<std::string, std::string>;

/// Parses credential text from stdin: a JSON object or KEY=VALUE lines; checks the provider's
/// fields (unknown or missing fields are usage errors). "vapi" is refused: it is a platform key.
Result<Values> parse_credential_text(const std::string& provider, const std::string& text);
/// Reads the provider's fields from the environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
/// ELEVENLABS_API_KEY, RETELL_API_KEY, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET,
/// GOOGLE_REFRESH_TOKEN).
Result<Values> credential_from_env(const std::string& provider, const EnvLookup& env);
/// The masked form shown by list/set (identifiers such as account_sid stay readable).
Values mask_values(const Values& v);

/// Encrypts and upserts; refuses to overwrite a row sealed under another key id (wrong master
/// key?).
Result<nlohmann::json> set_credentials(db::Connection& c, const TenantRef& t,
                                       const Tenancy& tenancy, const std::string& provider,
                                       const Values& values, const MasterKey& key,
                                       const Actor& actor, bool dry_run);
/// Masked listing; never decrypts.
Result<nlohmann::json> list_credentials(db::Connection& c, const TenantRef& t,
                                        const Tenancy& tenancy);
/// Decrypts one provider's values (config error on a wrong key or tampered row; not_found when
/// unset).
Result<Values> load_credentials(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                const std::string& provider, const MasterKey& key);
Result<nlohmann::json> delete_credentials(db::Connection& c, const TenantRef& t,
                                          const Tenancy& tenancy, const std::string& provider,
                                          const Actor& actor, bool dry_run);
/// Per-provider outcomes of a verify run, and the failure the command exits with (if any).
struct VerifyReport {
  nlohmann::json results = nlohmann::json::array();
  std::optional<Error> failure; // upstream (6) outranks rejected credentials (10)
};
/// Verifies stored credentials with the provider (all providers set when `provider` is empty) and
/// records last_verified_at or verification_error. `base_url_of` maps a provider to its base URL.
Result<VerifyReport>
verify_stored(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
              const std::string& provider, const MasterKey& key, http::Client& http,
              const std::function<std::string(const std::string&)>& base_url_of,
              const Actor& actor);
/// Re-encrypts every credential of every tenant under `to`, in one transaction. Rows already under
/// `to` are skipped, so a rerun after an interruption is safe; any row that does not decrypt with
/// `from` aborts the whole rotation with nothing changed.
Result<nlohmann::json> rotate_key(db::Connection& c, const MasterKey& from, const MasterKey& to,
                                  const Actor& actor, bool dry_run);

} // namespace crm::tenant
