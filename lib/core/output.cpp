#include "core/output.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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
  return v.dump();
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

void emit_yaml(YAML::Emitter& e, const nlohmann::json& v) {
  if (v.is_object()) {
    e << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      e << YAML::Key << it.key() << YAML::Value;
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
    e << YAML::DoubleQuoted << v.get<std::string>();
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
    out << data.dump(2) << "\n";
    return;
  case Format::yaml: {
    YAML::Emitter e;
    emit_yaml(e, data);
    out << e.c_str() << "\n";
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
      out << cell_text(data) << "\n";
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
      std::vector<std::string> h;
      for (const auto& x : header)
        h.push_back(upper(x));
      table(h, rows, out, opts.color);
    }
    return;
  }
  }
}

} // namespace crm
