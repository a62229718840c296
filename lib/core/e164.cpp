#include "core/e164.hpp"

namespace crm {

bool is_e164(std::string_view s) {
  if (s.size() < 8 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  for (std::size_t i = 2; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

Result<std::string> parse_e164(std::string_view s) {
  if (!is_e164(s))
    return make_error(ErrorKind::usage, "'" + std::string(s) +
                                            "' is not an E.164 number: use + then 7 to 15 digits, "
                                            "e.g. +14155550100");
  return std::string(s);
}

} // namespace crm
