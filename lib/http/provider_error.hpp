// Turning a provider's non-2xx answer into an Error that carries the HTTP status and the
// provider's own code and message (what a saga needs to decide: retry, reconcile, give up).
// It lives in lib/http, not lib/providers, because it only reads a Response: every provider
// client (and anything else speaking HTTP) can use it without depending on lib/providers.
#pragma once
#include "core/result.hpp"
#include "http/client.hpp"

#include <string>

namespace crm::http {

/// What a provider said about a failure.
struct ProviderFault {
  int http_status = 0;
  /// The provider's error code as text ("21452", "invalid_api_key", "invalid_grant"); may be empty.
  std::string code{};
  /// The provider's human message; "HTTP <status>" when the body carries none.
  std::string message{};
};

/// Reads the documented error bodies (shared/docs/providers.md):
/// - Twilio `{"code":21452,"message":"...","more_info":"...","status":400}`
/// - ElevenLabs `{"detail":{"status":"invalid_api_key","message":"..."}}`, `{"detail":"..."}`, or
///   422 `{"detail":[{"loc":["body","x"],"msg":"...","type":"..."}]}` (messages joined with "; ")
/// - Vapi `{"message":"..." | ["...", ...],"error":"Bad Request","statusCode":400}`
/// - Retell `{"error_message":"..."}` or `{"status":"error","message":"..."}`
/// - Google OAuth `{"error":"invalid_grant","error_description":"..."}` and Google APIs
///   `{"error":{"code":401,"message":"...","status":"UNAUTHENTICATED"}}`
/// Anything else: a short plain-text body as the message, otherwise "HTTP <status>".
ProviderFault parse_provider_fault(const Response& r);

/// An Error of `kind` for a provider's answer: http_status, provider_code and provider_message
/// filled, message "<summary>: <provider message>" (plus " (code N)" when there is a code).
Error provider_error(const Response& r, ErrorKind kind, const std::string& summary);

/// The usual kind for a provider's status: 401/403 → config (credentials), 404 → not_found,
/// 409 → conflict, anything else → upstream.
ErrorKind error_kind_for_status(int status);

} // namespace crm::http
