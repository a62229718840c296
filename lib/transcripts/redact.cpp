#include "transcripts/redact.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crm::transcripts {
namespace {

// ---- character classes (a table each: the scanners run over every byte) -------------------

struct Tables {
  std::array<bool, 256> trigger{}; // bytes where a match may start (or '@' of an email)
  std::array<bool, 256> alnum{};
  std::array<bool, 256> local{};  // email local part
  std::array<bool, 256> domain{}; // email domain label
  Tables() {
    for (int c = 0; c < 256; ++c) {
      bool digit = c >= '0' && c <= '9';
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      alnum[c] = digit || alpha;
      domain[c] = digit || alpha || c == '-';
      local[c] = digit || alpha || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' ||
                 c == '\'' || c >= 0x80; // UTF-8 local parts (RFC 6531)
      trigger[c] = digit || c == '+' || c == '(' || c == '@';
    }
  }
};
const Tables k_t;

// The first i in [i, n) where a match may start (a trigger byte), or n.
std::size_t next_trigger(const char* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  // 16 bytes at a time: most bytes are letters and spaces.
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8('9');
  const __m128i plus = _mm_set1_epi8('+'), paren = _mm_set1_epi8('('), at = _mm_set1_epi8('@');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i digit = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, zero), v),
                                        _mm_cmpeq_epi8(_mm_min_epu8(v, nine), v));
    const __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, plus), _mm_cmpeq_epi8(v, paren)),
                                       _mm_cmpeq_epi8(v, at));
    if (const int mask = _mm_movemask_epi8(_mm_or_si128(digit, other)))
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && !k_t.trigger[static_cast<unsigned char>(p[i])])
    ++i;
  return i;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return k_t.alnum[static_cast<unsigned char>(c)];
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Consecutive digits at s[i].
std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i + n < s.size() && is_digit(s[i + n]))
    ++n;
  return n;
}

// Value of s[i, i+n) (n <= 9).
long value_of(std::string_view s, std::size_t i, std::size_t n) {
  long v = 0;
  for (std::size_t k = 0; k < n; ++k)
    v = v * 10 + (s[i + k] - '0');
  return v;
}

// A match may end at j: end of text, or a byte that neither extends the token (letter, digit)
// nor joins another number to it ("-5", "/2", ".7").
bool end_ok(std::string_view s, std::size_t j) {
  if (j >= s.size()) return true;
  char c = s[j];
  if (is_alnum(c)) return false;
  if ((c == '-' || c == '/' || c == '.') && j + 1 < s.size() && is_digit(s[j + 1])) return false;
  return true;
}

// True when one of `words` occurs (case-insensitively) within `window` bytes before `at`. One
// pass over the window; a word is compared only where its first letter is.
bool keyword_before(std::string_view s, std::size_t at, std::size_t window,
                    std::initializer_list<std::string_view> words) {
  std::size_t from = at > window ? at - window : 0;
  const char* w = s.data() + from;
  const std::size_t len = at - from;
  for (std::size_t i = 0; i < len; ++i) {
    const char c = lower(w[i]);
    for (auto word : words) {
      if (word[0] != c || word.size() > len - i) continue;
      std::size_t k = 1;
      while (k < word.size() && lower(w[i + k]) == word[k])
        ++k;
      if (k == word.size()) return true;
    }
  }
  return false;
}
bool keyword_after(std::string_view s, std::size_t at, std::size_t window,
                   std::initializer_list<std::string_view> words) {
  std::size_t to = std::min(s.size(), at + window);
  return keyword_before(s, to, to - std::min(at, to), words);
}

const std::initializer_list<std::string_view> k_dob_words = {"birth", "born", "dob", "d.o.b",
                                                             "bday"};
const std::initializer_list<std::string_view> k_ssn_words = {"ssn", "social security", "social"};
const std::initializer_list<std::string_view> k_phone_words = {
    "call", "phone", "cell", "mobile", "reach", "text", "dial", "fax", "contact", "number"};
const std::initializer_list<std::string_view> k_not_phone_words = {
    "order",  "invoice", "reference", "ref ",   "ref#",  "ref:", "confirmation", "tracking",
    "account", "policy", "claim",     "ticket", "serial", "model", "#"};

// ---- SSN --------------------------------------------------------------------------------------

std::size_t match_ssn(std::string_view s, std::size_t i) {
  // ddd-dd-dddd / ddd dd dddd (one separator kind)
  if (digits_at(s, i) == 3 && i + 11 <= s.size()) {
    char sep = s[i + 3];
    if ((sep == '-' || sep == ' ') && digits_at(s, i + 4) == 2 && s[i + 6] == sep &&
        digits_at(s, i + 7) == 4 && end_ok(s, i + 11))
      return 11;
  }
  // nine digits, said to be a social security number
  if (digits_at(s, i) == 9 && end_ok(s, i + 9) && keyword_before(s, i, 40, k_ssn_words)) return 9;
  return 0;
}

// ---- dates of birth ---------------------------------------------------------------------------

constexpr std::array<std::string_view, 12> k_months = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

// A month name or abbreviation (jan, feb, sep, sept, ...) at s[b, e).
bool is_month(std::string_view s, std::size_t b, std::size_t e) {
  std::size_t n = e - b;
  if (n < 3 || n > 9) return false;
  for (auto m : k_months) {
    if (n > m.size()) continue;
    if (n != m.size() && n != 3 && !(n == 4 && m == "september")) continue;
    std::size_t k = 0;
    while (k < n && lower(s[b + k]) == m[k])
      ++k;
    if (k == n) return true;
  }
  return false;
}

bool birth_year(long y) {
  return y >= 1900 && y <= 2009;
}

// Whether a date at s[b, e) is a date of birth: said so nearby, or a birth-like full year.
bool is_dob(std::string_view s, std::size_t b, std::size_t e, long year4) {
  if (keyword_before(s, b, 48, k_dob_words)) return true;
  if (keyword_after(s, e, 24, {"birthday", "birth", "dob"})) return true;
  return year4 > 0 && birth_year(year4);
}

// 1st, 2nd, 3rd, 4th ... after a day number.
std::size_t ordinal_suffix(std::string_view s, std::size_t j) {
  if (j + 2 > s.size()) return 0;
  char a = lower(s[j]), b = lower(s[j + 1]);
  if ((a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
      (a == 't' && b == 'h'))
    return (j + 2 >= s.size() || !is_alnum(s[j + 2])) ? 2 : 0;
  return 0;
}

// ", 1985" / " 1985" after a month-name date: the end and the year (0 when none).
std::pair<std::size_t, long> year_after(std::string_view s, std::size_t j) {
  std::size_t k = j;
  if (k < s.size() && s[k] == ',') ++k;
  std::size_t sp = 0;
  while (k + sp < s.size() && s[k + sp] == ' ')
    ++sp;
  if (sp == 0 || sp > 2) return {j, 0};
  k += sp;
  if (digits_at(s, k) == 4 && end_ok(s, k + 4)) return {k + 4, value_of(s, k, 4)};
  return {j, 0};
}

// Numeric dates: mm/dd/yyyy, dd.mm.yy, yyyy-mm-dd (one separator kind).
std::size_t match_numeric_date(std::string_view s, std::size_t i) {
  std::size_t a = digits_at(s, i);
  if (a == 0 || a > 4 || i + a >= s.size()) return 0;
  char sep = s[i + a];
  if (sep != '/' && sep != '-' && sep != '.') return 0;
  std::size_t j = i + a + 1;
  std::size_t b = digits_at(s, j);
  if (b == 0 || b > 2 || j + b >= s.size() || s[j + b] != sep) return 0;
  std::size_t k = j + b + 1;
  std::size_t c = digits_at(s, k);
  std::size_t end = k + c;
  if (!end_ok(s, end)) return 0;
  long va = value_of(s, i, a), vb = value_of(s, j, b);
  long year4 = 0;
  if (a == 4) { // yyyy-mm-dd
    if (c == 0 || c > 2) return 0;
    long vc = value_of(s, k, c);
    if (vb < 1 || vb > 12 || vc < 1 || vc > 31) return 0;
    year4 = va;
  } else {
    if (a > 2 || (c != 2 && c != 4)) return 0;
    bool md = va >= 1 && va <= 12 && vb >= 1 && vb <= 31;
    bool dm = vb >= 1 && vb <= 12 && va >= 1 && va <= 31;
    if (!md && !dm) return 0;
    if (c == 4) year4 = value_of(s, k, 4);
  }
  return is_dob(s, i, end, year4) ? end - i : 0;
}

// "March 5, 1985" (the month before the day number at i): the span's begin and end.
std::pair<std::size_t, std::size_t> match_month_first(std::string_view s, std::size_t i) {
  std::size_t d = digits_at(s, i);
  if (d == 0 || d > 2 || i < 4) return {0, 0};
  long day = value_of(s, i, d);
  if (day < 1 || day > 31) return {0, 0};
  std::size_t p = i;
  while (p > 0 && s[p - 1] == ' ' && i - p < 2)
    --p;
  if (p == i) return {0, 0};
  if (p > 0 && s[p - 1] == '.') --p; // "Sept. 5"
  std::size_t we = p;
  while (p > 0 && is_alpha(s[p - 1]) && we - p < 10)
    --p;
  if (p > 0 && is_alnum(s[p - 1])) return {0, 0};
  if (!is_month(s, p, we)) return {0, 0};
  std::size_t end = i + d;
  end += ordinal_suffix(s, end);
  if (!end_ok(s, end) && !(end < s.size() && s[end] == ',')) return {0, 0};
  auto [yend, year] = year_after(s, end);
  if (year) end = yend;
  if (!is_dob(s, p, end, year)) return {0, 0};
  return {p, end};
}

// "5 March 1985" / "5th of March": the end (0 when not a date of birth).
std::size_t match_day_first(std::string_view s, std::size_t i) {
  std::size_t d = digits_at(s, i);
  if (d == 0 || d > 2) return 0;
  long day = value_of(s, i, d);
  if (day < 1 || day > 31) return 0;
  std::size_t j = i + d;
  j += ordinal_suffix(s, j);
  if (j >= s.size() || s[j] != ' ') return 0;
  ++j;
  if (j + 3 <= s.size() && lower(s[j]) == 'o' && lower(s[j + 1]) == 'f' && s[j + 2] == ' ') j += 3;
  std::size_t mb = j;
  while (j < s.size() && is_alpha(s[j]) && j - mb < 10)
    ++j;
  if (!is_month(s, mb, j) || (j < s.size() && is_alnum(s[j]))) return 0;
  if (j < s.size() && s[j] == '.') ++j;
  std::size_t end = j;
  auto [yend, year] = year_after(s, end);
  if (year) end = yend;
  return is_dob(s, i, end, year) ? end - i : 0;
}

// ---- payment cards ----------------------------------------------------------------------------

std::size_t match_card(std::string_view s, std::size_t i) {
  char digits[20];
  std::size_t n = 0, j = i, end = i;
  while (j < s.size()) {
    if (is_digit(s[j])) {
      if (n == 19) return 0; // longer than any card number
      digits[n++] = s[j++];
      end = j;
      continue;
    }
    if ((s[j] == ' ' || s[j] == '-') && j + 1 < s.size() && is_digit(s[j + 1]) && n > 0) {
      ++j;
      continue;
    }
    break;
  }
  if (n < 13 || !end_ok(s, end)) return 0;
  return luhn_valid(std::string_view(digits, n)) ? end - i : 0;
}

// ---- phone numbers ----------------------------------------------------------------------------

bool phone_context_says_no(std::string_view s, std::size_t i) {
  return keyword_before(s, i, 24, k_not_phone_words);
}

// "+<country><number>" with spaces, dashes, dots or parentheses: 8 to 15 digits.
std::size_t match_e164(std::string_view s, std::size_t i) {
  std::size_t j = i + 1, n = 0, end = 0;
  if (j >= s.size() || !is_digit(s[j]) || s[j] == '0') return 0;
  while (j < s.size()) {
    char c = s[j];
    if (is_digit(c)) {
      ++n;
      ++j;
      end = j;
      continue;
    }
    bool sep = c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
    if (sep && j + 1 < s.size() && (is_digit(s[j + 1]) || s[j + 1] == '(' || s[j + 1] == ' ')) {
      ++j;
      continue;
    }
    break;
  }
  if (n < 8 || n > 15 || !end_ok(s, end)) return 0;
  return end - i;
}

// (415) 555-0100 / (415)555-0100 / (415) 555 0100 at s[i] == '('.
std::size_t match_paren(std::string_view s, std::size_t i) {
  if (digits_at(s, i + 1) != 3 || i + 5 >= s.size() || s[i + 4] != ')') return 0;
  std::size_t j = i + 5;
  if (j < s.size() && s[j] == ' ') ++j;
  if (digits_at(s, j) != 3 || j + 3 >= s.size()) return 0;
  char sep = s[j + 3];
  if (sep != '-' && sep != '.' && sep != ' ') return 0;
  if (digits_at(s, j + 4) != 4 || !end_ok(s, j + 8)) return 0;
  return j + 8 - i;
}

// NANP and other national formats starting with a digit.
std::size_t match_national(std::string_view s, std::size_t i) {
  auto is_sep = [](char c) { return c == '-' || c == '.' || c == ' '; };
  std::size_t j = i;
  // optional trunk "1 " / "1-" before a separated or parenthesised NANP number
  if (s[i] == '1' && i + 1 < s.size() && is_sep(s[i + 1]) && digits_at(s, i) == 1) {
    if (i + 2 < s.size() && s[i + 2] == '(') {
      if (std::size_t p = match_paren(s, i + 2)) return p + 2;
      return 0;
    }
    j = i + 2;
  }
  // ddd sep ddd sep dddd
  if (digits_at(s, j) == 3 && j + 3 < s.size() && is_sep(s[j + 3]) &&
      digits_at(s, j + 4) == 3 && j + 7 < s.size() && is_sep(s[j + 7]) &&
      digits_at(s, j + 8) == 4 && end_ok(s, j + 12) && s[j] >= '2')
    return j + 12 - i;
  if (j != i) return 0;
  std::size_t d = digits_at(s, i);
  // plain 10 digits (NANP shape) or 11 starting with the trunk 1
  if ((d == 10 && s[i] >= '2' && s[i + 3] >= '2') ||
      (d == 11 && s[i] == '1' && s[i + 1] >= '2' && s[i + 4] >= '2')) {
    if (end_ok(s, i + d) && !phone_context_says_no(s, i)) return d;
    return 0;
  }
  // a local 7-digit number, only when the text says it is one
  if (d == 3 && i + 8 <= s.size() && (s[i + 3] == '-' || s[i + 3] == '.') &&
      digits_at(s, i + 4) == 4 && end_ok(s, i + 8) && s[i] >= '2' &&
      keyword_before(s, i, 32, k_phone_words) && !phone_context_says_no(s, i))
    return 8;
  // trunk-0 national numbers (UK, France and others): 10 or 11 digits in up to 5 groups
  if (s[i] == '0' && d >= 2) {
    std::size_t k = i, n = 0, groups = 0, end = i;
    while (k < s.size() && groups < 5) {
      std::size_t g = digits_at(s, k);
      if (g == 0) break;
      n += g;
      k += g;
      end = k;
      ++groups;
      if (k + 1 < s.size() && (s[k] == ' ' || s[k] == '-') && is_digit(s[k + 1]))
        ++k;
      else
        break;
    }
    if ((n == 10 || n == 11) && end_ok(s, end) && !phone_context_says_no(s, i)) return end - i;
  }
  return 0;
}

// ---- email ------------------------------------------------------------------------------------

// The email around s[at] == '@': [begin, end), or {0, 0}.
std::pair<std::size_t, std::size_t> match_email(std::string_view s, std::size_t at,
                                                std::size_t floor) {
  std::size_t b = at;
  while (b > floor && k_t.local[static_cast<unsigned char>(s[b - 1])] && at - b < 64)
    --b;
  while (b < at && (s[b] == '.' || s[b] == '-' || s[b] == '\'')) // not a local part's start
    ++b;
  if (b == at) return {0, 0};
  std::size_t j = at + 1, labels = 0, last_label = 0, end = 0;
  while (j < s.size()) {
    std::size_t lb = j;
    while (j < s.size() && k_t.domain[static_cast<unsigned char>(s[j])] && j - lb < 63)
      ++j;
    if (j == lb) break;
    ++labels;
    last_label = lb;
    end = j;
    if (j + 1 < s.size() && s[j] == '.' && k_t.domain[static_cast<unsigned char>(s[j + 1])])
      ++j;
    else
      break;
  }
  if (labels < 2) return {0, 0};
  std::size_t tld = end - last_label;
  if (tld < 2) return {0, 0};
  for (std::size_t k = last_label; k < end; ++k)
    if (!is_alpha(s[k])) return {0, 0};
  return {b, end};
}

bool valid_label_name(const std::string& n) {
  if (n.empty() || n.size() > 40) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

} // namespace

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (std::size_t k = digits.size(); k-- > 0;) {
    int v = digits[k] - '0';
    if (v < 0 || v > 9) return false;
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::uint64_t RedactionCounts::total() const {
  std::uint64_t t = 0;
  for (auto n : by_label)
    t += n;
  return t;
}

void RedactionCounts::add(const RedactionCounts& other) {
  if (by_label.size() < other.by_label.size()) by_label.resize(other.by_label.size(), 0);
  for (std::size_t i = 0; i < other.by_label.size(); ++i)
    by_label[i] += other.by_label[i];
}

Result<PhiRedactor> PhiRedactor::create(const std::vector<RedactionPattern>& extra) {
  PhiRedactor r;
  r.m_labels = {"ssn", "card", "email", "phone", "dob"};
  for (const auto& p : extra) {
    if (!valid_label_name(p.name))
      return make_error(ErrorKind::config,
                        "redaction pattern name '" + p.name +
                            "' must be 1 to 40 characters of a-z, 0-9, '_' or '-'");
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const RE2>(p.regex, opts);
    if (!re->ok())
      return make_error(ErrorKind::config,
                        "redaction pattern '" + p.name + "' does not compile: " + re->error());
    r.m_labels.push_back(p.name);
    r.m_custom.push_back(std::move(re));
  }
  return r;
}

RedactionCounts PhiRedactor::zero_counts() const {
  RedactionCounts c;
  c.by_label.assign(m_labels.size(), 0);
  return c;
}

std::vector<PhiSpan> PhiRedactor::find(std::string_view s) const {
  std::vector<PhiSpan> spans;
  find_into(s, spans);
  return spans;
}

void PhiRedactor::find_into(std::string_view s, std::vector<PhiSpan>& spans) const {
  spans.clear();
  const std::size_t n = s.size();
  std::size_t i = 0;
  auto push = [&](std::size_t b, std::size_t e, PhiKind k) {
    spans.push_back({b, e, static_cast<std::size_t>(k)});
  };
  const char* const p = s.data();
  while (i < n) {
    i = next_trigger(p, i, n); // the hot loop
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(p[i]);
    const std::size_t floor = spans.empty() ? 0 : spans.back().end;
    if (c == '@') {
      // An earlier match inside the local part (4155550100@txt.example) gives way to the email.
      auto [b, e] = match_email(s, i, 0);
      while (e && !spans.empty() && spans.back().begin >= b)
        spans.pop_back();
      if (e && !spans.empty() && spans.back().end > b) b = spans.back().end;
      if (e && b < i) {
        push(b, e, PhiKind::email);
        i = e;
      } else {
        ++i;
      }
      continue;
    }
    bool boundary = i == 0 || !is_alnum(s[i - 1]);
    if (!boundary) { // inside a word or a number: skip the rest of it
      ++i;
      while (i < n && is_alnum(s[i]))
        ++i;
      continue;
    }
    std::size_t len = 0;
    PhiKind kind = PhiKind::phone;
    if (c == '+') {
      len = match_e164(s, i);
    } else if (c == '(') {
      len = match_paren(s, i);
    } else {
      if ((len = match_ssn(s, i))) {
        kind = PhiKind::ssn;
      } else if ((len = match_numeric_date(s, i))) {
        kind = PhiKind::dob;
      } else if (auto [b, e] = match_month_first(s, i); e && b >= floor) {
        // the month name precedes i: the span starts there
        push(b, e, PhiKind::dob);
        i = e;
        continue;
      } else if ((len = match_day_first(s, i))) {
        kind = PhiKind::dob;
      } else if ((len = match_card(s, i))) {
        kind = PhiKind::card;
      } else {
        len = match_national(s, i);
      }
    }
    if (len) {
      push(i, i + len, kind);
      i += len;
      continue;
    }
    ++i;
    if (c == '+' || c == '(') continue; // a number may still start right after
    while (i < n && is_alnum(s[i])) // the rest of this number cannot start a match
      ++i;
  }
  if (!m_custom.empty()) {
    for (std::size_t k = 0; k < m_custom.size(); ++k) {
      const RE2& re = *m_custom[k];
      std::size_t pos = 0;
      re2::StringPiece m;
      while (pos <= n &&
             re.Match(re2::StringPiece(s.data(), n), pos, n, RE2::UNANCHORED, &m, 1)) {
        std::size_t b = static_cast<std::size_t>(m.data() - s.data());
        std::size_t e = b + m.size();
        if (e > b) spans.push_back({b, e, k_builtin_kinds + k});
        pos = e > b ? e : e + 1;
      }
    }
    std::sort(spans.begin(), spans.end(), [](const PhiSpan& a, const PhiSpan& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<PhiSpan> merged;
    for (const auto& sp : spans) {
      if (!merged.empty() && sp.begin < merged.back().end) {
        merged.back().end = std::max(merged.back().end, sp.end);
        continue;
      }
      merged.push_back(sp);
    }
    spans.swap(merged);
  }
}

void PhiRedactor::redact_into(std::string_view text, std::string& out,
                              RedactionCounts* counts) const {
  auto spans = find(text);
  if (spans.empty()) {
    out.append(text);
    return;
  }
  if (counts && counts->by_label.size() < m_labels.size())
    counts->by_label.resize(m_labels.size(), 0);
  std::size_t pos = 0;
  for (const auto& sp : spans) {
    out.append(text.substr(pos, sp.begin - pos));
    out.append("[REDACTED:");
    out.append(m_labels[sp.label]);
    out.push_back(']');
    if (counts) ++counts->by_label[sp.label];
    pos = sp.end;
  }
  out.append(text.substr(pos));
}

std::string PhiRedactor::redact(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  redact_into(text, out);
  return out;
}

} // namespace crm::transcripts
