// `crmctl tools plan | sync | verify | prune` (one .cpp per verb; what they share in support.hpp).
#pragma once
#include "cmd/app.hpp"

#include <string>

namespace crm::cmd {
/// Flags every tools verb takes.
struct ToolsCommonOptions {
  bool all_tenants = false;
  std::string definitions; // "" = profile tools.definitions_dir, then templates/tools
  int jobs = 8;
  bool cached = false;
};
struct ToolsPlanOptions : ToolsCommonOptions {
  bool exit_code = false; // exit 5 when there are changes (CI drift check)
};
struct ToolsSyncOptions : ToolsCommonOptions {
  std::string lock_timeout = "0s";
};
struct ToolsVerifyOptions : ToolsCommonOptions {};
struct ToolsPruneOptions : ToolsCommonOptions {
  bool native = false;
  std::string lock_timeout = "0s";
};
void register_tools(CLI::App& root, Context& ctx);
void register_tools_plan(CLI::App& noun, Context& ctx);
void register_tools_sync(CLI::App& noun, Context& ctx);
void register_tools_verify(CLI::App& noun, Context& ctx);
void register_tools_prune(CLI::App& noun, Context& ctx);
Result<void> run_tools_plan(const ToolsPlanOptions& o, Deps& d);
Result<void> run_tools_sync(const ToolsSyncOptions& o, Deps& d);
Result<void> run_tools_verify(const ToolsVerifyOptions& o, Deps& d);
Result<void> run_tools_prune(const ToolsPruneOptions& o, Deps& d);
} // namespace crm::cmd
