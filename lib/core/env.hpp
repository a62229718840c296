// Environment lookup as an input (domain code never calls getenv).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace crm {

/// Reads an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// An EnvLookup over a fixed map (tests, and `--env` style overrides).
inline EnvLookup env_from_map(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

} // namespace crm
