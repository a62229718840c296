// Man pages and shell completions generated from the command tree (one source of truth).
#pragma once
#include "cmd/app.hpp"
#include <map>
#include <string>

namespace crm::cmd {

/// Completion script for "bash", "zsh" or "fish"; empty for another shell.
std::string completion_script(const CLI::App& root, const std::string& shell);
/// Man pages by file name: "crmctl.1" and one "crmctl-<name>.1" per top-level command, for a
/// noun (its verbs) and for a command without verbs (doctor, version, completion) alike.
std::map<std::string, std::string> man_pages(const CLI::App& root, const Context& ctx);

} // namespace crm::cmd
