// One renderer for every command: table | json | yaml | csv. Results go to stdout only.
#pragma once
#include "core/result.hpp"
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
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
/// RFC 4180 field quoting.
std::string csv_field(const std::string& s);
/// The text a table cell shows for a JSON value (strings bare, null empty).
std::string cell_text(const nlohmann::json& v);

} // namespace crm
