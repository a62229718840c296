#include "cmd/migrate/commands.hpp"
#include "cmd/migrate/support.hpp"

namespace crm::cmd {

void register_migrate_verify(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<MigrateVerifyOptions>();
  auto* app = add_command(
      noun, ctx, "verify",
      {"Compare applied checksums with the files; exit 5 on drift",
       "Reports files changed after they were applied and applied versions whose file is gone, "
       "with the schemas concerned. Checksums ignore a BOM and CRLF line endings.",
       {"crmctl migrate verify", "crmctl migrate verify -o json || echo drift"}});
  add_common_flags(app, o->common);
  on_run(app, ctx, o, run_migrate_verify, Effect::reads);
}

Result<void> run_migrate_verify(const MigrateVerifyOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto set, migrate_support::load(o.common, d));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto drift, migrate::verify(*c, set));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& x : drift) {
    std::string schemas;
    for (std::size_t i = 0; i < x.schemas.size() && i < 5; ++i)
      schemas += (i ? "," : "") + x.schemas[i];
    if (x.schemas.size() > 5) schemas += ",... (" + std::to_string(x.schemas.size()) + ")";
    rows.push_back({{"kind", x.kind},
                    {"version", x.version},
                    {"file", x.file},
                    {"schema_count", x.schemas.size()},
                    {"schemas", d.format() == Format::table ? nlohmann::json(schemas)
                                                            : nlohmann::json(x.schemas)}});
  }
  if (rows.empty()) {
    if (d.format() == Format::table)
      d.io().out << "no drift\n";
    else
      d.print(rows);
    return {};
  }
  d.print(rows, {{"kind", "version", "file", "schema_count", "schemas"}});
  return make_error(ErrorKind::findings,
                    std::to_string(drift.size()) +
                        " migration file(s) drifted from what was applied: "
                        "restore the files, or `crmctl migrate repair` to accept them");
}

} // namespace crm::cmd
