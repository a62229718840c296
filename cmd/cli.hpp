// The whole CLI as a function: parse argv, run the chosen verb, return the exit code.
// main() wires the real process; tests call it with string streams, a fake clock and an env map.
#pragma once
#include "cmd/app.hpp"
#include <string>
#include <vector>

namespace crm::cmd {

/// What is checked after parsing and before the chosen verb runs: the read-only guard (profile
/// `read_only: true` or --read-only refuses every verb whose Effect is not `reads`, exit 4, before
/// any connection) and the "acting as" notice of a current context.
Status before_run(const Context& ctx, Deps& d);

/// Parses `args` (without argv[0]) and runs; results on io.out, errors on io.err.
/// `services` replaces the real database and HTTP clients (tests).
int run_cli(const std::vector<std::string>& args, IO& io, Clock& clock, const EnvLookup& env,
            Interrupt& interrupt, const Services& services = {});

} // namespace crm::cmd
