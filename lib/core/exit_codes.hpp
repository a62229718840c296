// The one mapping from error kinds to process exit codes (shared/docs/cli.md).
#pragma once
#include "core/result.hpp"
#include <string_view>

namespace crm {

/// Process exit code for an error kind.
int exit_code_for(ErrorKind kind);
/// Stable snake_case name of a kind, used in JSON errors ("not_found").
std::string_view kind_name(ErrorKind kind);

} // namespace crm
