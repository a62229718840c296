// Durations ("3s", "24h", "90d") and sizes ("1MiB") given on the command line.
#pragma once
#include "core/result.hpp"
#include <chrono>
#include <cstdint>
#include <string_view>

namespace crm {

/// Parses a duration: a whole number followed by ms, s, m, h or d ("500ms", "3s", "90d").
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
/// Parses a byte size: a whole number optionally followed by B, KiB, MiB, GiB, KB, MB, GB.
Result<std::uint64_t> parse_size(std::string_view text);

} // namespace crm
