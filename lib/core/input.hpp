// Hostile text stops at the edge: one validator for every text value that enters crmctl
// (check_text) and one bound on the shape of structured input (YAML and JSON nesting, recursive
// aliases). Its counterpart for what leaves is escape_for_terminal (core/output.hpp).
#pragma once
#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace crm {

/// Whether a field may hold line breaks and tabs (LF, CR, TAB). Every other C0 control, DEL, C1
/// control and bidi override/isolate is always refused.
enum class LineBreaks { refused, allowed };
/// Whether an error about the value may quote an excerpt of it (never for secrets).
enum class Echo { excerpt, never };

/// What check_text accepts for one field.
struct TextRule {
  TextRule(std::string field_name, std::size_t max_code_points,
           LineBreaks breaks = LineBreaks::refused, Echo echo_value = Echo::excerpt)
      : field(std::move(field_name)), max_length(max_code_points), line_breaks(breaks),
        echo(echo_value) {}
  /// How messages name the field: "--name", "tenant name", "line 4: email".
  std::string field;
  /// At most this many code points.
  std::size_t max_length;
  LineBreaks line_breaks;
  Echo echo;
};

/// The one input validator. Refuses invalid UTF-8 (overlong forms, surrogates, truncated
/// sequences, stray bytes, code points above U+10FFFF), NUL, C0 controls (LF, CR and TAB only
/// when the rule allows line breaks), DEL, C1 controls (U+0080-U+009F), bidi overrides and
/// isolates (U+202A-U+202E, U+2066-U+2069), and values longer than the rule's maximum. The error
/// is a usage error (exit 2), one line, naming the field, the code point and its 1-based position:
/// "--name: contains a control character (U+001B) at position 5: remove it". An over-long value
/// is never echoed in full (at most 40 characters, escaped).
Status check_text(std::string_view value, const TextRule& rule);

/// One UTF-8 sequence: its code point, its length in bytes and whether it is well-formed (an
/// ill-formed sequence has the length of the bytes to skip, at least 1).
struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = true;
};
/// Decodes the sequence starting at s[at] (at < s.size()).
Utf8Char decode_utf8(std::string_view s, std::size_t at);
/// True for C1 controls (U+0080-U+009F) and bidi overrides/isolates (U+202A-U+202E,
/// U+2066-U+2069): code points that steer a terminal although they are valid text.
bool is_unicode_control(char32_t code_point);

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or truncated sequences).
bool is_valid_utf8(std::string_view s);
/// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

/// At most `max_code_points` of `s`, escaped, with "…" when it was cut: for quoting a value in
/// a message without echoing it in full.
std::string excerpt(std::string_view s, std::size_t max_code_points = 40);

/// Deepest nesting accepted in YAML and JSON input (settings, config, credential JSON).
inline constexpr std::size_t k_max_nesting = 64;
/// Most values a YAML document may expand to through aliases (a "billion laughs" bound).
inline constexpr std::size_t k_max_yaml_values = 100000;

/// Refuses YAML that nests deeper than k_max_nesting, holds a recursive alias (`a: &a [*a]`) or
/// expands to more than k_max_yaml_values values, with an error of `kind` naming `origin`
/// (usage for data files, config for the config file). Syntax errors are left to the caller's
/// own parser: this returns ok for them.
Status check_yaml_shape(const std::string& text, const std::string& origin, ErrorKind kind);
/// Refuses JSON text whose arrays/objects nest deeper than k_max_nesting (checked on the text,
/// before any parser recurses), with an error of `kind` naming `origin`.
Status check_json_shape(std::string_view text, const std::string& origin, ErrorKind kind);

} // namespace crm
