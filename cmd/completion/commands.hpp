#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct CompletionOptions {
  std::string shell;
  const CLI::App* root = nullptr;
};
void register_completion(CLI::App& root, Context& ctx);
Result<void> run_completion(const CompletionOptions& o, Deps& d);
} // namespace crm::cmd
