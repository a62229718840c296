#include "core/output.hpp"
#include "core/input.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace crm {

Result<Format> parse_format(const std::string& s) {
  if (s == "table") return Format::table;
  if (s == "json") return Format::json;
  if (s == "yaml") return Format::yaml;
  if (s == "csv") return Format::csv;
  return make_error(ErrorKind::usage,
                    "unknown output format '" + s + "': use table, json, yaml or csv");
}

std::string cell_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  // Text stored before input was validated may hold invalid UTF-8: shown, never a throw.
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

std::string hex_escape(unsigned char byte) {
  char b[8];
  std::snprintf(b, sizeof b, "\\x%02x", byte);
  return b;
}

std::string unicode_escape(char32_t cp) {
  char b[12];
  std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(cp));
  return b;
}

} // namespace

std::string escape_for_terminal(std::string_view s, EscapeSet set) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    Utf8Char c = decode_utf8(s, i);
    std::string_view raw = s.substr(i, c.length);
    i += c.length;
    if (!c.valid) {
      if (set == EscapeSet::unicode_controls) {
        out.append(raw);
      } else {
        for (char b : raw)
          out += hex_escape(static_cast<unsigned char>(b));
      }
      continue;
    }
    char32_t cp = c.code_point;
    if (is_unicode_control(cp)) {
      out += unicode_escape(cp);
    } else if (set == EscapeSet::all && (cp < 0x20 || cp == 0x7F)) {
      if (cp == '\n')
        out += "\\n";
      else if (cp == '\r')
        out += "\\r";
      else if (cp == '\t')
        out += "\\t";
      else
        out += hex_escape(static_cast<unsigned char>(cp));
    } else {
      out.append(raw);
    }
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"')
      o += "\"\"";
    else
      o.push_back(c);
  }
  return o + "\"";
}

namespace {

// Display width in terminal columns (UTF-8 continuation bytes do not count).
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

// A key that holds anything escape_for_terminal rewrites is double-quoted, so that every such
// character of the document sits inside a double-quoted scalar, where an escape means the same.
void emit_yaml(YAML::Emitter& e, const nlohmann::json& v) {
  if (v.is_object()) {
    e << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string key = to_valid_utf8(it.key());
      if (escape_for_terminal(key) != key)
        e << YAML::Key << YAML::DoubleQuoted << key << YAML::Value;
      else
        e << YAML::Key << key << YAML::Value;
      emit_yaml(e, it.value());
    }
    e << YAML::EndMap;
  } else if (v.is_array()) {
    e << YAML::BeginSeq;
    for (const auto& x : v)
      emit_yaml(e, x);
    e << YAML::EndSeq;
  } else if (v.is_null()) {
    e << YAML::Null;
  } else if (v.is_string()) {
    e << YAML::DoubleQuoted << to_valid_utf8(v.get<std::string>());
  } else {
    e << cell_text(v);
  }
}

std::vector<std::string> columns_for(const nlohmann::json& rows, const RenderOptions& o) {
  if (!o.columns.empty()) return o.columns;
  std::vector<std::string> cols;
  for (const auto& r : rows)
    if (r.is_object())
      for (auto it = r.begin(); it != r.end(); ++it)
        if (std::find(cols.begin(), cols.end(), it.key()) == cols.end()) cols.push_back(it.key());
  return cols;
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(c == '_' ? ' ' : toupper(static_cast<unsigned char>(c)));
  return s;
}

void table(const std::vector<std::string>& header,
           const std::vector<std::vector<std::string>>& rows, std::ostream& out, bool color) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i)
    w[i] = display_width(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i)
      w[i] = std::max(w[i], display_width(r[i]));
  auto line = [&](const std::vector<std::string>& r, bool head) {
    std::string s;
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string cell = r[i];
      if (i + 1 < r.size()) cell += std::string(w[i] - display_width(r[i]) + 2, ' ');
      s += cell;
    }
    while (!s.empty() && s.back() == ' ')
      s.pop_back();
    if (head && color)
      out << "\033[1m" << s << "\033[0m\n";
    else
      out << s << "\n";
  };
  line(header, true);
  for (const auto& r : rows)
    line(r, false);
}

} // namespace

void render(const nlohmann::json& data, Format format, std::ostream& out,
            const RenderOptions& opts) {
  switch (format) {
  case Format::json:
    // Invalid UTF-8 stored in the database becomes U+FFFD instead of a throw; nlohmann escapes
    // C0 controls, and C1 and bidi controls (only ever inside strings) become \uXXXX: the same
    // JSON value, nothing that steers a terminal.
    out << escape_for_terminal(data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace),
                               EscapeSet::unicode_controls)
        << "\n";
    return;
  case Format::yaml: {
    // yaml-cpp escapes C0 and C1 controls in double-quoted scalars; bidi controls become \uXXXX.
    YAML::Emitter e;
    emit_yaml(e, data);
    out << escape_for_terminal(e.c_str(), EscapeSet::unicode_controls) << "\n";
    return;
  }
  case Format::csv:
  case Format::table: {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    if (data.is_array()) {
      header = columns_for(data, opts);
      for (const auto& r : data) {
        std::vector<std::string> row;
        for (const auto& c : header)
          row.push_back(r.is_object() && r.contains(c) ? cell_text(r[c]) : cell_text(r));
        rows.push_back(std::move(row));
      }
    } else if (data.is_object()) {
      header = {"field", "value"};
      std::vector<std::string> keys = opts.columns;
      if (keys.empty())
        for (auto it = data.begin(); it != data.end(); ++it)
          keys.push_back(it.key());
      for (const auto& k : keys)
        if (data.contains(k)) rows.push_back({k, cell_text(data[k])});
    } else {
      out << (format == Format::table ? escape_for_terminal(cell_text(data)) : cell_text(data))
          << "\n";
      return;
    }
    if (format == Format::csv) {
      auto write = [&](const std::vector<std::string>& r) {
        for (std::size_t i = 0; i < r.size(); ++i)
          out << (i ? "," : "") << csv_field(r[i]);
        out << "\r\n";
      };
      write(header);
      for (const auto& r : rows)
        write(r);
    } else {
      if (data.is_array() && rows.empty()) {
        out << "(none)\n";
        return;
      }
      // The one output escaper: a stored ESC[31m or U+202E is shown as \x1b[31m or \u202e.
      std::vector<std::string> h;
      for (const auto& x : header)
        h.push_back(escape_for_terminal(upper(x)));
      for (auto& r : rows)
        for (auto& cell : r)
          cell = escape_for_terminal(cell);
      table(h, rows, out, opts.color);
    }
    return;
  }
  }
}

} // namespace crm
