#include "core/money.hpp"
#include "core/input.hpp"
#include <algorithm>
#include <stdexcept>

namespace crm {
namespace {
constexpr int k_max_scale = 18; // products are rounded back to it
__int128 pow10(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i)
    p *= 10;
  return p;
}
} // namespace

Result<Decimal> Decimal::parse(std::string_view text, DecimalLimits limits) {
  auto column = [&] {
    return "numeric(" + std::to_string(limits.integer_digits + limits.scale) + "," +
           std::to_string(limits.scale) + ")";
  };
  auto not_decimal = [&] {
    return make_error(ErrorKind::usage,
                      "'" + excerpt(text) + "' is not a decimal amount (use digits like 13.58)");
  };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto dot = s.find('.');
  std::string_view int_part = s.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (int_part.empty() && frac_part.empty()) return not_decimal();
  for (std::string_view part : {int_part, frac_part})
    for (char c : part)
      if (c < '0' || c > '9') return not_decimal();
  while (!int_part.empty() && int_part.front() == '0')
    int_part.remove_prefix(1);
  // Zeros past the column's scale change nothing; any other digit there would be rounded away.
  while (static_cast<int>(frac_part.size()) > limits.scale && frac_part.back() == '0')
    frac_part.remove_suffix(1);
  if (static_cast<int>(int_part.size()) > limits.integer_digits)
    return make_error(ErrorKind::usage,
                      "'" + excerpt(text) + "' has " + std::to_string(int_part.size()) +
                          " digits before the decimal point: at most " +
                          std::to_string(limits.integer_digits) + " fit (" + column() + ")");
  if (static_cast<int>(frac_part.size()) > limits.scale)
    return make_error(ErrorKind::usage,
                      "'" + excerpt(text) + "' has " + std::to_string(frac_part.size()) +
                          " decimal places: at most " + std::to_string(limits.scale) +
                          " are kept (" + column() +
                          "); round it yourself, it is never rounded "
                          "silently");
  __int128 units = 0;
  for (std::string_view part : {int_part, frac_part})
    for (char c : part)
      units = units * 10 + (c - '0');
  return Decimal(neg ? -units : units, static_cast<int>(frac_part.size()));
}

bool Decimal::fits(DecimalLimits limits) const {
  __int128 u = m_units < 0 ? -m_units : m_units;
  if (m_scale > limits.scale) {
    __int128 drop = pow10(m_scale - limits.scale);
    if (u % drop != 0) return false;
    u /= drop;
  }
  int scale = std::min(m_scale, limits.scale);
  return u / pow10(scale) < pow10(limits.integer_digits);
}

Decimal Decimal::rescaled(int scale) const {
  if (scale <= m_scale) return *this;
  return Decimal(m_units * pow10(scale - m_scale), scale);
}

Decimal Decimal::operator+(const Decimal& o) const {
  int s = std::max(m_scale, o.m_scale);
  return Decimal(rescaled(s).m_units + o.rescaled(s).m_units, s);
}
Decimal Decimal::operator-(const Decimal& o) const {
  return *this + (-o);
}

Decimal Decimal::operator*(const Decimal& o) const {
  Decimal r(m_units * o.m_units, m_scale + o.m_scale);
  if (r.m_scale > k_max_scale) r = r.round_half_up(k_max_scale);
  return r;
}

std::strong_ordering Decimal::operator<=>(const Decimal& o) const {
  int s = std::max(m_scale, o.m_scale);
  __int128 a = rescaled(s).m_units, b = o.rescaled(s).m_units;
  return a < b ? std::strong_ordering::less
               : (a > b ? std::strong_ordering::greater : std::strong_ordering::equal);
}

Decimal Decimal::round_half_up(int digits) const {
  if (digits >= m_scale) return rescaled(digits);
  __int128 div = pow10(m_scale - digits);
  __int128 q = m_units / div, r = m_units % div;
  if (r < 0) r = -r;
  if (r * 2 >= div) q += (m_units < 0 ? -1 : 1);
  return Decimal(q, digits);
}

Decimal Decimal::divided_by(long long divisor, int digits) const {
  if (divisor <= 0) throw std::invalid_argument("Decimal::divided_by: divisor must be positive");
  __int128 num = m_units, den = divisor;
  if (digits >= m_scale)
    num *= pow10(digits - m_scale);
  else
    den *= pow10(m_scale - digits);
  __int128 q = num / den, r = num % den;
  if (r < 0) r = -r;
  if (r * 2 >= den) q += (num < 0 ? -1 : 1);
  return Decimal(q, digits);
}

std::string Decimal::to_string(int digits) const {
  Decimal d = round_half_up(digits);
  __int128 u = d.m_units < 0 ? -d.m_units : d.m_units;
  std::string s;
  do {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u > 0);
  while (static_cast<int>(s.size()) <= digits)
    s.push_back('0');
  std::reverse(s.begin(), s.end());
  if (digits > 0) s.insert(s.size() - static_cast<std::size_t>(digits), ".");
  if (d.m_units < 0) s.insert(0, "-");
  return s;
}

std::string Decimal::to_string() const {
  std::string s = to_string(m_scale);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

} // namespace crm
