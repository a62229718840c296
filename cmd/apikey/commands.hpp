// `crmctl apikey create | list | revoke` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct ApikeyCreateOptions {
  std::string name, scopes, expires;
};
struct ApikeyListOptions {};
struct ApikeyRevokeOptions {
  std::string key;
};
void register_apikey(CLI::App& root, Context& ctx);
void register_apikey_create(CLI::App& noun, Context& ctx);
void register_apikey_list(CLI::App& noun, Context& ctx);
void register_apikey_revoke(CLI::App& noun, Context& ctx);
Result<void> run_apikey_create(const ApikeyCreateOptions& o, Deps& d);
Result<void> run_apikey_list(const ApikeyListOptions& o, Deps& d);
Result<void> run_apikey_revoke(const ApikeyRevokeOptions& o, Deps& d);
} // namespace crm::cmd
