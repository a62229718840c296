// `crmctl forwarding codes` (one .cpp per verb): GSM/CDMA call forwarding codes, no database.
#pragma once
#include "cmd/app.hpp"

#include <optional>
#include <string>

namespace crm::cmd {

struct ForwardingCodesOptions {
  std::string carrier, mode, to;
  std::optional<int> ring; // --ring SECONDS; nullopt = not given
};
/// Registers the `forwarding` noun and its verbs.
void register_forwarding(CLI::App& root, Context& ctx);
/// Registers `forwarding codes`.
void register_forwarding_codes(CLI::App& noun, Context& ctx);
/// Prints the activation/deactivation codes, instructions and notes.
Result<void> run_forwarding_codes(const ForwardingCodesOptions& o, Deps& d);

} // namespace crm::cmd
