// Result<T> and Error: errors are values inside lib/ (see lib/README.md).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace crm {

/// What went wrong, in the vocabulary of the exit codes (shared/docs/cli.md).
enum class ErrorKind {
  unexpected,      // 1
  usage,           // 2
  not_found,       // 3
  conflict,        // 4
  findings,        // 5
  upstream,        // 6: the provider failed, refused or could not be reached
  outcome_unknown, // 6: the request was sent and no complete answer came back; it may have been
                   //    processed, so read the provider's state before doing it again
  db_unavailable,  // 7
  partial,         // 8
  config,          // 10
  interrupted,     // 130
};

/// A failure: kind, one human sentence, optional SQLSTATE, a context chain (outermost first) and,
/// for a provider's answer, its HTTP status and the provider's own error code and message.
struct Error {
  ErrorKind kind = ErrorKind::unexpected;
  std::string message;
  std::string sqlstate{};
  std::vector<std::string> context{};
  /// HTTP status of the provider's answer (0 when there was none).
  int http_status = 0;
  /// The provider's error code as text ("21452", "invalid_api_key", "invalid_grant"), or empty.
  std::string provider_code{};
  /// The provider's own error message, or empty.
  std::string provider_message{};

  /// Adds "while doing X" context; returned by value for chaining.
  Error with_context(std::string what) && {
    context.insert(context.begin(), std::move(what));
    return std::move(*this);
  }
  /// The message with the context chain: "ctx: ctx: message".
  std::string full_message() const {
    std::string s;
    for (const auto& c : context)
      s += c + ": ";
    return s + message;
  }
};

inline Error make_error(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

/// A value or an Error.
template <class T> class [[nodiscard]] Result {
public:
  Result(T value) : m_v(std::move(value)) {}
  Result(Error error) : m_v(std::move(error)) {}
  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T* operator->() { return &std::get<0>(m_v); }
  const T* operator->() const { return &std::get<0>(m_v); }
  T& operator*() & { return std::get<0>(m_v); }
  const T& operator*() const& { return std::get<0>(m_v); }
  T&& operator*() && { return std::get<0>(std::move(m_v)); }
  const Error& error() const& { return std::get<1>(m_v); }
  Error&& error() && { return std::get<1>(std::move(m_v)); }

private:
  std::variant<T, Error> m_v;
};

/// Success with no value, or an Error.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : m_e(std::move(error)) {}
  bool ok() const { return !m_e.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const {}
  const Error& error() const& { return *m_e; }
  Error&& error() && { return std::move(*m_e); }

private:
  std::optional<Error> m_e;
};

using Status = Result<void>;

} // namespace crm

/// Evaluates a Result-returning expression; on error returns the error from the current function.
#define CRM_TRY(expr)                                                                              \
  do {                                                                                             \
    auto&& crm_try_r_ = (expr);                                                                    \
    if (!crm_try_r_.ok()) return std::move(crm_try_r_).error();                                    \
  } while (0)

/// Declares `decl` initialised from the value of a Result, or returns its error.
#define CRM_CONCAT_INNER(a, b) a##b
#define CRM_CONCAT(a, b) CRM_CONCAT_INNER(a, b)
#define CRM_TRY_ASSIGN(decl, expr) CRM_TRY_ASSIGN_IMPL(CRM_CONCAT(crm_try_v_, __LINE__), decl, expr)
#define CRM_TRY_ASSIGN_IMPL(tmp, decl, expr)                                                       \
  auto tmp = (expr);                                                                               \
  if (!tmp.ok()) return std::move(tmp).error();                                                    \
  decl = std::move(tmp).value()
