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
  std::uint64_t per = 0;
  if (u == "ms")
    per = 1;
  else if (u == "s")
    per = 1000;
  else if (u == "m")
    per = 60'000;
  else if (u == "h")
    per = 3'600'000;
  else if (u == "d")
    per = 86'400'000;
  else
    return bad();
  // At most 100 years: beyond that a time point wraps around (a key "born expired").
  constexpr std::uint64_t k_max_ms = 100ULL * 366 * 86'400'000;
  if (n > k_max_ms / per)
    return make_error(ErrorKind::usage, "'" + std::string(text) +
                                            "' is too long a duration: at most 100 years (36600d)");
  return std::chrono::milliseconds(static_cast<long long>(n * per));
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
