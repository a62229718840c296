// JSON parsing that keeps decimal numbers exact: money arrives as JSON numbers (provider costs,
// imported call histories) and must never pass through a double.
#pragma once
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace crm {

/// Parses `text` like nlohmann::json::parse, except that a number with a fraction or an exponent
/// (or an integer too large for 64 bits) becomes a string holding its token text exactly as
/// written ("0.123456789012345678"); integers that fit stay integers. A syntax error is a usage
/// error naming `origin` and the byte offset. Nesting is bounded by check_json_shape.
Result<nlohmann::json> parse_json_exact(std::string_view text, const std::string& origin);

} // namespace crm
