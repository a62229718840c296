#include "cmd/doctor/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/tenant/commands.hpp"
#include "tenant/provision.hpp"

#include <filesystem>

namespace crm::cmd {

void register_tenant_create(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TenantCreateOptions>();
  auto* app =
      add_command(noun, ctx, "create",
                  {"Provision a tenant completely, in one transaction",
                   "Creates the organization (UUID + slug derived from the name unless --slug), "
                   "settings and module "
                   "flags, the services price list (templates/tenant/default.yaml unless "
                   "--settings), the credit "
                   "account, the tenant schema at the current version (--isolation schema), and "
                   "the first admin user "
                   "and membership. Re-running with identical attributes and --if-not-exists "
                   "succeeds; anything else "
                   "that exists is a conflict (exit 4). The admin password is read from stdin, "
                   "never from a flag.",
                   {"crmctl tenant create \"Serenity MedSpa\" --admin-email owner@serenity.example "
                    "--timezone Europe/London "
                    "--cogs-per-minute 0.07 --markup 2 --free-minutes 100",
                    "crmctl tenant create \"Acme Dental\" --isolation schema --slug acme --dry-run",
                    "printf '%s\\n' \"$PW\" | crmctl tenant create Acme --admin-email "
                    "a@acme.example --admin-password-stdin"}});
  app->add_option("name", o->name, "Display name (quotes, unicode welcome; at most 200 characters)")
      ->required();
  app->add_option("--slug", o->slug, "URL-safe unique id (default: derived from the name)");
  app->add_option("--isolation", o->isolation,
                  "row (shared tables + RLS) or schema (own schema + RLS)")
      ->check(CLI::IsMember({"row", "schema"}));
  app->add_option("--timezone", o->timezone, "IANA timezone, e.g. Europe/London");
  app->add_option("--currency", o->currency, "ISO 4217 code, e.g. USD");
  app->add_option("--admin-email", o->admin_email, "Email of the first admin user");
  app->add_option("--admin-name", o->admin_name, "Name of the first admin user");
  app->add_flag("--admin-password-stdin", o->admin_password_stdin,
                "Read the admin password from stdin");
  app->add_option("--cogs-per-minute", o->cogs_per_minute,
                  "Provider cost per minute, exact decimal (e.g. 0.07)");
  app->add_option("--rate-per-minute", o->rate_per_minute,
                  "Customer price per minute (default: COGS x markup)");
  app->add_option("--markup", o->markup, "Customer rate as a multiple of COGS (default 2)");
  app->add_option("--free-minutes", o->free_minutes, "Free minutes per month")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--rounding", o->rounding, "per_call_ceil_minute or per_second")
      ->check(CLI::IsMember({"per_call_ceil_minute", "per_second"}));
  app->add_option("--settings", o->settings_file,
                  "YAML with settings, modules, branding and services");
  app->add_flag("--if-not-exists", o->if_not_exists, "Succeed when an identical tenant exists");
  app->add_option("--migrations-dir", o->migrations_dir,
                  "Migrations for the tenant schema (schema isolation)");
  on_run(app, ctx, o, run_tenant_create, Effect::writes);
}

Result<void> run_tenant_create(const TenantCreateOptions& o, Deps& d) {
  tenant::CreateSpec spec;
  spec.name = o.name;
  spec.slug = o.slug;
  spec.isolation = o.isolation == "schema" ? db::Isolation::schema : db::Isolation::row;
  spec.timezone = o.timezone;
  spec.currency = o.currency;
  spec.admin_email = o.admin_email;
  spec.admin_name = o.admin_name;
  spec.free_minutes = o.free_minutes;
  spec.if_not_exists = o.if_not_exists ? tenant::IfNotExists::yes : tenant::IfNotExists::no;
  CRM_TRY_ASSIGN(spec.rounding, tenant::parse_rounding(o.rounding));
  CRM_TRY_ASSIGN(auto cogs, optional_decimal("--cogs-per-minute", o.cogs_per_minute));
  spec.cogs_per_minute = cogs ? *cogs : Decimal();
  CRM_TRY_ASSIGN(spec.rate_per_minute, optional_decimal("--rate-per-minute", o.rate_per_minute));
  CRM_TRY_ASSIGN(spec.markup, optional_decimal("--markup", o.markup));
  if (o.admin_password_stdin && o.admin_email.empty())
    return make_error(ErrorKind::usage, "--admin-password-stdin needs --admin-email");
  std::string tmpl =
      o.settings_file.empty() ? templates_dir(d) + "/tenant/default.yaml" : o.settings_file;
  CRM_TRY_ASSIGN(spec.tmpl, tenant::load_template(tmpl));
  CRM_TRY_ASSIGN(auto set, migrate::load_migrations(resolve_migrations_dir(o.migrations_dir, d)));
  if (o.admin_password_stdin) {
    CRM_TRY_ASSIGN(std::string pw, read_secret(d, "admin password"));
    if (pw.size() < 8)
      return make_error(ErrorKind::usage, "admin password too short: use at least 8 characters");
    d.redactor().add(pw);
    spec.admin_password = pw;
  }
  CRM_TRY_ASSIGN(auto* c, d.db());
  std::string planned_slug; // set once create() succeeded: a failure after that is the COMMIT's
  auto created = in_admin_tx(d, *c, [&](db::AdminTx& tx) {
    auto res = tenant::create(tx, spec, set, tenancy_of(d), actor_of(d), dry_run_of(d));
    if (res) planned_slug = res->slug;
    return res;
  });
  if (!created && !planned_slug.empty() &&
      (created.error().sqlstate == "23505" || created.error().sqlstate == "40P01"))
    return make_error(ErrorKind::conflict,
                      "tenant '" + planned_slug +
                          "' was created concurrently by another session: nothing was written; "
                          "run the command again (with --if-not-exists to accept an identical "
                          "tenant)");
  CRM_TRY_ASSIGN(auto r, std::move(created));
  if (!r.created && !r.dry_run)
    d.notice("tenant '" + r.slug + "' already exists with identical attributes; nothing to do");
  if (d.format() == Format::table && r.dry_run) {
    d.io().out << "dry run: nothing written. Plan:\n";
    for (const auto& s : r.steps)
      d.io().out << "  - " << s << "\n";
    return {};
  }
  d.print(json_of(r),
          {{"id", "slug", "name", "isolation", "schema", "rate_per_minute", "created"}});
  return {};
}

} // namespace crm::cmd
