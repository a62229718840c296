#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct VersionOptions {};
void register_version(CLI::App& root, Context& ctx);
Result<void> run_version(const VersionOptions& o, Deps& d);
} // namespace crm::cmd
