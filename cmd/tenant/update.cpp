#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant_update(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantUpdateOptions>();
  auto* app = add_command(
      noun, ctx, "update",
      {"Change a tenant's name, slug, timezone, currency, billing terms or settings",
       "Only the flags given change. A new slug keeps the UUID (UUID-first everywhere).",
       {"crmctl tenant update acme --timezone America/Chicago",
        "crmctl tenant update acme --cogs-per-minute 0.08 --markup 2.5 --dry-run"}});
  app->add_option("tenant", o->tenant, "Tenant UUID or slug (or --tenant)");
  app->add_option("--name", o->name, "New display name");
  app->add_option("--slug", o->slug, "New slug");
  app->add_option("--timezone", o->timezone, "IANA timezone");
  app->add_option("--currency", o->currency, "ISO 4217 code");
  app->add_option("--cogs-per-minute", o->cogs_per_minute, "Provider cost per minute");
  app->add_option("--rate-per-minute", o->rate_per_minute, "Customer price per minute");
  app->add_option("--markup", o->markup, "Customer rate as a multiple of COGS");
  app->add_option("--free-minutes", o->free_minutes, "Free minutes per month")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--rounding", o->rounding, "per_call_ceil_minute or per_second")
      ->check(CLI::IsMember({"per_call_ceil_minute", "per_second"}));
  app->add_option("--settings", o->settings_file,
                  "YAML with settings and modules (services are not touched)");
  on_run(app, ctx, o, run_tenant_update, Effect::writes);
}

Result<void> run_tenant_update(const TenantUpdateOptions& o, Deps& d) {
  tenant::UpdateSpec u;
  auto opt = [](const std::string& s) {
    return s.empty() ? std::optional<std::string>{} : std::optional<std::string>{s};
  };
  u.name = opt(o.name);
  u.slug = opt(o.slug);
  u.timezone = opt(o.timezone);
  u.currency = opt(o.currency);
  CRM_TRY_ASSIGN(u.cogs_per_minute, optional_decimal("--cogs-per-minute", o.cogs_per_minute));
  CRM_TRY_ASSIGN(u.rate_per_minute, optional_decimal("--rate-per-minute", o.rate_per_minute));
  CRM_TRY_ASSIGN(u.markup, optional_decimal("--markup", o.markup));
  if (o.free_minutes >= 0) u.free_minutes = o.free_minutes;
  if (!o.rounding.empty()) {
    CRM_TRY_ASSIGN(u.rounding, tenant::parse_rounding(o.rounding));
  }
  if (!o.settings_file.empty()) {
    CRM_TRY_ASSIGN(u.tmpl, tenant::load_template(o.settings_file));
  }
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::update(tx, call.tenant, u, call.actor, dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
