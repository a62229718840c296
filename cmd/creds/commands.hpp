// `crmctl creds set | list | verify | delete | rotate-key` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct CredsSetOptions {
  std::string provider;
  bool from_stdin = false, from_env = false;
};
struct CredsListOptions {};
struct CredsVerifyOptions {
  std::string provider;
};
struct CredsDeleteOptions {
  std::string provider;
};
struct CredsRotateOptions {
  // Required, and the only source of the new key: a regular file of the current user with mode
  // 0600 or stricter, so the key exists somewhere safe before any credential depends on it.
  std::string new_key_file;
};
void register_creds(CLI::App& root, Context& ctx);
void register_creds_set(CLI::App& noun, Context& ctx);
void register_creds_list(CLI::App& noun, Context& ctx);
void register_creds_verify(CLI::App& noun, Context& ctx);
void register_creds_delete(CLI::App& noun, Context& ctx);
void register_creds_rotate(CLI::App& noun, Context& ctx);
Result<void> run_creds_set(const CredsSetOptions& o, Deps& d);
Result<void> run_creds_list(const CredsListOptions& o, Deps& d);
Result<void> run_creds_verify(const CredsVerifyOptions& o, Deps& d);
Result<void> run_creds_delete(const CredsDeleteOptions& o, Deps& d);
Result<void> run_creds_rotate(const CredsRotateOptions& o, Deps& d);
} // namespace crm::cmd
