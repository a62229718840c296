// Exact decimal money: never a double on a money path.
#pragma once
#include "core/result.hpp"
#include <compare>
#include <string>
#include <string_view>

namespace crm {

/// What a PostgreSQL numeric(precision, scale) column holds: digits before and after the point.
struct DecimalLimits {
  int integer_digits = 14;
  int scale = 6;
};
/// numeric(20, 6): per-minute costs and rates, balances.
inline constexpr DecimalLimits k_numeric_20_6{14, 6};
/// numeric(20, 2): prices and amounts.
inline constexpr DecimalLimits k_numeric_20_2{18, 2};

/// Fixed-point decimal: value = units / 10^scale, scale 0..18, 128-bit units.
class Decimal {
public:
  Decimal() = default;
  /// Parses "13.58", "-0.145", "7", "+2.50" (no exponent, no thousands separators). A value with
  /// more integer digits or more (non-zero) decimals than `limits` is a usage error naming the
  /// value and the limit: never rounded, never an overflow.
  static Result<Decimal> parse(std::string_view text, DecimalLimits limits = k_numeric_20_6);
  /// From an integer.
  static Decimal from_int(long long v) { return Decimal(v, 0); }

  Decimal operator+(const Decimal& o) const;
  Decimal operator-(const Decimal& o) const;
  Decimal operator*(const Decimal& o) const;
  Decimal operator-() const { return Decimal(-m_units, m_scale); }
  std::strong_ordering operator<=>(const Decimal& o) const;
  bool operator==(const Decimal& o) const { return (*this <=> o) == 0; }

  /// Rounds half away from zero ("half-up" on magnitudes) to `digits` fraction digits.
  Decimal round_half_up(int digits) const;
  /// The exact quotient by a positive integer, rounded once, half-up, to `digits` fraction
  /// digits (seconds x rate / 60 priced per second).
  Decimal divided_by(long long divisor, int digits) const;
  /// Text with exactly `digits` fraction digits after half-up rounding ("3.63").
  std::string to_string(int digits) const;
  /// Text with as many fraction digits as the value carries, trailing zeros trimmed.
  std::string to_string() const;
  /// True when the value has at most `limits.integer_digits` digits before the point and at
  /// most `limits.scale` non-zero digits after it.
  bool fits(DecimalLimits limits) const;
  bool is_negative() const { return m_units < 0; }
  bool is_zero() const { return m_units == 0; }

private:
  Decimal(__int128 units, int scale) : m_units(units), m_scale(scale) {}
  Decimal rescaled(int scale) const;
  __int128 m_units = 0;
  int m_scale = 0;
};

} // namespace crm
