// One renderer for every command: table | json | yaml | csv. Results go to stdout only.
#pragma once
#include "core/result.hpp"
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace crm {

enum class Format { table, json, yaml, csv };

/// Parses "table", "json", "yaml", "csv".
Result<Format> parse_format(const std::string& s);

/// How to lay out a list: which keys become columns, in order (empty = keys of the first row).
struct RenderOptions {
  std::vector<std::string> columns;
  bool color = false;
};

/// Renders a JSON value. Arrays of objects become tables/CSV rows; objects become key/value
/// tables; JSON is pretty-printed with stable key order; YAML mirrors the JSON.
void render(const nlohmann::json& data, Format format, std::ostream& out,
            const RenderOptions& opts = {});
/// Which characters escape_for_terminal rewrites.
enum class EscapeSet {
  /// C0 controls and DEL (\x1b, \n, \t), invalid UTF-8 bytes (\xff), C1 controls (\u009b) and
  /// bidi controls (\u202e): for table cells, notices and error messages.
  all,
  /// C1 and bidi controls only, as \uXXXX: for serialized JSON or YAML whose serializer already
  /// escaped C0 controls and invalid bytes. The result is the same JSON/YAML value as long as
  /// such code points only occur inside double-quoted strings.
  unicode_controls,
};
/// The one output escaper: `s` with every character that could steer a terminal (escape
/// sequences, C1 CSI, bidi reordering, invalid bytes) written as an escape. Printable text
/// (quotes, é, 🦷, CJK, backslashes) is unchanged. Its counterpart at the input edge is
/// check_text (core/input.hpp).
std::string escape_for_terminal(std::string_view s, EscapeSet set = EscapeSet::all);
/// RFC 4180 field quoting.
std::string csv_field(const std::string& s);
/// The text a table cell shows for a JSON value (strings bare, null empty).
std::string cell_text(const nlohmann::json& v);

} // namespace crm
