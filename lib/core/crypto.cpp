#include "core/crypto.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace crm::crypto {
namespace {

Bytes digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
    throw std::runtime_error("EVP_Digest failed");
  return Bytes(reinterpret_cast<char*>(out), len);
}

Bytes hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC failed");
  return Bytes(reinterpret_cast<char*>(out), len);
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
const auto* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

} // namespace

Bytes sha256(std::string_view data) {
  return digest(EVP_sha256(), data);
}
// The opaque EVP_MD_CTX behind Sha256 (kept out of the header).
struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : m_ctx(new Ctx) {
  m_ctx->md = EVP_MD_CTX_new();
  if (!m_ctx->md || EVP_DigestInit_ex(m_ctx->md, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_ctx->md);
    delete m_ctx;
    throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
  }
}
Sha256::~Sha256() {
  if (m_ctx) EVP_MD_CTX_free(m_ctx->md);
  delete m_ctx;
}
Sha256::Sha256(Sha256&& other) noexcept : m_ctx(other.m_ctx) {
  other.m_ctx = nullptr;
}
Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    if (m_ctx) EVP_MD_CTX_free(m_ctx->md);
    delete m_ctx;
    m_ctx = other.m_ctx;
    other.m_ctx = nullptr;
  }
  return *this;
}
void Sha256::update(std::string_view data) {
  if (!m_ctx) throw std::logic_error("Sha256 used after move");
  if (!data.empty() && EVP_DigestUpdate(m_ctx->md, data.data(), data.size()) != 1)
    throw std::runtime_error("EVP_DigestUpdate failed");
}
Bytes Sha256::digest() const {
  if (!m_ctx) throw std::logic_error("Sha256 used after move");
  // Finalise a copy, so the running hash can continue.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> copy(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), m_ctx->md) != 1 ||
      EVP_DigestFinal_ex(copy.get(), out, &len) != 1)
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  return Bytes(reinterpret_cast<char*>(out), len);
}
std::string Sha256::hex_digest() const {
  return hex(digest());
}

Bytes hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), key, data);
}
Bytes hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}

std::string hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '\0');
  char* out = s.data();
  for (unsigned char c : bytes) {
    *out++ = k_digits[c >> 4];
    *out++ = k_digits[c & 15];
  }
  return s;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), u8(bytes),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  std::string padded(text);
  while (padded.size() % 4)
    padded.push_back('=');
  for (char c : padded)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return make_error(ErrorKind::usage, "invalid base64 text");
  std::string out(padded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), u8(padded),
                          static_cast<int>(padded.size()));
  if (n < 0) return make_error(ErrorKind::usage, "invalid base64 text");
  std::size_t pad = 0;
  for (auto it = padded.rbegin(); it != padded.rend() && *it == '='; ++it)
    ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  for (char& c : s) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return s;
}

Bytes random_bytes(std::size_t n) {
  Bytes b(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return b;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Sealed> aes256gcm_encrypt(std::string_view key, std::string_view plaintext,
                                 std::string_view aad) {
  return aes256gcm_encrypt_with_nonce(key, random_bytes(12), plaintext, aad);
}

Result<Sealed> aes256gcm_encrypt_with_nonce(std::string_view key, std::string_view nonce,
                                            std::string_view plaintext, std::string_view aad) {
  if (key.size() != 32) return make_error(ErrorKind::config, "AES-256-GCM key must be 32 bytes");
  if (nonce.size() != 12) return make_error(ErrorKind::unexpected, "GCM nonce must be 12 bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  Sealed s;
  s.nonce = Bytes(nonce);
  s.ciphertext.resize(plaintext.size());
  s.tag.resize(16);
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u8(key), u8(nonce));
  if (ok && !aad.empty())
    ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size()));
  if (ok && !plaintext.empty())
    ok = EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(s.ciphertext.data()), &len,
                           u8(plaintext), static_cast<int>(plaintext.size()));
  int fin = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), nullptr, &fin) &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, s.tag.data());
  if (!ok) return make_error(ErrorKind::unexpected, "AES-256-GCM encryption failed");
  return s;
}

Result<Bytes> aes256gcm_decrypt(std::string_view key, const Sealed& s, std::string_view aad) {
  if (key.size() != 32) return make_error(ErrorKind::config, "AES-256-GCM key must be 32 bytes");
  if (s.nonce.size() != 12 || s.tag.size() != 16)
    return make_error(ErrorKind::config, "sealed value is malformed (nonce or tag length)");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  Bytes out(s.ciphertext.size(), '\0');
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u8(key), u8(s.nonce));
  if (ok && !aad.empty())
    ok = EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size()));
  if (ok && !s.ciphertext.empty())
    ok = EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                           u8(s.ciphertext), static_cast<int>(s.ciphertext.size()));
  Bytes tag = s.tag;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data());
  int fin = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), nullptr, &fin) == 1;
  if (!ok)
    return make_error(ErrorKind::config,
                      "decryption failed: wrong master key or tampered ciphertext");
  return out;
}

Result<std::string> bcrypt_hash(std::string_view password, int cost) {
  if (password.size() > 72)
    return make_error(ErrorKind::usage, "password longer than 72 bytes (bcrypt limit)");
  Bytes rnd = random_bytes(16);
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), rnd.data(),
                        static_cast<int>(rnd.size()), salt, sizeof salt))
    return make_error(ErrorKind::unexpected, "bcrypt salt generation failed");
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* h = crypt_r(pw.c_str(), salt, data.get());
  if (!h || h[0] == '*') return make_error(ErrorKind::unexpected, "bcrypt hashing failed");
  return std::string(h);
}

bool bcrypt_verify(std::string_view password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* h = crypt_r(pw.c_str(), hash.c_str(), data.get());
  if (!h || h[0] == '*') return false;
  return constant_time_equal(h, hash);
}

} // namespace crm::crypto
