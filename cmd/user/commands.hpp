// `crmctl user create | list | disable | import` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {
struct UserCreateOptions {
  std::string email, role, name;
  bool password_stdin = false;
};
struct UserListOptions {};
struct UserDisableOptions {
  std::string email;
};
struct UserImportOptions {
  std::string file;
  bool update_roles = false;
};
void register_user(CLI::App& root, Context& ctx);
void register_user_create(CLI::App& noun, Context& ctx);
void register_user_list(CLI::App& noun, Context& ctx);
void register_user_disable(CLI::App& noun, Context& ctx);
void register_user_import(CLI::App& noun, Context& ctx);
Result<void> run_user_create(const UserCreateOptions& o, Deps& d);
Result<void> run_user_list(const UserListOptions& o, Deps& d);
Result<void> run_user_disable(const UserDisableOptions& o, Deps& d);
Result<void> run_user_import(const UserImportOptions& o, Deps& d);
} // namespace crm::cmd
