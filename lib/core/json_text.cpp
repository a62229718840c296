#include "core/json_text.hpp"

#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crm {

namespace {

// Which bytes a JSON string cannot hold as they are: '"', '\\' and the controls below 0x20.
const std::array<bool, 256> k_json_plain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 256; ++c)
    t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// Length of the leading run of bytes of `s` that need no JSON escaping.
std::size_t json_plain_prefix(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: any '"', '\\' or byte < 0x20 stops the run.
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // v < 0x20 unsigned  <=>  max(v, 0x20) != v
    const __m128i low = _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, space), v),
                                      _mm_set1_epi8(static_cast<char>(0xff)));
    const __m128i bad =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), low);
    if (const int mask = _mm_movemask_epi8(bad))
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && k_json_plain[static_cast<unsigned char>(p[i])])
    ++i;
  return i;
}

} // namespace

void append_json_chars(std::string& out, std::string_view s) {
  static const char* k_hex = "0123456789abcdef";
  for (;;) {
    const std::size_t run = json_plain_prefix(s);
    out.append(s.data(), run);
    if (run == s.size()) return;
    const unsigned char c = static_cast<unsigned char>(s[run]);
    s.remove_prefix(run + 1);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      const char u[6] = {'\\', 'u', '0', '0', k_hex[c >> 4], k_hex[c & 15]};
      out.append(u, 6);
    }
    }
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_chars(out, s);
  out.push_back('"');
}

} // namespace crm
