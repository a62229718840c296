#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_show(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantShowOptions>();
  auto* app = add_command(
      noun, ctx, "show",
      {"Show a tenant with counts of numbers, agents, calls and users",
       "Counts are read through the tenant's own RLS-scoped transaction.",
       {"crmctl tenant show serenity-medspa", "crmctl tenant show 6f1c...-... -o json"}});
  app->add_option("tenant", o->tenant, "Tenant UUID or slug (or --tenant)");
  on_run(app, ctx, o, run_tenant_show, Effect::reads);
}

Result<void> run_tenant_show(const TenantShowOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  CRM_TRY_ASSIGN(auto shown, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::show(tx, call.tenant);
                 }));
  nlohmann::json j = json_of(shown);
  if (d.format() == Format::table) {
    nlohmann::json flat = j;
    for (auto& [k, v] : j["counts"].items())
      flat[k] = v;
    flat.erase("counts");
    d.print(flat,
            {{"id",           "slug",     "name",           "status",          "isolation",
              "schema",       "timezone", "currency",       "cogs_per_minute", "rate_per_minute",
              "free_minutes", "rounding", "credit_balance", "numbers",         "agents",
              "calls",        "users",    "services",       "api_keys",        "created_at",
              "suspended_at"}});
    return {};
  }
  d.print(j);
  return {};
}

} // namespace crm::cmd
