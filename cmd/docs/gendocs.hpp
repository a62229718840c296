#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct GendocsOptions {
  std::string out_dir = ".";
  const CLI::App* root = nullptr;
  const Context* ctx = nullptr;
};
/// Hidden: writes man/ and completions/ under --out (run by `make docs`; checked by a test).
void register_gendocs(CLI::App& root, Context& ctx);
Result<void> run_gendocs(const GendocsOptions& o, Deps& d);
} // namespace crm::cmd
