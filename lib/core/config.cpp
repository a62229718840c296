#include "core/config.hpp"
#include "core/input.hpp"
#include "core/mask.hpp"
#include "core/text.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace crm {
namespace fs = std::filesystem;

std::optional<std::string> find_config_path(const std::string& flag_path, const EnvLookup& env) {
  if (!flag_path.empty()) return flag_path;
  if (auto p = env("CRMCTL_CONFIG"); p && !p->empty()) return *p;
  std::string xdg;
  if (auto x = env("XDG_CONFIG_HOME"); x && !x->empty())
    xdg = *x;
  else if (auto h = env("HOME"); h && !h->empty())
    xdg = *h + "/.config";
  std::error_code ec;
  if (!xdg.empty() && fs::exists(xdg + "/crmctl/config.yaml", ec))
    return xdg + "/crmctl/config.yaml";
  if (fs::exists("/etc/crmctl/config.yaml", ec)) return std::string("/etc/crmctl/config.yaml");
  return std::nullopt;
}

namespace {

// The keys a config file may hold (shared/docs/cli.md "Config file"). Anything else is refused:
// a typo such as `databse_url` would otherwise be ignored and the setting silently missing.
using KeyList = std::span<const std::string_view>;
constexpr std::array<std::string_view, 2> k_top_keys = {"default_profile", "profiles"};
constexpr std::array<std::string_view, 13> k_profile_keys = {
    "database_url",     "master_key", "production",     "read_only", "pool_size",
    "webhook_base_url", "tenancy",    "migrations_dir", "providers", "audit",
    "tools",            "recordings", "redaction"};
constexpr std::array<std::string_view, 2> k_tenancy_keys = {"app_role", "guc"};
constexpr std::array<std::string_view, 11> k_audit_keys = {
    "tenant_columns", "app_roles",     "gucs",        "bypass_roles", "schemas", "global_tables",
    "phone_columns",  "tenants_table", "probe_value", "severity",     "allow"};
constexpr std::array<std::string_view, 3> k_allow_keys = {"check", "object", "reason"};
constexpr std::array<std::string_view, 3> k_tools_keys = {"backend_url", "definitions_dir",
                                                          "values"};
constexpr std::array<std::string_view, 2> k_recordings_keys = {"signing_secret", "base_url"};
constexpr std::array<std::string_view, 1> k_redaction_keys = {"patterns"};
constexpr std::array<std::string_view, 2> k_pattern_keys = {"name", "regex"};

std::string line_of(const YAML::Node& n) {
  return "line " + std::to_string(n.Mark().line + 1);
}

// What a node is, for "must be a string, not a mapping".
std::string shape_of(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return "empty";
}

// Refuses a key of `map` that is not in `known`, naming the file, line, key, the closest known
// key and all of them. `where` is "at the top level" or "in profile 'p'".
Status check_keys(const YAML::Node& map, KeyList known, const std::string& origin,
                  const std::string& where) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : shape_of(it->first);
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string closest, all;
    std::size_t best = 3; // suggest within two edits
    for (std::string_view k : known) {
      all += (all.empty() ? "" : ", ") + std::string(k);
      if (auto d = edit_distance(key, k); d < best) {
        best = d;
        closest = k;
      }
    }
    return make_error(ErrorKind::config,
                      origin + ": " + line_of(it->first) + ": unknown key '" + key + "' " + where +
                          (closest.empty() ? "" : " (did you mean '" + closest + "'?)") +
                          "; known keys: " + all);
  }
  return {};
}

// The string at `key` (`def` when absent or empty); a mapping or a list is a config error.
Result<std::string> string_at(const YAML::Node& n, const char* key, const std::string& origin,
                              const std::string& where, const std::string& def = "") {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return def;
  if (!v.IsScalar())
    return make_error(ErrorKind::config, origin + ": " + line_of(v) + ": " + where + key +
                                             " must be a string, not " + shape_of(v));
  return v.Scalar();
}

// The boolean at `key` (`def` when absent); anything but true/false (yes/no, on/off) is refused.
Result<bool> bool_at(const YAML::Node& n, const char* key, const std::string& origin,
                     const std::string& where, bool def) {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return def;
  bool b = def;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b))
    return make_error(ErrorKind::config, origin + ": " + line_of(v) + ": " + where + key +
                                             " must be true or false, not " + shape_of(v));
  return b;
}

// The list of strings at `key` (empty when absent); a scalar, a mapping or an empty item is a
// config error.
Result<std::vector<std::string>> list_at(const YAML::Node& n, const char* key,
                                         const std::string& origin, const std::string& where) {
  std::vector<std::string> out;
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return out;
  if (!v.IsSequence())
    return make_error(ErrorKind::config, origin + ": " + line_of(v) + ": " + where + key +
                                             " must be a list of strings, not " + shape_of(v));
  for (const auto& item : v) {
    if (!item.IsScalar() || item.Scalar().empty())
      return make_error(ErrorKind::config, origin + ": " + line_of(item) + ": " + where + key +
                                               " items must be non-empty strings, not " +
                                               shape_of(item));
    out.push_back(item.Scalar());
  }
  return out;
}

// The `audit:` section of a profile.
Result<AuditSettings> parse_audit(const YAML::Node& a, const std::string& origin,
                                  const std::string& profile) {
  AuditSettings out;
  const std::string in = "profile '" + profile + "': audit.";
  if (!a.IsMap())
    return make_error(ErrorKind::config, origin + ": " + line_of(a) + ": profile '" + profile +
                                             "': audit must be a mapping, not " + shape_of(a));
  CRM_TRY(check_keys(a, k_audit_keys, origin, "in profile '" + profile + "' audit"));
  CRM_TRY_ASSIGN(out.tenant_columns, list_at(a, "tenant_columns", origin, in));
  CRM_TRY_ASSIGN(out.app_roles, list_at(a, "app_roles", origin, in));
  CRM_TRY_ASSIGN(out.gucs, list_at(a, "gucs", origin, in));
  CRM_TRY_ASSIGN(out.bypass_roles, list_at(a, "bypass_roles", origin, in));
  CRM_TRY_ASSIGN(out.schemas, list_at(a, "schemas", origin, in));
  CRM_TRY_ASSIGN(out.global_tables, list_at(a, "global_tables", origin, in));
  CRM_TRY_ASSIGN(out.phone_columns, list_at(a, "phone_columns", origin, in));
  CRM_TRY_ASSIGN(out.tenants_table, string_at(a, "tenants_table", origin, in));
  CRM_TRY_ASSIGN(out.probe_value, string_at(a, "probe_value", origin, in));
  if (auto sev = a["severity"]; sev && !sev.IsNull()) {
    if (!sev.IsMap())
      return make_error(ErrorKind::config, origin + ": " + line_of(sev) + ": " + in +
                                               "severity must be a mapping of check id to "
                                               "level, not " +
                                               shape_of(sev));
    for (auto it = sev.begin(); it != sev.end(); ++it) {
      if (!it->second.IsScalar())
        return make_error(ErrorKind::config, origin + ": " + line_of(it->second) + ": " + in +
                                                 "severity." + it->first.as<std::string>() +
                                                 " must be a level, not " + shape_of(it->second));
      out.severity[it->first.as<std::string>()] = it->second.Scalar();
    }
  }
  if (auto allow = a["allow"]; allow && !allow.IsNull()) {
    if (!allow.IsSequence())
      return make_error(ErrorKind::config, origin + ": " + line_of(allow) + ": " + in +
                                               "allow must be a list, not " + shape_of(allow));
    for (const auto& item : allow) {
      if (!item.IsMap())
        return make_error(ErrorKind::config, origin + ": " + line_of(item) + ": " + in +
                                                 "allow items must be mappings with check, "
                                                 "object and reason, not " +
                                                 shape_of(item));
      CRM_TRY(check_keys(item, k_allow_keys, origin, "in profile '" + profile + "' audit.allow"));
      AuditAllow e;
      CRM_TRY_ASSIGN(e.check, string_at(item, "check", origin, in + "allow."));
      CRM_TRY_ASSIGN(e.object, string_at(item, "object", origin, in + "allow."));
      CRM_TRY_ASSIGN(e.reason, string_at(item, "reason", origin, in + "allow."));
      if (e.check.empty() || e.object.empty() || e.reason.empty())
        return make_error(ErrorKind::config,
                          origin + ": " + line_of(item) + ": " + in +
                              "allow items need check, object and reason (say why the finding "
                              "is accepted)");
      out.allow.push_back(std::move(e));
    }
  }
  return out;
}

// The `tools:` section of a profile (crmctl tools): placeholder values for tool definitions.
Result<ToolsSettings> parse_tools(const YAML::Node& t, const std::string& origin,
                                  const std::string& profile) {
  ToolsSettings out;
  const std::string in = "profile '" + profile + "': tools.";
  if (!t.IsMap())
    return make_error(ErrorKind::config, origin + ": " + line_of(t) + ": profile '" + profile +
                                             "': tools must be a mapping, not " + shape_of(t));
  CRM_TRY(check_keys(t, k_tools_keys, origin, "in profile '" + profile + "' tools"));
  CRM_TRY_ASSIGN(out.backend_url, string_at(t, "backend_url", origin, in));
  CRM_TRY_ASSIGN(out.definitions_dir, string_at(t, "definitions_dir", origin, in));
  if (auto vals = t["values"]; vals && !vals.IsNull()) {
    if (!vals.IsMap())
      return make_error(ErrorKind::config, origin + ": " + line_of(vals) + ": " + in +
                                               "values must be a mapping of name to string, "
                                               "not " +
                                               shape_of(vals));
    for (auto it = vals.begin(); it != vals.end(); ++it) {
      if (!it->second.IsScalar())
        return make_error(ErrorKind::config, origin + ": " + line_of(it->second) + ": " + in +
                                                 "values." + it->first.as<std::string>() +
                                                 " must be a string, not " +
                                                 shape_of(it->second));
      out.values[it->first.as<std::string>()] = it->second.Scalar();
    }
  }
  return out;
}

// The `recordings:` section of a profile (recordings share | verify).
Result<RecordingsSettings> parse_recordings(const YAML::Node& r, const std::string& origin,
                                            const std::string& profile) {
  RecordingsSettings out;
  const std::string in = "profile '" + profile + "': recordings.";
  if (!r.IsMap())
    return make_error(ErrorKind::config, origin + ": " + line_of(r) + ": profile '" + profile +
                                             "': recordings must be a mapping, not " + shape_of(r));
  CRM_TRY(check_keys(r, k_recordings_keys, origin, "in profile '" + profile + "' recordings"));
  CRM_TRY_ASSIGN(out.signing_secret, string_at(r, "signing_secret", origin, in));
  CRM_TRY_ASSIGN(out.base_url, string_at(r, "base_url", origin, in));
  return out;
}

// The `redaction:` section of a profile (transcripts export): extra named patterns.
Result<RedactionSettings> parse_redaction(const YAML::Node& r, const std::string& origin,
                                          const std::string& profile) {
  RedactionSettings out;
  const std::string in = "profile '" + profile + "': redaction.";
  if (!r.IsMap())
    return make_error(ErrorKind::config, origin + ": " + line_of(r) + ": profile '" + profile +
                                             "': redaction must be a mapping, not " + shape_of(r));
  CRM_TRY(check_keys(r, k_redaction_keys, origin, "in profile '" + profile + "' redaction"));
  auto pats = r["patterns"];
  if (!pats || pats.IsNull()) return out;
  if (!pats.IsSequence())
    return make_error(ErrorKind::config, origin + ": " + line_of(pats) + ": " + in +
                                             "patterns must be a list, not " + shape_of(pats));
  for (const auto& item : pats) {
    if (!item.IsMap())
      return make_error(ErrorKind::config, origin + ": " + line_of(item) + ": " + in +
                                               "patterns items must be mappings with name and "
                                               "regex, not " +
                                               shape_of(item));
    CRM_TRY(check_keys(item, k_pattern_keys, origin,
                       "in profile '" + profile + "' redaction.patterns"));
    RedactionPattern pat;
    CRM_TRY_ASSIGN(pat.name, string_at(item, "name", origin, in + "patterns."));
    CRM_TRY_ASSIGN(pat.regex, string_at(item, "regex", origin, in + "patterns."));
    if (pat.name.empty() || pat.regex.empty())
      return make_error(ErrorKind::config, origin + ": " + line_of(item) + ": " + in +
                                               "patterns items need a name and a regex");
    out.patterns.push_back(std::move(pat));
  }
  return out;
}

} // namespace

Result<ConfigFile> parse_config_text(const std::string& text, const std::string& origin) {
  ConfigFile cf;
  cf.path = origin;
  // A recursive alias, a 10,000-level document or an alias bomb ends here, as a config error.
  CRM_TRY(check_yaml_shape(text, origin, ErrorKind::config));
  try {
    YAML::Node root = YAML::Load(text);
    if (!root || root.IsNull()) return cf;
    if (!root.IsMap())
      return make_error(ErrorKind::config, origin + ": top level must be a mapping");
    CRM_TRY(check_keys(root, k_top_keys, origin, "at the top level"));
    CRM_TRY_ASSIGN(cf.default_profile, string_at(root, "default_profile", origin, ""));
    if (auto profiles = root["profiles"]; profiles && !profiles.IsNull()) {
      if (!profiles.IsMap())
        return make_error(ErrorKind::config, origin + ": " + line_of(profiles) +
                                                 ": 'profiles' must be a mapping, not " +
                                                 shape_of(profiles));
      for (auto it = profiles.begin(); it != profiles.end(); ++it) {
        Profile p;
        p.name = it->first.as<std::string>();
        const YAML::Node& n = it->second;
        if (!n.IsMap())
          return make_error(ErrorKind::config,
                            origin + ": profile '" + p.name + "' must be a mapping");
        const std::string in = "profile '" + p.name + "': ";
        CRM_TRY(check_keys(n, k_profile_keys, origin, "in profile '" + p.name + "'"));
        CRM_TRY_ASSIGN(p.database_url, string_at(n, "database_url", origin, in));
        CRM_TRY_ASSIGN(p.master_key, string_at(n, "master_key", origin, in));
        CRM_TRY_ASSIGN(p.webhook_base_url, string_at(n, "webhook_base_url", origin, in));
        CRM_TRY_ASSIGN(p.migrations_dir, string_at(n, "migrations_dir", origin, in));
        CRM_TRY_ASSIGN(p.production, bool_at(n, "production", origin, in, p.production));
        if (auto ps = n["pool_size"]) {
          // A migrate run needs two sessions: the coordinator and at least one worker.
          int size = 0;
          if (!ps.IsScalar() || !YAML::convert<int>::decode(ps, size) || size < 2 || size > 1000)
            return make_error(ErrorKind::config, origin + ": profile '" + p.name +
                                                     "': pool_size must be a number from 2 to "
                                                     "1000 (line " +
                                                     std::to_string(ps.Mark().line + 1) + ")");
          p.pool_size = size;
        }
        CRM_TRY_ASSIGN(p.read_only, bool_at(n, "read_only", origin, in, p.read_only));
        if (auto t = n["tenancy"]; t && !t.IsNull()) {
          if (!t.IsMap())
            return make_error(ErrorKind::config, origin + ": " + line_of(t) + ": " + in +
                                                     "tenancy must be a mapping, not " +
                                                     shape_of(t));
          CRM_TRY(check_keys(t, k_tenancy_keys, origin, "in profile '" + p.name + "' tenancy"));
          CRM_TRY_ASSIGN(p.app_role, string_at(t, "app_role", origin, in + "tenancy.", p.app_role));
          CRM_TRY_ASSIGN(p.guc, string_at(t, "guc", origin, in + "tenancy.", p.guc));
          // One place decides the tenancy GUC: crm.current_org_id(), which every canonical
          // policy calls, reads app.current_org_id. Another name would set a setting no policy
          // reads, and every tenant scope would see nothing: refuse it rather than mismatch.
          if (p.guc != k_tenancy_guc)
            return make_error(ErrorKind::config,
                              origin + ": profile '" + p.name + "': tenancy.guc '" + p.guc +
                                  "' is not supported: crmctl's policies call "
                                  "crm.current_org_id(), which reads " +
                                  k_tenancy_guc + "; remove tenancy.guc or set it to " +
                                  k_tenancy_guc);
        }
        if (auto a = n["audit"]; a && !a.IsNull()) {
          CRM_TRY_ASSIGN(p.audit, parse_audit(a, origin, p.name));
        }
        if (auto t = n["tools"]; t && !t.IsNull()) {
          CRM_TRY_ASSIGN(p.tools, parse_tools(t, origin, p.name));
        }
        if (auto r = n["recordings"]; r && !r.IsNull()) {
          CRM_TRY_ASSIGN(p.recordings, parse_recordings(r, origin, p.name));
        }
        if (auto r = n["redaction"]; r && !r.IsNull()) {
          CRM_TRY_ASSIGN(p.redaction, parse_redaction(r, origin, p.name));
        }
        if (auto provs = n["providers"]; provs && !provs.IsNull()) {
          if (!provs.IsMap())
            return make_error(ErrorKind::config, origin + ": " + line_of(provs) + ": " + in +
                                                     "providers must be a mapping, not " +
                                                     shape_of(provs));
          for (auto pi = provs.begin(); pi != provs.end(); ++pi) {
            ProviderConfig pc;
            const std::string prov = in + "providers." + pi->first.as<std::string>();
            if (!pi->second.IsMap())
              return make_error(ErrorKind::config,
                                origin + ": " + line_of(pi->second) + ": " + prov +
                                    " must be a mapping of settings (base_url, ...), not " +
                                    shape_of(pi->second));
            for (auto kv = pi->second.begin(); kv != pi->second.end(); ++kv) {
              auto k = kv->first.as<std::string>();
              if (!kv->second.IsScalar())
                return make_error(ErrorKind::config,
                                  origin + ": " + line_of(kv->second) + ": " + prov + "." + k +
                                      " must be a string, not " + shape_of(kv->second));
              auto v = kv->second.Scalar();
              if (k == "base_url")
                pc.base_url = v;
              else
                pc.values[k] = v;
            }
            p.providers[pi->first.as<std::string>()] = pc;
          }
        }
        cf.profiles[p.name] = std::move(p);
      }
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::config, origin + ": invalid YAML at line " +
                                             std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return cf;
}

Result<ConfigFile> load_config_file(const std::string& path) {
  auto text = read_file(path, "config file");
  if (!text)
    return make_error(ErrorKind::config, text.error().message +
                                             " (check the path given by --config or CRMCTL_CONFIG)");
  return parse_config_text(*text, path);
}

bool is_secret_ref(const std::string& v) {
  return v.rfind("env:", 0) == 0 || v.rfind("file:", 0) == 0;
}

Result<std::string> resolve_ref(const std::string& value, const EnvLookup& env) {
  if (value.rfind("env:", 0) == 0) {
    std::string name = value.substr(4);
    auto v = env(name);
    if (!v || v->empty())
      return make_error(ErrorKind::config, "environment variable " + name +
                                               " is not set (referenced as '" + value + "')");
    return *v;
  }
  if (value.rfind("file:", 0) == 0) {
    std::string path = value.substr(5);
    auto text = read_file(path, "secret file");
    if (!text) return make_error(ErrorKind::config, text.error().message);
    std::string s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
      s.pop_back();
    return s;
  }
  return value;
}

Result<Settings> resolve_settings(const GlobalFlags& flags, const EnvLookup& env) {
  Settings s;
  ConfigFile cf;
  if (auto path = find_config_path(flags.config_path, env)) {
    CRM_TRY_ASSIGN(cf, load_config_file(*path));
    s.config_path = *path;
  }
  std::string name = flags.profile;
  if (name.empty())
    if (auto p = env("CRMCTL_PROFILE"); p && !p->empty()) name = *p;
  bool explicit_profile = !name.empty();
  if (name.empty()) name = cf.default_profile;
  if (!name.empty()) {
    auto it = cf.profiles.find(name);
    if (it == cf.profiles.end()) {
      if (explicit_profile || !cf.default_profile.empty())
        return make_error(
            ErrorKind::config,
            "profile '" + name + "' is not defined in " +
                (s.config_path.empty() ? std::string("any config file") : s.config_path) +
                ": run `crmctl config profiles` to list them");
    } else {
      s.profile = it->second;
      s.profile_name = name;
    }
  }
  if (!flags.db_url.empty()) {
    s.database_url = flags.db_url;
    s.database_url_source = "flag --db";
  } else if (auto v = env("CRMCTL_DATABASE_URL"); v && !v->empty()) {
    s.database_url = *v;
    s.database_url_source = "env CRMCTL_DATABASE_URL";
  } else if (auto d = env("DATABASE_URL"); d && !d->empty()) {
    s.database_url = *d;
    s.database_url_source = "env DATABASE_URL";
  } else if (!s.profile.database_url.empty()) {
    // An unresolvable reference fails the commands that connect, not those that never do
    // (config view, context, completion).
    if (auto url = resolve_ref(s.profile.database_url, env); url)
      s.database_url = *url;
    else
      s.database_url_error = url.error().message;
    s.database_url_source = "profile " + s.profile_name;
  }
  return s;
}

bool is_secret_key(const std::string& key) {
  for (const char* k :
       {"master_key", "auth_token", "api_key", "private_key", "secret", "password", "token"})
    if (key.find(k) != std::string::npos) return true;
  return false;
}

std::vector<ConfigFinding> validate_config(const ConfigFile& cf, const EnvLookup& env) {
  std::vector<ConfigFinding> out;
  if (!cf.path.empty()) {
    struct stat st {};
    if (::stat(cf.path.c_str(), &st) == 0 && (st.st_mode & 077))
      out.push_back(
          {"warning", cf.path + " is readable by group or others: run chmod 600 " + cf.path});
  }
  if (!cf.default_profile.empty() && !cf.profiles.count(cf.default_profile))
    out.push_back({"error", "default_profile '" + cf.default_profile + "' is not defined"});
  auto check = [&](const std::string& where, const std::string& key, const std::string& v) {
    if (v.empty()) return;
    if (is_secret_ref(v)) {
      if (auto r = resolve_ref(v, env); !r)
        out.push_back({"warning", where + "." + key + ": " + r.error().message});
    } else if (is_secret_key(key)) {
      out.push_back({"warning", where + "." + key +
                                    " holds a literal secret: use env:NAME or file:PATH instead"});
    }
  };
  for (const auto& [name, p] : cf.profiles) {
    std::string where = "profiles." + name;
    check(where, "master_key", p.master_key);
    if (!is_secret_ref(p.database_url)) {
      // A password in the URL (`postgresql://u:pw@h/db`, `?password=pw`) or in libpq keyword
      // form (`host=h password='pw' user=u`): masking it changes the text.
      if (mask_url_password(p.database_url) != p.database_url)
        out.push_back({"warning", where + ".database_url contains a literal password: use "
                                          "env:DATABASE_URL or a .pgpass file"});
    } else {
      check(where, "database_url", p.database_url);
    }
    for (const auto& [prov, pc] : p.providers)
      for (const auto& [k, v] : pc.values)
        check(where + ".providers." + prov, k, v);
    check(where + ".recordings", "signing_secret", p.recordings.signing_secret);
  }
  return out;
}

} // namespace crm
