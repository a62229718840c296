// OpenSSL EVP wrappers, encodings, constant-time compare and bcrypt (libxcrypt).
#pragma once
#include "core/result.hpp"
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::crypto {

/// Raw bytes in a std::string.
using Bytes = std::string;

/// SHA-256 digest (32 raw bytes).
Bytes sha256(std::string_view data);
/// Incremental SHA-256 (OpenSSL EVP): update() any number of chunks, then read the digest of
/// everything so far (reading does not end the hash; more updates may follow). Movable.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  /// Feeds more bytes.
  void update(std::string_view data);
  /// Digest of all bytes fed so far (32 raw bytes).
  Bytes digest() const;
  /// Lower-case hex of digest().
  std::string hex_digest() const;

private:
  struct Ctx;
  Ctx* m_ctx;
};

/// HMAC-SHA256 (32 raw bytes).
Bytes hmac_sha256(std::string_view key, std::string_view data);
/// HMAC-SHA1 (20 raw bytes), as Twilio signs webhooks.
Bytes hmac_sha1(std::string_view key, std::string_view data);
/// Lower-case hex encoding.
std::string hex(std::string_view bytes);
/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding optional, whitespace not allowed).
Result<Bytes> base64_decode(std::string_view text);
/// Base64url without padding (tokens in URLs).
std::string base64url_encode(std::string_view bytes);
/// Cryptographically secure random bytes.
Bytes random_bytes(std::size_t n);
/// Equality in time independent of where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// AES-256-GCM output: 12-byte nonce, ciphertext, 16-byte tag.
struct Sealed {
  Bytes nonce;
  Bytes ciphertext;
  Bytes tag;
};
/// Encrypts with a fresh random nonce; `aad` is authenticated, not encrypted. Key must be 32 bytes.
Result<Sealed> aes256gcm_encrypt(std::string_view key, std::string_view plaintext,
                                 std::string_view aad = {});
/// Decrypts with an explicit nonce (for known-answer tests); as above.
Result<Sealed> aes256gcm_encrypt_with_nonce(std::string_view key, std::string_view nonce,
                                            std::string_view plaintext, std::string_view aad = {});
/// Decrypts and authenticates; a wrong key or tampered data is an error, never garbage.
Result<Bytes> aes256gcm_decrypt(std::string_view key, const Sealed& sealed,
                                std::string_view aad = {});

/// bcrypt `$2b$` hash of `password` with the given cost (Node's bcrypt verifies it).
Result<std::string> bcrypt_hash(std::string_view password, int cost = 12);
/// Verifies a password against a `$2a$`/`$2b$`/`$2y$` hash in constant time.
bool bcrypt_verify(std::string_view password, const std::string& hash);

} // namespace crm::crypto
