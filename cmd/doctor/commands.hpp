#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct DoctorOptions {
  std::string migrations_dir;
  bool providers = false;
};
void register_doctor(CLI::App& root, Context& ctx);
Result<void> run_doctor(const DoctorOptions& o, Deps& d);
/// The migrations directory: flag, then the profile's migrations_dir, then the installed
/// templates (next to the binary or the source tree).
std::string resolve_migrations_dir(const std::string& flag, Deps& d);
} // namespace crm::cmd
