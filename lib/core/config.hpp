// Configuration: YAML profiles, secret references, and precedence flags > env > profile > defaults.
#pragma once
#include "core/env.hpp"
#include "core/result.hpp"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crm {

/// One provider block of a profile: base_url plus named values (which may be secret references).
struct ProviderConfig {
  std::string base_url;
  std::map<std::string, std::string> values;
};

/// The setting TenantTx writes the tenant's UUID to, and the one crm.current_org_id() reads.
inline constexpr const char* k_tenancy_guc = "app.current_org_id";

/// One allowlist entry of a profile's `audit:` section: a finding accepted on purpose.
struct AuditAllow {
  std::string check;  // check id (RLS_NOT_FORCED)
  std::string object; // the finding's object; `*` matches any run of characters
  std::string reason; // why it is accepted (required)
};

/// A profile's `audit:` section (crmctl audit rls | data); empty means the audit's default.
struct AuditSettings {
  std::vector<std::string> tenant_columns, app_roles, gucs, bypass_roles, schemas, global_tables,
      phone_columns;
  std::string tenants_table; // schema.table of the tenants (audit data: deleted tenants)
  std::string probe_value;   // the GUC value the probe sets; {tenant} is the tenant id
  std::map<std::string, std::string> severity; // check id -> critical|high|medium|info|off
  std::vector<AuditAllow> allow;
};

/// A profile's `tools:` section (crmctl tools): what fills `{{placeholder}}`s in tool definitions.
struct ToolsSettings {
  std::string backend_url;     // {{backend_url}}: where Vapi sends tool calls
  std::string definitions_dir; // default --definitions (templates/tools when empty)
  std::map<std::string, std::string> values; // further {{name}} values
};

/// A profile's `recordings:` section (crmctl recordings share | verify).
struct RecordingsSettings {
  std::string signing_secret; // reference (env:NAME / file:PATH) to the HMAC key of share links
  std::string base_url;       // public base of share links ("https://app.example.com/r")
};

/// One extra pattern of a profile's `redaction:` section (transcripts export).
struct RedactionPattern {
  std::string name;  // label written in place of a match: [REDACTED:<name>]
  std::string regex; // RE2 syntax
};
/// A profile's `redaction:` section: patterns on top of the built-in PHI scanners.
struct RedactionSettings {
  std::vector<RedactionPattern> patterns;
};

/// One profile of the config file, as written (secret references unresolved).
struct Profile {
  std::string name;
  std::string database_url;
  std::string master_key;
  bool production = false; // destructive commands ask for the tenant slug, typed, at a TTY
  bool read_only = false;  // every mutating command refuses before connecting (exit 4)
  std::string webhook_base_url;
  std::string app_role = "crm_app";
  std::string guc = "app.current_org_id";
  std::string migrations_dir;
  int pool_size = 10; // database sessions a process keeps at most (fan-out workers + 1)
  AuditSettings audit; // the `audit:` section
  ToolsSettings tools; // the `tools:` section
  RecordingsSettings recordings; // the `recordings:` section
  RedactionSettings redaction;   // the `redaction:` section
  std::map<std::string, ProviderConfig> providers;
};

/// The parsed config file; `path` empty and no profiles when none was found.
struct ConfigFile {
  std::string path;
  std::string default_profile;
  std::map<std::string, Profile> profiles;
};

/// Which file to read: --config, then $CRMCTL_CONFIG, then $XDG_CONFIG_HOME (or ~/.config)
/// /crmctl/config.yaml, then /etc/crmctl/config.yaml. Returns the first that exists, or the
/// explicit one (even if missing, so the caller can report it), or nullopt.
std::optional<std::string> find_config_path(const std::string& flag_path, const EnvLookup& env);
/// Parses a YAML config file; a syntax error names the file and line (config error).
Result<ConfigFile> load_config_file(const std::string& path);
/// Parses YAML text (used by load_config_file and tests).
Result<ConfigFile> parse_config_text(const std::string& text, const std::string& origin);

/// True when the value is a reference ("env:NAME" or "file:PATH") rather than a literal.
bool is_secret_ref(const std::string& value);
/// Resolves "env:NAME" / "file:PATH" (trailing newline trimmed); literals are returned as is.
Result<std::string> resolve_ref(const std::string& value, const EnvLookup& env);

/// Global flags that feed the settings (empty = not given).
struct GlobalFlags {
  std::string config_path;
  std::string profile;
  std::string db_url;
};

/// The settings a command runs with, each with the place it came from.
struct Settings {
  std::string config_path;         // "" when no file
  std::string profile_name;        // "" when no profile
  Profile profile;                 // the chosen profile (defaults when none)
  std::string database_url;        // resolved (may be empty: not configured)
  std::string database_url_source; // "flag --db", "env CRMCTL_DATABASE_URL", "profile local", ""
  std::string database_url_error;  // why the profile's database_url reference did not resolve
};

/// Applies the precedence rules. An unknown --profile is a config error.
Result<Settings> resolve_settings(const GlobalFlags& flags, const EnvLookup& env);

/// A config-validate finding.
struct ConfigFinding {
  std::string level; // "error" | "warning"
  std::string message;
};
/// Warns on literal secrets, group/other-readable files, missing env references, bad profile names.
std::vector<ConfigFinding> validate_config(const ConfigFile& file, const EnvLookup& env);
/// True for keys that hold secrets (master_key, auth_token, api_key, private_key, *secret*,
/// password).
bool is_secret_key(const std::string& key);

} // namespace crm
