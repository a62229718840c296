// `crmctl calls import | list` (one .cpp per verb; the noun in calls.cpp).
#pragma once
#include "cmd/app.hpp"

#include <string>

namespace crm::cmd {

struct CallsImportOptions {
  std::string file, format;
};
struct CallsListOptions {
  std::string since, until;
  int limit = 100;
};
/// Registers the `calls` noun and its verbs.
void register_calls(CLI::App& root, Context& ctx);
void register_calls_import(CLI::App& noun, Context& ctx);
void register_calls_list(CLI::App& noun, Context& ctx);
/// Validates every row, then imports all of them or none.
Result<void> run_calls_import(const CallsImportOptions& o, Deps& d);
/// Lists a tenant's calls, newest first.
Result<void> run_calls_list(const CallsListOptions& o, Deps& d);

} // namespace crm::cmd
