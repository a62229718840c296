#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_status(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateStatusOptions>();
  auto* app = add_command(
      noun, ctx, "status",
      {"Show the global version and a histogram of tenant schemas per version",
       "Readable with thousands of tenants: one line per version with the number of schemas at "
       "it, plus pending global files and failed attempts.",
       {"crmctl migrate status", "crmctl migrate status -o json"}});
  add_common_flags(app, o->common);
  on_run(app, ctx, o, run_migrate_status, Effect::reads);
}

Result<void> run_migrate_status(const MigrateStatusOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto s, migrate::status(*c, set));
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& [v, n] : s.tenant_histogram)
    hist.push_back({{"version", v.empty() ? "(none)" : v},
                    {"schemas", n},
                    {"current", v == s.latest_tenant_version}});
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& [schema, what] : s.failures)
    failures.push_back({{"schema", schema}, {"detail", what}});
  if (d.format() == Format::table) {
    auto& out = d.io().out;
    out << "global: " << (s.global_version.empty() ? "(none)" : s.global_version) << ", "
        << s.global_pending << " pending\n";
    for (const auto& f : s.global_pending_files)
      out << "  pending " << f << "\n";
    out << "tenant schemas: " << s.tenant_schemas << " (" << s.tenant_behind << " behind latest "
        << (s.latest_tenant_version.empty() ? "(none)" : s.latest_tenant_version) << ")\n";
    render(hist, Format::table, out, {{"version", "schemas", "current"}, d.io().color});
    for (const auto& f : failures)
      out << "  not applied: " << f["schema"].get<std::string>() << " "
          << f["detail"].get<std::string>() << "\n";
    return {};
  }
  d.print({{"global_version", s.global_version},
           {"global_pending", s.global_pending_files},
           {"latest_tenant_version", s.latest_tenant_version},
           {"tenant_schemas", s.tenant_schemas},
           {"tenant_behind", s.tenant_behind},
           {"histogram", hist},
           {"failures", failures}});
  return {};
}

} // namespace crm::cmd
