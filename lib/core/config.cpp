#include "core/config.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

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
std::string scalar(const YAML::Node& n, const char* key, const std::string& def = "") {
  auto v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : def;
}
} // namespace

Result<ConfigFile> parse_config_text(const std::string& text, const std::string& origin) {
  ConfigFile cf;
  cf.path = origin;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root || root.IsNull()) return cf;
    if (!root.IsMap())
      return make_error(ErrorKind::config, origin + ": top level must be a mapping");
    cf.default_profile = scalar(root, "default_profile");
    if (auto profiles = root["profiles"]) {
      if (!profiles.IsMap())
        return make_error(ErrorKind::config, origin + ": 'profiles' must be a mapping");
      for (auto it = profiles.begin(); it != profiles.end(); ++it) {
        Profile p;
        p.name = it->first.as<std::string>();
        const YAML::Node& n = it->second;
        if (!n.IsMap())
          return make_error(ErrorKind::config,
                            origin + ": profile '" + p.name + "' must be a mapping");
        p.database_url = scalar(n, "database_url");
        p.master_key = scalar(n, "master_key");
        p.webhook_base_url = scalar(n, "webhook_base_url");
        p.migrations_dir = scalar(n, "migrations_dir");
        if (auto prod = n["production"]) p.production = prod.as<bool>();
        if (auto t = n["tenancy"]) {
          p.app_role = scalar(t, "app_role", p.app_role);
          p.guc = scalar(t, "guc", p.guc);
        }
        if (auto provs = n["providers"]) {
          for (auto pi = provs.begin(); pi != provs.end(); ++pi) {
            ProviderConfig pc;
            for (auto kv = pi->second.begin(); kv != pi->second.end(); ++kv) {
              auto k = kv->first.as<std::string>();
              auto v = kv->second.as<std::string>();
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
  std::ifstream f(path);
  if (!f)
    return make_error(ErrorKind::config, "cannot read config file " + path +
                                             ": check the path given by --config or CRMCTL_CONFIG");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config_text(ss.str(), path);
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
    std::ifstream f(path);
    if (!f) return make_error(ErrorKind::config, "cannot read secret file " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
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
    CRM_TRY_ASSIGN(s.database_url, resolve_ref(s.profile.database_url, env));
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
    if (!is_secret_ref(p.database_url) && p.database_url.find(':') != std::string::npos) {
      auto scheme = p.database_url.find("://");
      auto at = p.database_url.find('@');
      if (scheme != std::string::npos && at != std::string::npos &&
          p.database_url.find(':', scheme + 3) < at)
        out.push_back({"warning", where + ".database_url contains a literal password: use "
                                          "env:DATABASE_URL or a .pgpass file"});
    } else {
      check(where, "database_url", p.database_url);
    }
    for (const auto& [prov, pc] : p.providers)
      for (const auto& [k, v] : pc.values)
        check(where + ".providers." + prov, k, v);
  }
  return out;
}

} // namespace crm
