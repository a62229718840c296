#include "core/ids.hpp"
#include "core/crypto.hpp"

#include <cctype>

namespace crm {

std::string uuid_v4() {
  std::string b = crypto::random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = crypto::hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

namespace {

// ASCII for U+00C0..U+00FF (Latin-1 Supplement letters); "" = not a letter (× ÷).
const char* const k_latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",  // C0-CF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss", // D0-DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",  // E0-EF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",  // F0-FF
};

// ASCII for U+0100..U+017F (Latin Extended-A), as runs of code points.
struct Run {
  char32_t last;
  const char* ascii;
};
const Run k_latin_ext_a[] = {
    {0x105, "a"}, {0x10D, "c"},  {0x111, "d"}, {0x11B, "e"}, {0x123, "g"}, {0x127, "h"},
    {0x131, "i"}, {0x133, "ij"}, {0x135, "j"}, {0x138, "k"}, {0x142, "l"}, {0x14B, "n"},
    {0x151, "o"}, {0x153, "oe"}, {0x159, "r"}, {0x161, "s"}, {0x167, "t"}, {0x173, "u"},
    {0x175, "w"}, {0x178, "y"},  {0x17E, "z"}, {0x17F, "s"},
};

// The ASCII letters a Latin letter stands for, or "" (a separator: punctuation, emoji, other
// scripts). ASCII letters and digits come back lower-cased.
std::string ascii_of(char32_t cp) {
  if (cp < 0x80) {
    auto c = static_cast<unsigned char>(cp);
    return isalnum(c) ? std::string(1, static_cast<char>(tolower(c))) : "";
  }
  if (cp >= 0xC0 && cp <= 0xFF) return k_latin1[cp - 0xC0];
  if (cp >= 0x100 && cp <= 0x17F)
    for (const auto& r : k_latin_ext_a)
      if (cp <= r.last) return r.ascii;
  return "";
}

// The code point starting at s[i] and its length; a malformed byte is U+FFFD of length 1.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = b0 < 0x80           ? 1
                    : (b0 >> 5) == 0x6  ? 2
                    : (b0 >> 4) == 0xE  ? 3
                    : (b0 >> 3) == 0x1E ? 4
                                        : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp;
}

} // namespace

std::string slugify(std::string_view name) {
  std::string out;
  bool dash = false;
  for (std::size_t i = 0; i < name.size() && out.size() < 63;) {
    std::string ascii = ascii_of(next_code_point(name, i));
    if (ascii.empty()) {
      dash = true;
      continue;
    }
    if (dash && !out.empty()) out.push_back('-');
    dash = false;
    for (char c : ascii)
      if (out.size() < 63) out.push_back(c);
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out;
}

bool is_valid_slug(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (unsigned char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

} // namespace crm
