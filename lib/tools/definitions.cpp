#include "tools/definitions.hpp"
#include "core/crypto.hpp"
#include "core/input.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

namespace crm::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::size_t k_max_definition_bytes = 256 * 1024;

/// 1-based line of byte offset `at` in `text`.
std::size_t line_at(const std::string& text, std::size_t at) {
  at = std::min(at, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

/// Line of the first `"key"` in the text (1 when absent): where a semantic error points.
std::size_t line_of_key(const std::string& text, const std::string& key) {
  auto at = text.find("\"" + key + "\"");
  return at == std::string::npos ? 1 : line_at(text, at);
}

Error bad(const std::string& file, std::size_t line, const std::string& what) {
  return make_error(ErrorKind::usage, file + ": line " + std::to_string(line) + ": " + what);
}

/// Fills `{{name}}` placeholders in every string value of `j`.
Status fill(json& j, const std::string& text, const std::string& file, const Values& values) {
  static const std::regex k_placeholder(R"(\{\{\s*([A-Za-z0-9_.-]*)\s*\}\})");
  static const std::regex k_name("^[a-z_][a-z0-9_]*$");
  if (j.is_object() || j.is_array()) {
    for (auto& v : j)
      CRM_TRY(fill(v, text, file, values));
    return {};
  }
  if (!j.is_string()) return {};
  const std::string s = j.get<std::string>();
  if (s.find("{{") == std::string::npos) return {};
  std::string out;
  auto begin = std::sregex_iterator(s.begin(), s.end(), k_placeholder);
  std::size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1].str();
    const std::string whole = it->str();
    std::size_t line = line_at(text, text.find(whole));
    if (!std::regex_match(name, k_name))
      return bad(file, line,
                 "placeholder '" + whole + "' is not a valid name (lower case letters, digits, _)");
    auto v = values.find(name);
    if (v == values.end() || v->second.empty())
      return make_error(ErrorKind::config,
                        file + ": line " + std::to_string(line) + ": placeholder {{" + name +
                            "}} has no value: set " +
                            (name == "backend_url" ? std::string("tools.backend_url")
                                                   : "tools.values." + name) +
                            " in the profile");
    out += s.substr(last, static_cast<std::size_t>(it->position()) - last) + v->second;
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  out += s.substr(last);
  if (out.find("{{") != std::string::npos || out.find("}}") != std::string::npos) {
    std::size_t line = line_at(text, text.find(s.substr(0, std::min<std::size_t>(s.size(), 20))));
    return bad(file, line, "unbalanced placeholder braces in \"" + excerpt(s) + "\"");
  }
  j = out;
  return {};
}

bool is_http_url(const std::string& s) {
  static const std::regex k_url(R"(^https?://[^/\s:]+(:[0-9]+)?(/\S*)?$)", std::regex::icase);
  return std::regex_match(s, k_url);
}

} // namespace

std::string definition_hash(const json& body) {
  return crypto::hex(crypto::sha256(body.dump()));
}

Result<Definition> parse_definition(const std::string& text, const std::string& file,
                                    const Values& values) {
  if (text.size() > k_max_definition_bytes)
    return bad(file, 1, "definition is larger than 256 KiB");
  CRM_TRY(check_json_shape(text, file, ErrorKind::usage));
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string why = e.what();
    if (auto at = why.find(": "); at != std::string::npos) why = why.substr(at + 2);
    return bad(file, line_at(text, e.byte > 0 ? e.byte - 1 : 0), "invalid JSON: " + why);
  }
  if (!j.is_object()) return bad(file, 1, "a tool definition must be a JSON object");
  if (!j.contains("type") || !j["type"].is_string())
    return bad(file, 1, "\"type\" is missing: crmctl registers function tools (\"type\": "
                        "\"function\")");
  if (j["type"] != "function")
    return bad(file, line_of_key(text, "type"),
               "\"type\" is \"" + excerpt(j["type"].get<std::string>()) +
                   "\": crmctl registers function tools only (seed 002: no native tools)");
  for (const char* k : {"id", "orgId", "createdAt", "updatedAt"})
    if (j.contains(k))
      return bad(file, line_of_key(text, k),
                 std::string("\"") + k + "\" is set by Vapi: remove it from the definition");
  if (!j.contains("function") || !j["function"].is_object())
    return bad(file, j.contains("function") ? line_of_key(text, "function") : 1,
               "\"function\" must be an object with name, description and parameters");
  const json& f = j["function"];
  static const std::regex k_name("^[A-Za-z0-9_-]{1,40}$");
  if (!f.contains("name") || !f["name"].is_string() ||
      !std::regex_match(f["name"].get<std::string>(), k_name))
    return bad(file, line_of_key(text, "name"),
               "function.name must be 1-40 characters a-z, A-Z, 0-9, _ or -");
  const std::string name = f["name"];
  std::string stem = fs::path(file).stem().string();
  if (stem != name)
    return bad(file, line_of_key(text, "name"),
               "function.name \"" + name + "\" differs from the file name: name the file " +
                   name + ".json");
  if (f.contains("description") && !f["description"].is_string())
    return bad(file, line_of_key(text, "description"), "function.description must be a string");
  if (f.contains("parameters")) {
    const json& p = f["parameters"];
    if (!p.is_object() || p.value("type", "") != "object")
      return bad(file, line_of_key(text, "parameters"),
                 "function.parameters must be a JSON schema object ({\"type\": \"object\", "
                 "\"properties\": {...}})");
    if (p.contains("required")) {
      bool ok = p["required"].is_array();
      for (const auto& r : ok ? p["required"] : json::array())
        ok = ok && r.is_string() && p.value("properties", json::object()).contains(r.get<std::string>());
      if (!ok)
        return bad(file, line_of_key(text, "required"),
                   "function.parameters.required must list names of properties");
    }
  }
  CRM_TRY(fill(j, text, file, values));
  if (j.contains("server")) {
    const json& s = j["server"];
    if (!s.is_object() || !s.contains("url") || !s["url"].is_string() ||
        !is_http_url(s["url"].get<std::string>()))
      return bad(file, line_of_key(text, "server"),
                 "server.url must be an http(s) URL (after filling placeholders)");
  }
  Definition d;
  d.name = name;
  d.file = file;
  d.hash = definition_hash(j);
  d.body = std::move(j);
  return d;
}

Result<std::vector<Definition>> load_definitions(const std::string& dir, const Values& values) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return make_error(ErrorKind::usage, "tool definitions directory " + dir +
                                            " does not exist (give --definitions DIR or set "
                                            "tools.definitions_dir in the profile)");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  if (ec) return make_error(ErrorKind::usage, "cannot read " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty())
    return make_error(ErrorKind::usage, "no tool definitions (*.json) in " + dir);
  std::vector<Definition> out;
  std::map<std::string, std::string> seen;
  for (const auto& f : files) {
    CRM_TRY_ASSIGN(auto text, read_file(f, "tool definition"));
    CRM_TRY_ASSIGN(auto d, parse_definition(text, f, values));
    if (auto it = seen.find(d.name); it != seen.end())
      return make_error(ErrorKind::usage,
                        f + ": tool " + d.name + " is already defined in " + it->second);
    seen[d.name] = f;
    out.push_back(std::move(d));
  }
  return out;
}

bool matches_remote(const json& local, const json& remote) {
  if (local.is_object()) {
    if (!remote.is_object()) return false;
    for (auto it = local.begin(); it != local.end(); ++it) {
      auto r = remote.find(it.key());
      if (r == remote.end() || !matches_remote(it.value(), *r)) return false;
    }
    return true;
  }
  if (local.is_array()) {
    if (!remote.is_array() || remote.size() != local.size()) return false;
    for (std::size_t i = 0; i < local.size(); ++i)
      if (!matches_remote(local[i], remote[i])) return false;
    return true;
  }
  return local == remote;
}

bool is_native_interceptor(const std::string& type) {
  auto starts = [&](const char* p) { return type.rfind(p, 0) == 0; };
  return starts("google.") || starts("gohighlevel.") || type == "ghl" || type == "make" ||
         starts("slack.") || type == "query";
}

} // namespace crm::tools
