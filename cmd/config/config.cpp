#include "cmd/config/commands.hpp"
#include "core/mask.hpp"

namespace crm::cmd {
namespace {

std::string shown(const std::string& key, const std::string& value) {
  if (value.empty() || is_secret_ref(value)) return value;
  if (key == "database_url") return mask_url_password(value);
  return is_secret_key(key) ? mask_secret(value) : value;
}

Result<ConfigFile> current_file(Deps& d) {
  auto path = find_config_path(d.global().config_path, d.env());
  if (!path) return ConfigFile{};
  return load_config_file(*path);
}

} // namespace

void register_config(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "config",
      {"Show and check configuration",
       "Config values come from flags, then the environment, then the "
       "profile, then defaults. Secrets in the file are references "
       "(env:NAME, file:PATH), never literals.",
       {"crmctl config view", "crmctl config validate", "crmctl config profiles -o json"}});
  noun->require_subcommand(1);
  auto v = std::make_shared<ConfigViewOptions>();
  on_run(add_command(*noun, ctx, "view",
                     {"Show the effective settings with secrets masked",
                      "Prints the resolved profile, where the database URL came from, and every "
                      "provider setting; literal secrets and URL passwords are masked.",
                      {"crmctl config view", "crmctl --profile prod config view -o yaml"}}),
         ctx, v, run_config_view, Effect::reads);
  auto val = std::make_shared<ConfigValidateOptions>();
  on_run(
      add_command(*noun, ctx, "validate",
                  {"Check the config file for literal secrets, permissions and broken references",
                   "Exits 10 when the file has errors; warnings (a literal secret, a file "
                   "readable by group or others, an unset env reference) are listed.",
                   {"crmctl config validate", "crmctl --config ./crmctl.yaml config validate"}}),
      ctx, val, run_config_validate, Effect::reads);
  auto p = std::make_shared<ConfigProfilesOptions>();
  on_run(add_command(*noun, ctx, "profiles",
                     {"List the profiles of the config file", "", {"crmctl config profiles"}}),
         ctx, p, run_config_profiles, Effect::reads);
}

Result<void> run_config_view(const ConfigViewOptions&, Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  const Profile& p = s->profile;
  nlohmann::json providers = nlohmann::json::object();
  for (const auto& [name, pc] : p.providers) {
    nlohmann::json j = {{"base_url", pc.base_url}};
    for (const auto& [k, v] : pc.values)
      j[k] = shown(k, v);
    providers[name] = j;
  }
  nlohmann::json out = {{"config_file", s->config_path.empty() ? nlohmann::json(nullptr)
                                                               : nlohmann::json(s->config_path)},
                        {"profile", s->profile_name.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(s->profile_name)},
                        {"database_url", mask_url_password(s->database_url)},
                        {"database_url_source", s->database_url_source},
                        {"master_key", shown("master_key", p.master_key)},
                        {"production", p.production},
                        {"webhook_base_url", p.webhook_base_url},
                        {"app_role", p.app_role},
                        {"guc", p.guc},
                        {"providers", providers}};
  if (!p.tools.backend_url.empty() || !p.tools.definitions_dir.empty() || !p.tools.values.empty()) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [k, v] : p.tools.values)
      values[k] = shown(k, v);
    out["tools"] = {{"backend_url", p.tools.backend_url},
                    {"definitions_dir", p.tools.definitions_dir},
                    {"values", values}};
  }
  if (!p.recordings.signing_secret.empty() || !p.recordings.base_url.empty())
    out["recordings"] = {{"signing_secret", shown("signing_secret", p.recordings.signing_secret)},
                         {"base_url", p.recordings.base_url}};
  if (!p.redaction.patterns.empty()) {
    nlohmann::json pats = nlohmann::json::array();
    for (const auto& x : p.redaction.patterns)
      pats.push_back({{"name", x.name}, {"regex", x.regex}});
    out["redaction"] = {{"patterns", pats}};
  }
  d.print(out);
  return {};
}

Result<void> run_config_validate(const ConfigValidateOptions&, Deps& d) {
  auto path = find_config_path(d.global().config_path, d.env());
  nlohmann::json findings = nlohmann::json::array();
  if (!path) {
    findings.push_back(
        {{"level", "warning"},
         {"message", "no config file found: crmctl uses flags and environment only"}});
    d.print(findings, {{"level", "message"}});
    return {};
  }
  auto cf = load_config_file(*path);
  if (!cf) return std::move(cf).error();
  bool errors = false;
  for (const auto& f : validate_config(*cf, d.env())) {
    findings.push_back({{"level", f.level}, {"message", f.message}});
    errors = errors || f.level == "error";
  }
  if (findings.empty()) {
    d.notice(*path + ": ok");
    if (d.format() != Format::table) d.print(findings);
  } else {
    d.print(findings, {{"level", "message"}});
  }
  if (errors) return make_error(ErrorKind::config, *path + " has errors (listed above)");
  return {};
}

Result<void> run_config_profiles(const ConfigProfilesOptions&, Deps& d) {
  CRM_TRY_ASSIGN(ConfigFile cf, current_file(d));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [name, p] : cf.profiles)
    rows.push_back({{"name", name},
                    {"default", name == cf.default_profile},
                    {"database_url", shown("database_url", p.database_url)},
                    {"production", p.production}});
  d.print(rows, {{"name", "default", "database_url", "production"}});
  return {};
}

} // namespace crm::cmd
