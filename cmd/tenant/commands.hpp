// `crmctl tenant create | list | show | update | suspend | resume | delete | export` (one .cpp per
// verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {

struct TenantCreateOptions {
  std::string name, slug, isolation = "row", timezone = "UTC", currency = "USD";
  std::string admin_email, admin_name;
  bool admin_password_stdin = false;
  std::string cogs_per_minute = "0", rate_per_minute, markup;
  int free_minutes = 0;
  std::string rounding = "per_call_ceil_minute";
  std::string settings_file;
  bool if_not_exists = false;
  std::string migrations_dir;
};
struct TenantListOptions {
  std::string status, isolation, search;
};
struct TenantShowOptions {
  std::string tenant;
};
struct TenantUpdateOptions {
  std::string tenant, name, slug, timezone, currency, cogs_per_minute, rate_per_minute, markup,
      rounding, settings_file;
  int free_minutes = -1;
};
struct TenantStatusOptions {
  std::string tenant;
  std::string status;
};
struct TenantDeleteOptions {
  std::string tenant;
  bool purge = false;
};
struct TenantExportOptions {
  std::string tenant;
  std::string out;
};

void register_tenant(CLI::App& root, Context& ctx);
void register_tenant_create(CLI::App& noun, Context& ctx);
void register_tenant_list(CLI::App& noun, Context& ctx);
void register_tenant_show(CLI::App& noun, Context& ctx);
void register_tenant_update(CLI::App& noun, Context& ctx);
void register_tenant_suspend_resume(CLI::App& noun, Context& ctx);
void register_tenant_delete(CLI::App& noun, Context& ctx);
void register_tenant_export(CLI::App& noun, Context& ctx);
Result<void> run_tenant_create(const TenantCreateOptions& o, Deps& d);
Result<void> run_tenant_list(const TenantListOptions& o, Deps& d);
Result<void> run_tenant_show(const TenantShowOptions& o, Deps& d);
Result<void> run_tenant_update(const TenantUpdateOptions& o, Deps& d);
Result<void> run_tenant_status(const TenantStatusOptions& o, Deps& d);
Result<void> run_tenant_delete(const TenantDeleteOptions& o, Deps& d);
Result<void> run_tenant_export(const TenantExportOptions& o, Deps& d);

} // namespace crm::cmd
