// The command tree: global flags, then one line per noun. `grep register_ cmd/root.cpp` shows it
// all.
#include "cmd/agent/commands.hpp"
#include "cmd/apikey/commands.hpp"
#include "cmd/app.hpp"
#include "cmd/audit/commands.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/calls/commands.hpp"
#include "cmd/completion/commands.hpp"
#include "cmd/config/commands.hpp"
#include "cmd/context/commands.hpp"
#include "cmd/creds/commands.hpp"
#include "cmd/docs/gendocs.hpp"
#include "cmd/doctor/commands.hpp"
#include "cmd/forwarding/commands.hpp"
#include "cmd/migrate/commands.hpp"
#include "cmd/number/commands.hpp"
#include "cmd/recordings/commands.hpp"
#include "cmd/tenant/commands.hpp"
#include "cmd/tools/commands.hpp"
#include "cmd/transcripts/commands.hpp"
#include "cmd/user/commands.hpp"
#include "cmd/version/commands.hpp"
#include "cmd/serve/commands.hpp"
#include "cmd/webhooks/commands.hpp"

namespace crm::cmd {

void build_root(CLI::App& root, Context& ctx, GlobalOptions& g) {
  root.fallthrough(true);
  root.footer("\nRun `crmctl COMMAND --help` for a command's flags and examples; `man crmctl`.\n"
              "Exit codes: 0 ok, 1 unexpected, 2 usage, 3 not found, 4 conflict, 5 findings, "
              "6 provider, 7 database, 8 partial, 10 config, 130 interrupted.\n");
  root.set_version_flag("--version", std::string("crmctl ") + version_string());
  root.add_option("--config", g.config_path,
                  "Config file (default $CRMCTL_CONFIG, "
                  "$XDG_CONFIG_HOME/crmctl/config.yaml, /etc/crmctl/config.yaml)");
  root.add_option("--profile", g.profile,
                  "Profile in the config file (default $CRMCTL_PROFILE, then default_profile)");
  root.add_option("--db", g.db_url,
                  "PostgreSQL URL (overrides $CRMCTL_DATABASE_URL, $DATABASE_URL, the profile)");
  root.add_option("-o,--output", g.output,
                  "Output format: table|json|yaml|csv (default table on a TTY, json otherwise)")
      ->check(CLI::IsMember({"table", "json", "yaml", "csv"}));
  root.add_option("--tenant", g.tenant, "Target tenant: UUID or slug");
  root.add_flag("--dry-run", g.dry_run, "Print the plan, change nothing");
  root.add_flag("-y,--yes", g.yes, "Confirm destructive actions without a prompt");
  root.add_flag("-v,--verbose", g.verbose, "More log output on stderr (repeat for debug)");
  root.add_flag("-q,--quiet", g.quiet, "Only errors on stderr");
  root.add_option("--log-format", g.log_format, "Log format on stderr: text|json")
      ->check(CLI::IsMember({"text", "json"}));
  root.add_flag("--no-color", g.no_color, "No colour (also honoured: NO_COLOR)");
  root.add_flag("--read-only", g.read_only,
                "Refuse every command that changes the platform (also: profile read_only: true)");
  root.require_subcommand(0, 1);

  register_version(root, ctx);
  register_config(root, ctx);
  register_context(root, ctx);
  register_doctor(root, ctx);
  register_completion(root, ctx);
  register_migrate(root, ctx);
  register_tenant(root, ctx);
  register_user(root, ctx);
  register_apikey(root, ctx);
  register_creds(root, ctx);
  register_audit(root, ctx);
  register_number(root, ctx);
  register_agent(root, ctx);
  register_forwarding(root, ctx);
  register_calls(root, ctx);
  register_billing(root, ctx);
  register_webhooks(root, ctx);
  register_serve(root, ctx);
  register_tools(root, ctx);
  register_transcripts(root, ctx);
  register_recordings(root, ctx);
  register_gendocs(root, ctx);
}

} // namespace crm::cmd
