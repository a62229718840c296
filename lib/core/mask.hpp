// Secret masking for every output and log line.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace crm {

/// Masked form of a secret: a short type prefix kept ("sk_", "AC"), the rest hidden except the last
/// four characters when the secret is long enough ("sk_…abcd"); short secrets become "****".
std::string mask_secret(std::string_view secret);
/// Hides the password of a URL ("postgresql://u:****@h/db"); other text unchanged.
std::string mask_url_password(std::string_view url);

/// Replaces known secret values (and URL passwords) in free text; used by the logger and renderers.
class Redactor {
public:
  /// Registers a value that must never be printed; values shorter than 4 characters are ignored.
  void add(std::string secret);
  /// `text` with every registered secret and URL password masked.
  std::string redact(std::string_view text) const;

private:
  std::vector<std::string> m_secrets;
};

} // namespace crm
