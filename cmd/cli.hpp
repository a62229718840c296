// The whole CLI as a function: parse argv, run the chosen verb, return the exit code.
// main() wires the real process; tests call it with string streams, a fake clock and an env map.
#pragma once
#include "cmd/app.hpp"
#include <string>
#include <vector>

namespace crm::cmd {

/// Parses `args` (without argv[0]) and runs; results on io.out, errors on io.err.
int run_cli(const std::vector<std::string>& args, IO& io, Clock& clock, const EnvLookup& env,
            Interrupt& interrupt);

} // namespace crm::cmd
