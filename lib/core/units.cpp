#include "core/units.hpp"
#include <string>

namespace crm {
namespace {
bool split_number(std::string_view t, std::uint64_t& n, std::string_view& unit) {
  std::size_t i = 0;
  n = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    if (n > (UINT64_MAX - 9) / 10) return false;
    n = n * 10 + static_cast<std::uint64_t>(t[i] - '0');
    ++i;
  }
  unit = t.substr(i);
  return i > 0;
}
} // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view u;
  auto bad = [&] {
    return make_error(ErrorKind::usage, "'" + std::string(text) +
                                            "' is not a duration: use a number with ms, s, m, h "
                                            "or d, e.g. 30s or 90d");
  };
  if (!split_number(text, n, u)) return bad();
  long long v = static_cast<long long>(n);
  if (u == "ms") return std::chrono::milliseconds(v);
  if (u == "s") return std::chrono::milliseconds(v * 1000);
  if (u == "m") return std::chrono::milliseconds(v * 60'000);
  if (u == "h") return std::chrono::milliseconds(v * 3'600'000);
  if (u == "d") return std::chrono::milliseconds(v * 86'400'000);
  return bad();
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view u;
  if (!split_number(text, n, u))
    return make_error(ErrorKind::usage,
                      "'" + std::string(text) + "' is not a size: use e.g. 512KiB or 1MiB");
  if (u.empty() || u == "B") return n;
  if (u == "KiB") return n << 10;
  if (u == "MiB") return n << 20;
  if (u == "GiB") return n << 30;
  if (u == "KB") return n * 1000;
  if (u == "MB") return n * 1000'000;
  if (u == "GB") return n * 1000'000'000;
  return make_error(ErrorKind::usage,
                    "'" + std::string(text) + "' is not a size: use e.g. 512KiB or 1MiB");
}

} // namespace crm
