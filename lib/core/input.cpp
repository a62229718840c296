#include "core/input.hpp"
#include "core/output.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <vector>

namespace crm {
namespace {

// What is wrong with the UTF-8 sequence at one position.
enum class Utf8Fault { none, stray_byte, truncated, overlong, surrogate, too_large };

struct Decoded {
  char32_t cp = 0;
  std::size_t len = 1;
  Utf8Fault fault = Utf8Fault::none;
};

Decoded decode_at(std::string_view s, std::size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1, Utf8Fault::none};
  std::size_t need = 0;
  char32_t cp = 0;
  if (b0 >= 0xC0 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF7) {
    need = 3;
    cp = b0 & 0x07;
  } else {
    return {b0, 1, Utf8Fault::stray_byte}; // a continuation byte without a lead, or F8..FF
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return {0, k, Utf8Fault::truncated};
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  std::size_t len = need + 1;
  if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000))
    return {cp, len, Utf8Fault::overlong};
  if (cp >= 0xD800 && cp <= 0xDFFF) return {cp, len, Utf8Fault::surrogate};
  if (cp > 0x10FFFF) return {cp, len, Utf8Fault::too_large};
  return {cp, len, Utf8Fault::none};
}

bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}
bool is_c1(char32_t cp) {
  return cp >= 0x80 && cp <= 0x9F;
}

std::string code_point(char32_t cp) {
  char b[16];
  std::snprintf(b, sizeof b, "U+%04X", static_cast<unsigned>(cp));
  return b;
}

std::string fault_text(const Decoded& d, std::string_view s, std::size_t at) {
  switch (d.fault) {
  case Utf8Fault::stray_byte: {
    char b[8];
    std::snprintf(b, sizeof b, "0x%02X", static_cast<unsigned char>(s[at]));
    return std::string("an invalid byte ") + b;
  }
  case Utf8Fault::truncated:
    return "a truncated multi-byte sequence";
  case Utf8Fault::overlong:
    return "an overlong encoding of " + code_point(d.cp);
  case Utf8Fault::surrogate:
    return "a UTF-16 surrogate (" + code_point(d.cp) + ")";
  case Utf8Fault::too_large:
    return "a code point above U+10FFFF";
  case Utf8Fault::none:
    break;
  }
  return "";
}

} // namespace

Status check_text(std::string_view value, const TextRule& rule) {
  std::size_t position = 0;
  for (std::size_t i = 0; i < value.size();) {
    Decoded d = decode_at(value, i);
    ++position;
    std::string at = " at position " + std::to_string(position);
    if (d.fault != Utf8Fault::none)
      return make_error(ErrorKind::usage, rule.field + ": is not valid UTF-8 (" +
                                              fault_text(d, value, i) + at +
                                              "): give the text in UTF-8");
    char32_t cp = d.cp;
    std::string what;
    if (cp == 0)
      what = "a NUL character";
    else if (cp == '\n' || cp == '\r' || cp == '\t')
      what = rule.line_breaks == LineBreaks::allowed ? "" : "a control character";
    else if (cp < 0x20 || cp == 0x7F || is_c1(cp))
      what = "a control character";
    else if (is_bidi_control(cp))
      what = "a bidirectional control character";
    if (!what.empty())
      return make_error(ErrorKind::usage, rule.field + ": contains " + what + " (" +
                                              code_point(cp) + ")" + at + ": remove it");
    i += d.len;
  }
  if (position > rule.max_length)
    return make_error(ErrorKind::usage,
                      rule.field + ": is " + std::to_string(position) +
                          " characters long: at most " + std::to_string(rule.max_length) +
                          " are allowed" +
                          (rule.echo == Echo::excerpt ? " (it starts \"" + excerpt(value) + "\")"
                                                      : std::string()));
  return {};
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    Decoded d = decode_at(s, i);
    if (d.fault != Utf8Fault::none) return false;
    i += d.len;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    Decoded d = decode_at(s, i);
    if (d.fault == Utf8Fault::none)
      out.append(s.substr(i, d.len));
    else
      out += "\xEF\xBF\xBD"; // U+FFFD
    i += d.len;
  }
  return out;
}

Utf8Char decode_utf8(std::string_view s, std::size_t at) {
  Decoded d = decode_at(s, at);
  return {d.cp, d.len, d.fault == Utf8Fault::none};
}

bool is_unicode_control(char32_t cp) {
  return is_c1(cp) || is_bidi_control(cp);
}

std::string excerpt(std::string_view s, std::size_t max_code_points) {
  std::size_t i = 0, n = 0;
  while (i < s.size() && n < max_code_points) {
    i += decode_at(s, i).len;
    ++n;
  }
  return escape_for_terminal(s.substr(0, i)) + (i < s.size() ? "…" : "");
}

namespace {

std::string too_deep(const std::string& origin, std::size_t line) {
  return origin + ": nests deeper than " + std::to_string(k_max_nesting) + " levels" +
         (line ? " (line " + std::to_string(line) + ")" : std::string()) +
         ": flatten the structure";
}

// Walks the loaded document: depth, recursive aliases and the number of values it expands to.
struct YamlWalk {
  const std::string& origin;
  ErrorKind kind;
  std::vector<YAML::Node> path;
  std::size_t values = 0;

  Status visit(const YAML::Node& n) {
    if (++values > k_max_yaml_values)
      return make_error(kind, origin + ": expands to more than " +
                                  std::to_string(k_max_yaml_values) +
                                  " values through aliases: remove the repeated aliases");
    for (const auto& p : path)
      if (p.is(n))
        return make_error(kind, origin +
                                    ": a recursive alias (a node that contains itself) at "
                                    "line " +
                                    std::to_string(n.Mark().line + 1) + ": remove the alias");
    if (path.size() >= k_max_nesting)
      return make_error(kind, too_deep(origin, static_cast<std::size_t>(n.Mark().line + 1)));
    if (!n.IsMap() && !n.IsSequence()) return {};
    path.push_back(n);
    if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        CRM_TRY(visit(it->first));
        CRM_TRY(visit(it->second));
      }
    } else {
      for (auto it = n.begin(); it != n.end(); ++it)
        CRM_TRY(visit(*it));
    }
    path.pop_back();
    return {};
  }
};

} // namespace

Status check_yaml_shape(const std::string& text, const std::string& origin, ErrorKind kind) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp 0.7 stops by itself near 1000 levels, with the message "bad file".
    return make_error(kind, too_deep(origin, static_cast<std::size_t>(e.mark.line + 1)));
  } catch (const YAML::Exception&) {
    return {}; // a syntax error: the caller's parser reports it in its own words
  }
  YamlWalk walk{origin, kind, {}, 0};
  return walk.visit(root);
}

Status check_json_shape(std::string_view text, const std::string& origin, ErrorKind kind) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_nesting)
        return make_error(kind, origin + ": JSON nests deeper than " +
                                    std::to_string(k_max_nesting) + " levels (at byte " +
                                    std::to_string(i + 1) + "): flatten the structure");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {};
}

} // namespace crm
