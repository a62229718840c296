#include "ops/doctor.hpp"
#include "cmd/doctor/commands.hpp"
#include "ops/provider_checks.hpp"

#include <filesystem>
#include <unistd.h>

namespace crm::cmd {

std::string resolve_migrations_dir(const std::string& flag, Deps& d) {
  if (!flag.empty()) return flag;
  if (auto v = d.env()("CRMCTL_MIGRATIONS_DIR"); v && !v->empty()) return *v;
  if (auto s = d.settings(); s && !(*s)->profile.migrations_dir.empty())
    return (*s)->profile.migrations_dir;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& cand : {exe.parent_path() / "../share/crmctl/migrations",
                               fs::path(CRM_SOURCE_DIR) / "templates/migrations"})
    if (fs::exists(cand / "global", ec)) return fs::weakly_canonical(cand, ec).string();
  return (fs::path(CRM_SOURCE_DIR) / "templates/migrations").string();
}

void register_doctor(CLI::App& root, Context& ctx) {
  auto opts = std::make_shared<DoctorOptions>();
  auto* app = add_command(
      root, ctx, "doctor",
      {"Check configuration, database, roles, schema version, RLS and the master key",
       "Runs every check and prints one line each with ok/warn/fail and a hint. Exits 7 when the "
       "database is unreachable, 10 on a configuration or master-key problem (or rejected platform "
       "credentials), 6 when a provider cannot be reached, 5 when RLS or roles are wrong, 0 "
       "otherwise. --providers also checks the profile's platform credentials of Twilio, "
       "ElevenLabs, Vapi, Retell and Google with one cheap authenticated call each.",
       {"crmctl doctor", "crmctl --db postgresql://127.0.0.1:5432/crm doctor -o json",
        "crmctl doctor --providers"}});
  app->add_option("--migrations-dir", opts->migrations_dir,
                  "Migrations directory (for pending counts)");
  app->add_flag("--providers", opts->providers,
                "Also check the profile's platform provider credentials (network calls)");
  on_run(app, ctx, opts, run_doctor, Effect::reads);
}

Result<void> run_doctor(const DoctorOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  ops::DoctorInput in{s, d.db(), d.env(), resolve_migrations_dir(o.migrations_dir, d)};
  auto checks = ops::run_doctor(in);
  if (o.providers) {
    auto more = ops::provider_checks(*s, d.env(), d.http());
    checks.insert(checks.end(), more.begin(), more.end());
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : checks)
    rows.push_back({{"check", c.name},
                    {"status", ops::status_name(c.status)},
                    {"detail", c.detail},
                    {"hint", c.hint}});
  d.print(rows, {{"check", "status", "detail", "hint"}});
  return ops::doctor_outcome(checks);
}

} // namespace crm::cmd
