// RFC 3339 timestamps read strictly (imports, webhook payloads).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace crm {

/// Unix time of an RFC 3339 timestamp with an offset ("2026-11-03T09:15:00Z", "...-08:00",
/// fractions of a second allowed and dropped, 'T' or ' ' between date and time); nullopt when it
/// is not one or not a real date (Feb 30, hour 24), or before 1970.
std::optional<long long> parse_rfc3339(std::string_view s);

} // namespace crm
