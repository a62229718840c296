#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct ConfigViewOptions {};
struct ConfigValidateOptions {};
struct ConfigProfilesOptions {};
/// `crmctl config view | validate | profiles`.
void register_config(CLI::App& root, Context& ctx);
Result<void> run_config_view(const ConfigViewOptions& o, Deps& d);
Result<void> run_config_validate(const ConfigValidateOptions& o, Deps& d);
Result<void> run_config_profiles(const ConfigProfilesOptions& o, Deps& d);
} // namespace crm::cmd
