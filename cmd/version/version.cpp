#include "cmd/version/commands.hpp"

namespace crm::cmd {

void register_version(CLI::App& root, Context& ctx) {
  auto opts = std::make_shared<VersionOptions>();
  auto* app =
      add_command(root, ctx, "version",
                  {"Print version, build and git commit (no database access)",
                   "Prints the crmctl version, the C++ standard and compiler it was built "
                   "with, and the git commit. Never reads the config or opens a connection.",
                   {"crmctl version", "crmctl version -o json"}});
  on_run(app, ctx, opts, run_version, Effect::reads);
}

Result<void> run_version(const VersionOptions&, Deps& d) {
  nlohmann::json j = {{"version", version_string()},
                      {"git_sha", git_sha()},
                      {"build", std::string("C++20, ") + __VERSION__}};
  if (d.format() == Format::table)
    d.io().out << "crmctl " << version_string() << " (" << git_sha() << ", " << __VERSION__
               << ")\n";
  else
    d.print(j);
  return {};
}

} // namespace crm::cmd
