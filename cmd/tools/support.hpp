// What the tools verbs share: the common flags, the profile's Vapi account and placeholder
// values, the definitions, the tenants to work on, one run and its rendering.
#pragma once
#include "cmd/app.hpp"
#include "cmd/tools/commands.hpp"
#include "tools/sync.hpp"

namespace crm::cmd::tools_support {

/// Binds --all-tenants, --definitions, --jobs and --cached.
void add_common_flags(CLI::App* app, ToolsCommonOptions& o);
/// Runs `verb` with the common flags; renders the report and returns the error it maps to.
/// `exit_code`: plan's --exit-code (findings, 5, when there are changes).
Result<void> run_verb(const ToolsCommonOptions& o, Deps& d, tools::Verb verb,
                      const tools::RunOptions& extra, bool exit_code = false);

} // namespace crm::cmd::tools_support
