// Tool definitions as code: one JSON file per Vapi tool (templates/tools/<name>.json), the body
// POST /tool takes, with `{{placeholder}}`s in string values filled from the profile's `tools:`
// section (backend_url, values). The SHA-256 of the filled definition (canonical JSON: sorted
// keys, no spaces) is what `tools` and `org_tools` record as definition_hash.
#pragma once
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace crm::tools {

/// One tool definition, placeholders filled.
struct Definition {
  std::string name; // function.name (= the file name without .json)
  std::string file; // where it came from
  nlohmann::json body;
  std::string hash; // lower-case hex SHA-256 of the canonical body
};

/// Names a placeholder may take: `{{name}}` with name [a-z_][a-z0-9_]*.
using Values = std::map<std::string, std::string>;

/// Parses one definition file's text. Malformed JSON, a body that is not a function tool (type
/// "function", function.name a-zA-Z0-9_- of 1-40, function.parameters an object, server.url an
/// http(s) URL after filling) or a name other than the file's → ErrorKind::usage naming the file
/// and line. A placeholder with no value → ErrorKind::config naming the file, line, placeholder
/// and the profile key to set (tools.backend_url or tools.values.<name>).
Result<Definition> parse_definition(const std::string& text, const std::string& file,
                                    const Values& values);
/// Every `*.json` of `dir`, sorted by name; a directory without any is a usage error, as are two
/// files defining the same function name.
Result<std::vector<Definition>> load_definitions(const std::string& dir, const Values& values);

/// Lower-case hex SHA-256 of `body` serialised canonically.
std::string definition_hash(const nlohmann::json& body);

/// True when `remote` (what Vapi returns: our fields plus id, orgId, timestamps and defaults)
/// carries every field of `local` with the same value: objects are compared key by key on the
/// keys of `local`, arrays element by element, numbers by value.
bool matches_remote(const nlohmann::json& local, const nlohmann::json& remote);

/// True for tool types that answer calls inside Vapi instead of our backend (seed 002's "native
/// interceptors"): google.*, gohighlevel.*, ghl, make, slack.*, query (Vapi's own knowledge base).
bool is_native_interceptor(const std::string& type);

} // namespace crm::tools
