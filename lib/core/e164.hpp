// E.164 phone numbers.
#pragma once
#include "core/result.hpp"
#include <string>
#include <string_view>

namespace crm {

/// True when `s` matches ^\+[1-9]\d{6,14}$.
bool is_e164(std::string_view s);
/// Returns `s` when valid, else a usage error naming the value and the expected form.
Result<std::string> parse_e164(std::string_view s);

} // namespace crm
