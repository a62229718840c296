// The credentials vault: per-tenant provider credentials, AES-256-GCM under the master key, a key
// id per row, masked on every output. The single source of truth for tenant (BYOC) credentials.
#pragma once
#include "core/env.hpp"
#include "core/master_key.hpp"
#include "http/client.hpp"
#include "tenant/tenant.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

struct CredentialSet {
  std::string tenant, provider, key_id;
  Values masked;
  bool replaced = false;
  bool dry_run = false;
};
/// Encrypts and upserts; refuses to overwrite a row sealed under another key id (wrong master
/// key?).
Result<CredentialSet> set_credentials(db::TenantTx& tx, const TenantRef& t,
                                      const std::string& provider, const Values& values,
                                      const MasterKey& key, const Actor& actor, DryRun dry_run);

struct CredentialInfo {
  std::string provider, key_id, last_verified_at, verification_error, updated_at;
  Values masked;
};
/// Masked listing; never decrypts.
Result<std::vector<CredentialInfo>> list_credentials(db::TenantTx& tx, const TenantRef& t);
/// Decrypts one provider's values (config error on a wrong key or tampered row; not_found when
/// unset).
Result<Values> load_credentials(db::TenantTx& tx, const TenantRef& t, const std::string& provider,
                                const MasterKey& key);

struct CredentialDeleted {
  std::string tenant, provider;
  bool dry_run = false;
};
Result<CredentialDeleted> delete_credentials(db::TenantTx& tx, const TenantRef& t,
                                             const std::string& provider, const Actor& actor,
                                             DryRun dry_run);

/// Per-provider outcomes of a verify run, and the failure the command exits with (if any).
struct VerifyOutcome {
  std::string provider;
  bool ok = false;
  std::string error;
};
struct VerifyReport {
  std::vector<VerifyOutcome> results;
  std::optional<Error> failure; // upstream (6) outranks rejected credentials (10)
};
/// Verifies stored credentials with the provider (all providers set when `provider` is empty) and
/// records last_verified_at or verification_error in `tx`. `base_url_of` maps a provider to its
/// base URL.
Result<VerifyReport>
verify_stored(db::TenantTx& tx, const TenantRef& t, const std::string& provider,
              const MasterKey& key, http::Client& http,
              const std::function<std::string(const std::string&)>& base_url_of,
              const Actor& actor);

struct RotateResult {
  std::string from_key, to_key;
  long rotated = 0, already_rotated = 0;
  bool dry_run = false;
};
/// Re-encrypts every credential of every tenant under `to`, in `tx`. Rows already under `to` are
/// skipped, so a rerun after an interruption is safe; any row that does not decrypt with `from`
/// aborts the whole rotation (the caller rolls back).
Result<RotateResult> rotate_key(db::AdminTx& tx, const MasterKey& from, const MasterKey& to,
                                const Actor& actor, DryRun dry_run);

} // namespace crm::tenant
