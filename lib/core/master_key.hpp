// The credentials-vault master key: where it comes from and its id.
#pragma once
#include "core/config.hpp"
#include "core/env.hpp"
#include "core/result.hpp"
#include <string>

namespace crm {

/// A 32-byte AES key and a short public id ("k1a2b3c4d") stored next to each ciphertext.
struct MasterKey {
  std::string bytes;
  std::string id;
};

/// Decodes a base64 32-byte key; the id is "k" + 8 hex of SHA-256(key).
Result<MasterKey> master_key_from_base64(const std::string& b64, const std::string& origin);
/// $CRMCTL_MASTER_KEY, then the file named by $CRMCTL_MASTER_KEY_FILE, then the profile's
/// master_key reference; a config error (exit 10) saying how to set one when none is found.
Result<MasterKey> load_master_key(const Settings& s, const EnvLookup& env);

} // namespace crm
