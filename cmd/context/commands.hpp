// `crmctl context use | show | clear`: a current tenant per profile (super-admin impersonation
// with a visible indicator and its own audit trail).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {

struct ContextUseOptions {
  std::string tenant;
};
struct ContextShowOptions {};
struct ContextClearOptions {};

void register_context(CLI::App& root, Context& ctx);
Result<void> run_context_use(const ContextUseOptions& o, Deps& d);
Result<void> run_context_show(const ContextShowOptions& o, Deps& d);
Result<void> run_context_clear(const ContextClearOptions& o, Deps& d);

} // namespace crm::cmd
