// Webhook signature verification on the raw bytes, one function per provider scheme
// (shared/docs/providers.md, shared/docs/webhooks.md promises 1-4). Pure: the current time is an
// argument, secrets are given (several for rotation), nothing is parsed before it is verified.
// Every comparison of a computed signature is constant-time.
#pragma once
#include "core/result.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::webhook {

/// Why a request failed verification (every one is a 401; the reason goes to the log).
enum class Verdict {
  ok,
  missing,   // no signature header (or no secret configured to check it with)
  malformed, // the header does not parse (bad scheme, non-numeric or non-finite timestamp)
  stale,     // timestamp outside the tolerance, either way
  mismatch,  // no signature matched any secret
};
const char* verdict_name(Verdict v);

struct Verification {
  Verdict verdict = Verdict::missing;
  std::string reason; // one line for the log; never contains a secret or a signature
  bool ok() const { return verdict == Verdict::ok; }
};

/// Unix time in seconds.
using UnixSeconds = std::int64_t;

/// application/x-www-form-urlencoded body as (key, value) pairs in body order, '+' as space and
/// %XX decoded. A malformed escape (%G1, a trailing %) is a usage error; so is a NUL.
Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body);

/// Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, url + each form parameter sorted
/// by key then value, as key + value)). `url` is the full URL Twilio requested (scheme, host,
/// path, query); it is tried as given and with the default port added or removed. A JSON body
/// (`json_body` true) is signed through the URL's bodySHA256 parameter, which must equal the hex
/// SHA-256 of the body. Any of `auth_tokens` may match (token rotation).
Verification verify_twilio(std::string_view url, std::string_view body, bool json_body,
                           std::string_view signature_header,
                           const std::vector<std::string>& auth_tokens);
/// The signature Twilio would send (tests, the simulator).
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const std::vector<std::pair<std::string, std::string>>& params);

/// ElevenLabs-Signature `t=<unix s>,v0=<hex HMAC-SHA256(secret, "<t>.<body>")>`; several v0 may
/// be present. Tolerance 30 minutes (the SDK's).
Verification verify_elevenlabs(std::string_view header, std::string_view body,
                               const std::vector<std::string>& secrets, UnixSeconds now,
                               std::chrono::seconds tolerance = std::chrono::minutes(30));

/// Vapi: HMAC (`x-signature` hex HMAC-SHA256(secret, "<x-timestamp>.<body>"), timestamp in
/// seconds or milliseconds), else `Authorization: Bearer <secret>`, else the legacy
/// `X-Vapi-Secret: <secret>`. Tolerance 5 minutes for the HMAC form.
struct VapiHeaders {
  std::string signature, timestamp, authorization, legacy_secret;
};
Verification verify_vapi(const VapiHeaders& h, std::string_view body,
                         const std::vector<std::string>& secrets, UnixSeconds now,
                         std::chrono::seconds tolerance = std::chrono::minutes(5));

/// Retell's x-retell-signature `v=<unix ms>,d=<hex HMAC-SHA256(api key, body + v)>`; tolerance 5
/// minutes both ways.
Verification verify_retell(std::string_view header, std::string_view body,
                           const std::vector<std::string>& api_keys, UnixSeconds now,
                           std::chrono::seconds tolerance = std::chrono::minutes(5));

/// Standard Webhooks: webhook-id, webhook-timestamp (seconds), webhook-signature with one or
/// more space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>`; keys `whsec_<base64>`.
Verification verify_standard(std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body,
                             const std::vector<std::string>& keys, UnixSeconds now,
                             std::chrono::seconds tolerance = std::chrono::minutes(5));

} // namespace crm::webhook
