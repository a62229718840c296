// Parsing tests: argv in, the verb's Options out, for every leaf of the command tree; bad argv of
// every verb family is a usage error (exit 2). A leaf without a parse test fails the build
// (ParseCoverage.EveryLeafHasAParseTest).
#include "cmd/agent/commands.hpp"
#include "cmd/apikey/commands.hpp"
#include "cmd/audit/commands.hpp"
#include "cmd/billing/commands.hpp"
#include "cmd/calls/commands.hpp"
#include "cmd/completion/commands.hpp"
#include "cmd/config/commands.hpp"
#include "cmd/context/commands.hpp"
#include "cmd/creds/commands.hpp"
#include "cmd/docs/gendocs.hpp"
#include "cmd/doctor/commands.hpp"
#include "cmd/forwarding/commands.hpp"
#include "cmd/migrate/commands.hpp"
#include "cmd/number/commands.hpp"
#include "cmd/recordings/commands.hpp"
#include "cmd/tenant/commands.hpp"
#include "cmd/tools/commands.hpp"
#include "cmd/transcripts/commands.hpp"
#include "cmd/user/commands.hpp"
#include "cmd/version/commands.hpp"
#include "cmd/serve/commands.hpp"
#include "cmd/webhooks/commands.hpp"
#include "cmd_harness.hpp"

#include <set>

using namespace crm;
using test::parse;

namespace {

// The command paths the tests below parse. Add a verb → add it here and a test for it.
const std::set<std::string> k_parse_covered = {
    "serve",
    "audit data",       "audit rls",      "__gendocs",       "agent create",     "agent disable",
    "agent enable",     "agent list",     "agent show",      "apikey create",    "apikey list",
    "apikey revoke",    "completion",     "config profiles", "config validate",  "config view",
    "context clear",    "context show",   "context use",     "creds delete",     "creds list",
    "creds rotate-key", "creds set",      "creds verify",    "doctor",           "forwarding codes",
    "migrate down",     "migrate new",    "migrate plan",    "migrate repair",   "migrate status",
    "migrate up",       "migrate verify", "tenant create",   "tenant delete",    "tenant export",
    "tenant list",      "tenant resume",  "tenant show",     "tenant suspend",   "tenant update",
    "user create",      "user disable",   "user import",     "user list",        "version",
    "number activate",  "number buy",     "number list",     "number reconcile", "number release",
    "number route",     "number search",
    "transcripts export", "recordings share", "recordings verify",
    "tools plan",       "tools sync",     "tools verify",    "tools prune",
    "calls import",     "calls list",     "billing rollup",  "billing statement",
    "billing report",   "billing credit add", "billing credit show",
    "webhooks list",    "webhooks replay",
};

// Parses and asserts it selected `path`.
std::unique_ptr<test::Parsed> parse_ok(const std::vector<std::string>& args,
                                       const std::string& path) {
  auto p = parse(args);
  EXPECT_TRUE(p->ok()) << p->error;
  EXPECT_EQ(p->path(), path);
  EXPECT_TRUE(k_parse_covered.count(path)) << path << " missing from k_parse_covered";
  return p;
}

} // namespace

TEST(ParseCoverage, EveryLeafHasAParseTest) {
  auto leaves = test::leaf_paths();
  ASSERT_GT(leaves.size(), 30u);
  for (const auto& l : leaves)
    EXPECT_TRUE(k_parse_covered.count(l))
        << "`crmctl " << l << "` has no parse test: add one to tests/cmd/parse_test.cpp";
  std::set<std::string> tree(leaves.begin(), leaves.end());
  for (const auto& c : k_parse_covered)
    EXPECT_TRUE(tree.count(c)) << "k_parse_covered names `" << c << "`, which is not a command";
}

TEST(ParseCoverage, EveryLeafHasOptionsAndAnEffect) {
  test::Parsed p;
  std::set<std::string> with_options;
  for (const auto& [app, opts] : p.ctx.options) {
    EXPECT_NE(opts, nullptr) << cmd::command_path(app);
    EXPECT_TRUE(p.ctx.effects.count(app)) << cmd::command_path(app);
    with_options.insert(cmd::command_path(app));
  }
  for (const auto& l : test::leaf_paths())
    EXPECT_TRUE(with_options.count(l)) << l << " registered no Options";
}

// --- global flags ---------------------------------------------------------------------------

TEST(Parse, GlobalFlags) {
  auto p = parse_ok({"--config", "/etc/x.yaml", "--profile", "prod", "--db", "postgresql://h/db",
                     "-o", "yaml", "--tenant", "acme", "--dry-run", "-y", "-vv", "--log-format",
                     "json", "--no-color", "--read-only", "tenant", "list"},
                    "tenant list");
  const auto& g = p->global;
  EXPECT_EQ(g.config_path, "/etc/x.yaml");
  EXPECT_EQ(g.profile, "prod");
  EXPECT_EQ(g.db_url, "postgresql://h/db");
  EXPECT_EQ(g.output, "yaml");
  EXPECT_EQ(g.tenant, "acme");
  EXPECT_TRUE(g.dry_run);
  EXPECT_TRUE(g.yes);
  EXPECT_EQ(g.verbose, 2);
  EXPECT_FALSE(g.quiet);
  EXPECT_EQ(g.log_format, "json");
  EXPECT_TRUE(g.no_color);
  EXPECT_TRUE(g.read_only);
}

TEST(Parse, QuietAndVerboseAreFlagsNotOptions) {
  auto p = parse_ok({"-q", "-o", "json", "-v", "--log-format", "json", "version"}, "version");
  EXPECT_TRUE(p->global.quiet);
  EXPECT_EQ(p->global.verbose, 1);
  EXPECT_EQ(p->global.output, "json");
  EXPECT_EQ(p->global.log_format, "json");
}

TEST(Parse, GlobalFlagsAfterTheVerbAndDefaults) {
  // Global flags fall through: they may follow the verb.
  auto p = parse_ok({"tenant", "show", "acme", "-o", "json", "--yes", "-q"}, "tenant show");
  EXPECT_EQ(p->global.output, "json");
  EXPECT_TRUE(p->global.yes);
  EXPECT_TRUE(p->global.quiet);
  auto d = parse_ok({"version"}, "version");
  EXPECT_EQ(d->global.output, "");
  EXPECT_FALSE(d->global.dry_run);
  EXPECT_FALSE(d->global.yes);
  EXPECT_EQ(d->global.log_format, "text");
  EXPECT_FALSE(d->global.read_only);
}

// --- version, completion, config, context, doctor, __gendocs ----------------------------------

TEST(Parse, Version) {
  auto p = parse_ok({"version"}, "version");
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
  (void)p->options<cmd::VersionOptions>();
}

TEST(Parse, Completion) {
  for (const char* sh : {"bash", "zsh", "fish"}) {
    auto p = parse_ok({"completion", sh}, "completion");
    EXPECT_EQ(p->options<cmd::CompletionOptions>().shell, sh);
    EXPECT_EQ(p->options<cmd::CompletionOptions>().root, &p->root);
  }
}

TEST(Parse, ConfigVerbs) {
  auto v = parse_ok({"--config", "c.yaml", "config", "view"}, "config view");
  EXPECT_EQ(v->global.config_path, "c.yaml");
  (void)v->options<cmd::ConfigViewOptions>();
  auto val = parse_ok({"config", "validate"}, "config validate");
  (void)val->options<cmd::ConfigValidateOptions>();
  auto pr = parse_ok({"config", "profiles", "-o", "json"}, "config profiles");
  (void)pr->options<cmd::ConfigProfilesOptions>();
  for (auto* p : {v.get(), val.get(), pr.get()})
    EXPECT_EQ(p->effect(), cmd::Effect::reads) << p->path();
}

TEST(Parse, ContextVerbs) {
  auto u = parse_ok({"context", "use", "serenity-medspa"}, "context use");
  EXPECT_EQ(u->options<cmd::ContextUseOptions>().tenant, "serenity-medspa");
  auto s = parse_ok({"context", "show"}, "context show");
  (void)s->options<cmd::ContextShowOptions>();
  auto c = parse_ok({"context", "clear"}, "context clear");
  (void)c->options<cmd::ContextClearOptions>();
}

TEST(Parse, Doctor) {
  auto p = parse_ok({"doctor", "--migrations-dir", "/srv/migrations"}, "doctor");
  EXPECT_EQ(p->options<cmd::DoctorOptions>().migrations_dir, "/srv/migrations");
  auto d = parse_ok({"doctor"}, "doctor");
  EXPECT_EQ(d->options<cmd::DoctorOptions>().migrations_dir, "");
  EXPECT_FALSE(d->options<cmd::DoctorOptions>().providers);
  EXPECT_TRUE(
      parse_ok({"doctor", "--providers"}, "doctor")->options<cmd::DoctorOptions>().providers);
}

// --- number ---------------------------------------------------------------------------------

TEST(Parse, NumberSearchAndBuy) {
  auto s = parse_ok({"number", "search", "--country", "CA", "--area-code", "778", "--contains",
                     "55", "--limit", "5"},
                    "number search");
  const auto& so = s->options<cmd::NumberSearchOptions>();
  EXPECT_EQ(so.country, "CA");
  EXPECT_EQ(so.area_code, "778");
  EXPECT_EQ(so.contains, "55");
  EXPECT_EQ(so.limit, 5);
  EXPECT_EQ(s->effect(), cmd::Effect::reads);
  EXPECT_EQ(
      parse_ok({"number", "search"}, "number search")->options<cmd::NumberSearchOptions>().limit,
      20);
  EXPECT_FALSE(parse({"number", "search", "--limit", "0"})->ok());
  auto b = parse_ok(
      {"--tenant", "acme", "number", "buy", "--number", "+14155550100", "--idempotency-key", "k1"},
      "number buy");
  const auto& bo = b->options<cmd::NumberBuyOptions>();
  EXPECT_EQ(bo.number, "+14155550100");
  EXPECT_EQ(bo.idempotency_key, "k1");
  EXPECT_EQ(bo.country, "US");
  EXPECT_EQ(b->global.tenant, "acme");
  EXPECT_EQ(b->effect(), cmd::Effect::writes);
  auto a = parse_ok({"number", "buy", "--area-code", "778", "--country", "CA"}, "number buy");
  EXPECT_EQ(a->options<cmd::NumberBuyOptions>().area_code, "778");
  EXPECT_FALSE(parse({"number", "buy", "--number", "+1", "--area-code", "778"})->ok());
}

TEST(Parse, NumberActivateListReleaseRouteReconcile) {
  auto a = parse_ok({"number", "activate", "+14155550100", "+14155550101", "--agent", "ag_1"},
                    "number activate");
  EXPECT_EQ(a->options<cmd::NumberActivateOptions>().numbers.size(), 2u);
  EXPECT_EQ(a->options<cmd::NumberActivateOptions>().agent, "ag_1");
  auto all = parse_ok({"number", "activate", "--all-tenants", "--jobs", "8"}, "number activate");
  EXPECT_TRUE(all->options<cmd::NumberActivateOptions>().all_tenants);
  EXPECT_EQ(all->options<cmd::NumberActivateOptions>().jobs, 8);
  EXPECT_FALSE(parse({"number", "activate", "--jobs", "0"})->ok());
  auto l = parse_ok({"number", "list", "--all", "--status", "active"}, "number list");
  EXPECT_TRUE(l->options<cmd::NumberListOptions>().all);
  EXPECT_EQ(l->effect(), cmd::Effect::reads);
  EXPECT_FALSE(parse({"number", "list", "--status", "bogus"})->ok());
  auto r = parse_ok({"number", "release", "+14155550100"}, "number release");
  EXPECT_EQ(r->options<cmd::NumberReleaseOptions>().number, "+14155550100");
  EXPECT_EQ(r->effect(), cmd::Effect::destroys);
  EXPECT_FALSE(parse({"number", "release"})->ok());
  auto ro =
      parse_ok({"number", "route", "+14155550100", "--ai", "off", "--forward-to", "+14155550199"},
               "number route");
  EXPECT_EQ(ro->options<cmd::NumberRouteOptions>().ai, "off");
  EXPECT_EQ(ro->options<cmd::NumberRouteOptions>().forward_to, "+14155550199");
  EXPECT_FALSE(parse({"number", "route", "+14155550100", "--ai", "maybe"})->ok());
  EXPECT_FALSE(parse({"number", "route", "+14155550100"})->ok());
  auto rc = parse_ok({"number", "reconcile", "--fix", "--min-age", "0s"}, "number reconcile");
  EXPECT_TRUE(rc->options<cmd::NumberReconcileOptions>().fix);
  EXPECT_EQ(rc->options<cmd::NumberReconcileOptions>().min_age, "0s");
  EXPECT_EQ(parse_ok({"number", "reconcile"}, "number reconcile")
                ->options<cmd::NumberReconcileOptions>()
                .min_age,
            "3m");
}

TEST(Parse, Gendocs) {
  auto p = parse_ok({"__gendocs", "--out", "/tmp/docs"}, "__gendocs");
  EXPECT_EQ(p->options<cmd::GendocsOptions>().out_dir, "/tmp/docs");
  EXPECT_EQ(p->options<cmd::GendocsOptions>().root, &p->root);
  EXPECT_EQ(parse_ok({"__gendocs"}, "__gendocs")->options<cmd::GendocsOptions>().out_dir, ".");
}

// --- migrate --------------------------------------------------------------------------------

TEST(Parse, MigrateStatusPlanVerifyRepairShareCommonFlags) {
  auto st = parse_ok({"migrate", "status", "--migrations-dir", "/m", "--lock-timeout", "30s"},
                     "migrate status");
  EXPECT_EQ(st->options<cmd::MigrateStatusOptions>().common.migrations_dir, "/m");
  EXPECT_EQ(st->options<cmd::MigrateStatusOptions>().common.lock_timeout, "30s");
  auto pl = parse_ok({"migrate", "plan", "--migrations-dir", "/p"}, "migrate plan");
  EXPECT_EQ(pl->options<cmd::MigratePlanOptions>().common.migrations_dir, "/p");
  EXPECT_EQ(pl->options<cmd::MigratePlanOptions>().common.lock_timeout, "10s"); // default
  auto ve = parse_ok({"migrate", "verify", "--migrations-dir", "/v"}, "migrate verify");
  EXPECT_EQ(ve->options<cmd::MigrateVerifyOptions>().common.migrations_dir, "/v");
  auto re = parse_ok({"migrate", "repair", "--lock-timeout", "1m"}, "migrate repair");
  EXPECT_EQ(re->options<cmd::MigrateRepairOptions>().common.lock_timeout, "1m");
  EXPECT_EQ(re->effect(), cmd::Effect::writes);
}

TEST(Parse, MigrateUp) {
  auto p =
      parse_ok({"migrate", "up", "--to", "20260101000000", "--jobs", "8", "--canary", "10",
                "--tenants", "acme,org_4f1c", "--on-error", "continue", "--allow-out-of-order"},
               "migrate up");
  const auto& o = p->options<cmd::MigrateUpOptions>();
  EXPECT_EQ(o.to, "20260101000000");
  EXPECT_EQ(o.jobs, 8);
  EXPECT_EQ(o.canary, 10);
  EXPECT_EQ(o.tenants, "acme,org_4f1c");
  EXPECT_EQ(o.on_error, "continue");
  EXPECT_TRUE(o.allow_out_of_order);
  auto d = parse_ok({"migrate", "up"}, "migrate up");
  const auto& od = d->options<cmd::MigrateUpOptions>();
  EXPECT_EQ(od.jobs, 4);
  EXPECT_EQ(od.canary, 0);
  EXPECT_EQ(od.tenants, "all");
  EXPECT_EQ(od.on_error, "stop");
  EXPECT_FALSE(od.allow_out_of_order);
  EXPECT_EQ(d->effect(), cmd::Effect::writes);
}

TEST(Parse, MigrateDown) {
  auto p =
      parse_ok({"migrate", "down", "--to", "20260101000000", "--track", "global"}, "migrate down");
  EXPECT_EQ(p->options<cmd::MigrateDownOptions>().to, "20260101000000");
  EXPECT_EQ(p->options<cmd::MigrateDownOptions>().track, "global");
  EXPECT_EQ(p->effect(), cmd::Effect::destroys);
  EXPECT_EQ(parse_ok({"migrate", "down"}, "migrate down")->options<cmd::MigrateDownOptions>().track,
            "tenant");
}

TEST(Parse, MigrateNew) {
  auto p = parse_ok(
      {"migrate", "new", "add_call_tags", "--track", "global", "--migrations-dir", "/tmp/m"},
      "migrate new");
  const auto& o = p->options<cmd::MigrateNewOptions>();
  EXPECT_EQ(o.name, "add_call_tags");
  EXPECT_EQ(o.track, "global");
  EXPECT_EQ(o.common.migrations_dir, "/tmp/m");
}

// --- tenant ---------------------------------------------------------------------------------

TEST(Parse, TenantCreate) {
  auto p = parse_ok({"tenant", "create", "O'Brien Dental", "--isolation", "schema",
                     "--free-minutes", "5", "--if-not-exists"},
                    "tenant create");
  const auto& o = p->options<cmd::TenantCreateOptions>();
  EXPECT_EQ(o.name, "O'Brien Dental");
  EXPECT_EQ(o.isolation, "schema");
  EXPECT_EQ(o.free_minutes, 5);
  EXPECT_TRUE(o.if_not_exists);
  // Untouched flags keep their defaults.
  EXPECT_EQ(o.slug, "");
  EXPECT_EQ(o.timezone, "UTC");
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(o.cogs_per_minute, "0");
  EXPECT_EQ(o.rounding, "per_call_ceil_minute");
  EXPECT_FALSE(o.admin_password_stdin);
  EXPECT_EQ(p->effect(), cmd::Effect::writes);
}

TEST(Parse, TenantCreateEveryFlag) {
  auto p = parse_ok({"tenant",
                     "create",
                     "Serenity MedSpa",
                     "--slug",
                     "serenity",
                     "--isolation",
                     "row",
                     "--timezone",
                     "Europe/London",
                     "--currency",
                     "GBP",
                     "--admin-email",
                     "owner@serenity.example",
                     "--admin-name",
                     "Sam Owner",
                     "--admin-password-stdin",
                     "--cogs-per-minute",
                     "0.07",
                     "--rate-per-minute",
                     "0.15",
                     "--markup",
                     "2",
                     "--rounding",
                     "per_second",
                     "--settings",
                     "t.yaml",
                     "--migrations-dir",
                     "/m"},
                    "tenant create");
  const auto& o = p->options<cmd::TenantCreateOptions>();
  EXPECT_EQ(o.slug, "serenity");
  EXPECT_EQ(o.isolation, "row");
  EXPECT_EQ(o.timezone, "Europe/London");
  EXPECT_EQ(o.currency, "GBP");
  EXPECT_EQ(o.admin_email, "owner@serenity.example");
  EXPECT_EQ(o.admin_name, "Sam Owner");
  EXPECT_TRUE(o.admin_password_stdin);
  EXPECT_EQ(o.cogs_per_minute, "0.07");
  EXPECT_EQ(o.rate_per_minute, "0.15");
  EXPECT_EQ(o.markup, "2");
  EXPECT_EQ(o.rounding, "per_second");
  EXPECT_EQ(o.settings_file, "t.yaml");
  EXPECT_EQ(o.migrations_dir, "/m");
  EXPECT_FALSE(o.if_not_exists);
}

TEST(Parse, TenantList) {
  auto p = parse_ok(
      {"tenant", "list", "--status", "suspended", "--isolation", "schema", "--search", "dental"},
      "tenant list");
  const auto& o = p->options<cmd::TenantListOptions>();
  EXPECT_EQ(o.status, "suspended");
  EXPECT_EQ(o.isolation, "schema");
  EXPECT_EQ(o.search, "dental");
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
}

TEST(Parse, TenantShowAndExport) {
  auto s = parse_ok({"tenant", "show", "serenity-medspa"}, "tenant show");
  EXPECT_EQ(s->options<cmd::TenantShowOptions>().tenant, "serenity-medspa");
  // The positional may be left out for --tenant.
  auto g = parse_ok({"--tenant", "acme", "tenant", "show"}, "tenant show");
  EXPECT_EQ(g->options<cmd::TenantShowOptions>().tenant, "");
  EXPECT_EQ(g->global.tenant, "acme");
  auto e = parse_ok({"tenant", "export", "acme", "--out", "/backups/acme"}, "tenant export");
  EXPECT_EQ(e->options<cmd::TenantExportOptions>().tenant, "acme");
  EXPECT_EQ(e->options<cmd::TenantExportOptions>().out, "/backups/acme");
  EXPECT_EQ(e->effect(), cmd::Effect::reads);
}

TEST(Parse, TenantUpdate) {
  auto p = parse_ok({"tenant",
                     "update",
                     "acme",
                     "--name",
                     "Acme Two",
                     "--slug",
                     "acme-2",
                     "--timezone",
                     "America/Chicago",
                     "--currency",
                     "EUR",
                     "--cogs-per-minute",
                     "0.08",
                     "--rate-per-minute",
                     "0.2",
                     "--markup",
                     "2.5",
                     "--free-minutes",
                     "0",
                     "--rounding",
                     "per_second",
                     "--settings",
                     "s.yaml"},
                    "tenant update");
  const auto& o = p->options<cmd::TenantUpdateOptions>();
  EXPECT_EQ(o.tenant, "acme");
  EXPECT_EQ(o.name, "Acme Two");
  EXPECT_EQ(o.slug, "acme-2");
  EXPECT_EQ(o.timezone, "America/Chicago");
  EXPECT_EQ(o.currency, "EUR");
  EXPECT_EQ(o.cogs_per_minute, "0.08");
  EXPECT_EQ(o.rate_per_minute, "0.2");
  EXPECT_EQ(o.markup, "2.5");
  EXPECT_EQ(o.free_minutes, 0);
  EXPECT_EQ(o.rounding, "per_second");
  EXPECT_EQ(o.settings_file, "s.yaml");
  // Unset means "do not change": -1 for the number, "" for text.
  auto u = parse_ok({"tenant", "update", "acme", "--timezone", "UTC"}, "tenant update");
  EXPECT_EQ(u->options<cmd::TenantUpdateOptions>().free_minutes, -1);
  EXPECT_EQ(u->options<cmd::TenantUpdateOptions>().name, "");
}

TEST(Parse, TenantSuspendResume) {
  auto s = parse_ok({"tenant", "suspend", "acme"}, "tenant suspend");
  EXPECT_EQ(s->options<cmd::TenantStatusOptions>().tenant, "acme");
  EXPECT_EQ(s->options<cmd::TenantStatusOptions>().status, "suspended");
  EXPECT_EQ(s->effect(), cmd::Effect::destroys);
  auto r = parse_ok({"tenant", "resume", "acme"}, "tenant resume");
  EXPECT_EQ(r->options<cmd::TenantStatusOptions>().tenant, "acme");
  EXPECT_EQ(r->options<cmd::TenantStatusOptions>().status, "active");
  EXPECT_EQ(r->effect(), cmd::Effect::writes);
}

TEST(Parse, TenantDelete) {
  auto p = parse_ok({"tenant", "delete", "acme", "--purge", "--yes"}, "tenant delete");
  EXPECT_EQ(p->options<cmd::TenantDeleteOptions>().tenant, "acme");
  EXPECT_TRUE(p->options<cmd::TenantDeleteOptions>().purge);
  EXPECT_TRUE(p->global.yes);
  EXPECT_EQ(p->effect(), cmd::Effect::destroys);
  EXPECT_FALSE(parse_ok({"tenant", "delete", "acme"}, "tenant delete")
                   ->options<cmd::TenantDeleteOptions>()
                   .purge);
}

// --- user -----------------------------------------------------------------------------------

TEST(Parse, UserCreate) {
  auto p = parse_ok({"--tenant", "acme", "user", "create", "ana@acme.example", "--role", "manager",
                     "--name", "Ana Lopez", "--password-stdin"},
                    "user create");
  const auto& o = p->options<cmd::UserCreateOptions>();
  EXPECT_EQ(o.email, "ana@acme.example");
  EXPECT_EQ(o.role, "manager");
  EXPECT_EQ(o.name, "Ana Lopez");
  EXPECT_TRUE(o.password_stdin);
  EXPECT_EQ(p->global.tenant, "acme");
  EXPECT_EQ(p->effect(), cmd::Effect::writes);
}

TEST(Parse, UserListDisableImport) {
  (void)parse_ok({"user", "list", "--tenant", "acme"}, "user list")
      ->options<cmd::UserListOptions>();
  auto d = parse_ok({"user", "disable", "ana@acme.example"}, "user disable");
  EXPECT_EQ(d->options<cmd::UserDisableOptions>().email, "ana@acme.example");
  auto i = parse_ok({"user", "import", "users.csv"}, "user import");
  EXPECT_EQ(i->options<cmd::UserImportOptions>().file, "users.csv");
  auto s = parse_ok({"user", "import", "-"}, "user import");
  EXPECT_EQ(s->options<cmd::UserImportOptions>().file, "-");
}

// --- apikey ---------------------------------------------------------------------------------

TEST(Parse, ApikeyCreate) {
  auto p = parse_ok({"apikey", "create", "--name", "zapier", "--scopes", "calls:read,contacts:read",
                     "--expires", "90d"},
                    "apikey create");
  const auto& o = p->options<cmd::ApikeyCreateOptions>();
  EXPECT_EQ(o.name, "zapier");
  EXPECT_EQ(o.scopes, "calls:read,contacts:read");
  EXPECT_EQ(o.expires, "90d");
  auto d = parse_ok({"apikey", "create", "--name", "n", "--scopes", "admin"}, "apikey create");
  EXPECT_EQ(d->options<cmd::ApikeyCreateOptions>().expires, ""); // never
}

TEST(Parse, ApikeyListRevoke) {
  (void)parse_ok({"apikey", "list"}, "apikey list")->options<cmd::ApikeyListOptions>();
  auto r = parse_ok({"apikey", "revoke", "1a2b3c4d"}, "apikey revoke");
  EXPECT_EQ(r->options<cmd::ApikeyRevokeOptions>().key, "1a2b3c4d");
}

// --- agent ----------------------------------------------------------------------------------

TEST(Parse, AgentCreate) {
  auto p = parse_ok({"agent", "create", "--provider", "vapi", "--external-id", "asst_123", "--name",
                     "Front desk"},
                    "agent create");
  const auto& o = p->options<cmd::AgentCreateOptions>();
  EXPECT_EQ(o.provider, "vapi");
  EXPECT_EQ(o.external_id, "asst_123");
  EXPECT_EQ(o.name, "Front desk");
  EXPECT_EQ(p->effect(), cmd::Effect::writes);
  auto d = parse_ok({"agent", "create", "--provider", "retell", "--external-id", "agent_9"},
                    "agent create");
  EXPECT_EQ(d->options<cmd::AgentCreateOptions>().name, ""); // defaults to the external id
}

TEST(Parse, AgentListShow) {
  auto l =
      parse_ok({"agent", "list", "--provider", "elevenlabs", "--status", "active"}, "agent list");
  EXPECT_EQ(l->options<cmd::AgentListOptions>().provider, "elevenlabs");
  EXPECT_EQ(l->options<cmd::AgentListOptions>().status, "active");
  EXPECT_EQ(l->effect(), cmd::Effect::reads);
  EXPECT_EQ(parse_ok({"agent", "list"}, "agent list")->options<cmd::AgentListOptions>().status, "");
  auto s = parse_ok({"agent", "show", "asst_123", "--provider", "vapi"}, "agent show");
  EXPECT_EQ(s->options<cmd::AgentShowOptions>().agent, "asst_123");
  EXPECT_EQ(s->options<cmd::AgentShowOptions>().provider, "vapi");
  EXPECT_EQ(s->effect(), cmd::Effect::reads);
}

TEST(Parse, AgentDisableEnable) {
  auto d = parse_ok({"agent", "disable", "asst_123"}, "agent disable");
  EXPECT_EQ(d->options<cmd::AgentDisableOptions>().agent, "asst_123");
  EXPECT_EQ(d->options<cmd::AgentDisableOptions>().provider, "");
  EXPECT_EQ(d->effect(), cmd::Effect::destroys);
  auto e = parse_ok({"agent", "enable", "asst_123", "--provider", "retell"}, "agent enable");
  EXPECT_EQ(e->options<cmd::AgentEnableOptions>().agent, "asst_123");
  EXPECT_EQ(e->options<cmd::AgentEnableOptions>().provider, "retell");
  EXPECT_EQ(e->effect(), cmd::Effect::writes);
}

// --- forwarding -----------------------------------------------------------------------------

TEST(Parse, ForwardingCodes) {
  auto p = parse_ok({"forwarding", "codes", "--carrier", "tmobile", "--mode", "safety_net", "--to",
                     "+15550109999", "--ring", "20"},
                    "forwarding codes");
  const auto& o = p->options<cmd::ForwardingCodesOptions>();
  EXPECT_EQ(o.carrier, "tmobile");
  EXPECT_EQ(o.mode, "safety_net");
  EXPECT_EQ(o.to, "+15550109999");
  EXPECT_EQ(o.ring, 20);
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
  auto d = parse_ok(
      {"forwarding", "codes", "--carrier", "verizon", "--mode", "total_ai", "--to", "+15550109999"},
      "forwarding codes");
  EXPECT_EQ(d->options<cmd::ForwardingCodesOptions>().ring, std::nullopt);
}

// --- creds ----------------------------------------------------------------------------------

TEST(Parse, CredsSet) {
  auto p = parse_ok({"creds", "set", "twilio", "--from-stdin"}, "creds set");
  EXPECT_EQ(p->options<cmd::CredsSetOptions>().provider, "twilio");
  EXPECT_TRUE(p->options<cmd::CredsSetOptions>().from_stdin);
  EXPECT_FALSE(p->options<cmd::CredsSetOptions>().from_env);
  auto e = parse_ok({"creds", "set", "elevenlabs", "--from-env"}, "creds set");
  EXPECT_TRUE(e->options<cmd::CredsSetOptions>().from_env);
  EXPECT_FALSE(e->options<cmd::CredsSetOptions>().from_stdin);
}

TEST(Parse, CredsListVerifyDeleteRotate) {
  (void)parse_ok({"creds", "list"}, "creds list")->options<cmd::CredsListOptions>();
  auto v = parse_ok({"creds", "verify", "twilio"}, "creds verify");
  EXPECT_EQ(v->options<cmd::CredsVerifyOptions>().provider, "twilio");
  EXPECT_EQ(
      parse_ok({"creds", "verify"}, "creds verify")->options<cmd::CredsVerifyOptions>().provider,
      "");
  auto d = parse_ok({"creds", "delete", "retell"}, "creds delete");
  EXPECT_EQ(d->options<cmd::CredsDeleteOptions>().provider, "retell");
  EXPECT_EQ(d->effect(), cmd::Effect::destroys);
  auto r =
      parse_ok({"creds", "rotate-key", "--new-key-file", "/run/secrets/k2"}, "creds rotate-key");
  EXPECT_EQ(r->options<cmd::CredsRotateOptions>().new_key_file, "/run/secrets/k2");
  EXPECT_EQ(r->effect(), cmd::Effect::destroys);
}

// --- usage errors: every verb family -----------------------------------------------------------

TEST(Parse, AuditRls) {
  auto p = parse_ok({"audit",
                     "rls",
                     "--schema",
                     "public,org_a",
                     "--schema",
                     "org_b",
                     "--tenant-column",
                     "client_id",
                     "--app-role",
                     "authenticated,anon",
                     "--guc",
                     "request.jwt.claims",
                     "--guc",
                     "request.jwt.claim*",
                     "--bypass-role",
                     "service_role",
                     "--global-table",
                     "public.routes",
                     "--probe",
                     "--probe-writes",
                     "--allow-production",
                     "--data",
                     "--jobs",
                     "8",
                     "--statement-timeout",
                     "2s",
                     "--lock-timeout",
                     "500ms",
                     "--fail-on",
                     "high",
                     "--format",
                     "sarif",
                     "--baseline",
                     "b.json",
                     "--fix-sql",
                     "fix.sql"},
                    "audit rls");
  const auto& o = p->options<cmd::AuditRlsOptions>();
  using V = std::vector<std::string>;
  EXPECT_EQ(o.common.schemas, (V{"public", "org_a", "org_b"}));
  EXPECT_EQ(o.common.tenant_columns, V{"client_id"});
  EXPECT_EQ(o.common.app_roles, (V{"authenticated", "anon"}));
  EXPECT_EQ(o.common.gucs, (V{"request.jwt.claims", "request.jwt.claim*"}));
  EXPECT_EQ(o.common.bypass_roles, V{"service_role"});
  EXPECT_EQ(o.common.global_tables, V{"public.routes"});
  EXPECT_TRUE(o.probe && o.probe_writes && o.allow_production && o.data);
  EXPECT_EQ(o.jobs, 8);
  EXPECT_EQ(o.statement_timeout, "2s");
  EXPECT_EQ(o.lock_timeout, "500ms");
  EXPECT_EQ(o.common.fail_on, "high");
  EXPECT_EQ(o.common.format, "sarif");
  EXPECT_EQ(o.common.baseline, "b.json");
  EXPECT_EQ(o.fix_sql, "fix.sql");
  EXPECT_EQ(p->effect(), cmd::Effect::reads);

  auto d = parse_ok({"audit", "rls"}, "audit rls");
  const auto& def = d->options<cmd::AuditRlsOptions>();
  EXPECT_FALSE(def.probe || def.probe_writes || def.allow_production || def.data);
  EXPECT_EQ(def.jobs, 4);
  EXPECT_TRUE(def.common.fail_on.empty());
  EXPECT_TRUE(def.common.format.empty());
  EXPECT_TRUE(def.common.schemas.empty());
  using Argv = std::vector<std::string>;
  for (const Argv& bad :
       {Argv{"audit", "rls", "--fail-on", "severe"}, Argv{"audit", "rls", "--format", "xml"},
        Argv{"audit", "rls", "--jobs", "0"}, Argv{"audit"}, Argv{"audit", "rls", "extra"}})
    EXPECT_EQ(parse(bad)->code, 2) << bad.back();
}

TEST(Parse, AuditData) {
  auto p = parse_ok({"audit", "data", "--phone-column", "e164,phone_number", "--tenant-column",
                     "tenant_id", "--fail-on", "medium", "--format", "junit"},
                    "audit data");
  const auto& o = p->options<cmd::AuditDataOptions>();
  EXPECT_EQ(o.phone_columns, (std::vector<std::string>{"e164", "phone_number"}));
  EXPECT_EQ(o.common.tenant_columns, std::vector<std::string>{"tenant_id"});
  EXPECT_EQ(o.common.fail_on, "medium");
  EXPECT_EQ(o.common.format, "junit");
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
  EXPECT_EQ(parse({"audit", "data", "--probe"})->code, 2);
}

TEST(Parse, BadArgvIsAUsageErrorInEveryFamily) {
  const std::vector<std::vector<std::string>> bad = {
      // global
      {"-o", "xml", "version"},
      {"--log-format", "xml", "version"},
      {"nosuchverb"},
      // version, completion, config, context, doctor
      {"version", "extra"},
      {"completion", "tcsh"},
      {"completion"},
      {"config", "edit"},
      {"context", "use"},
      {"doctor", "--bogus"},
      // migrate
      {"migrate", "up", "--jobs", "0"},
      {"migrate", "up", "--jobs", "-1"},
      {"migrate", "up", "--canary", "-1"},
      {"migrate", "up", "--on-error", "ignore"},
      {"migrate", "down", "--track", "both"},
      {"migrate", "new"},
      {"migrate", "new", "x", "--track", "local"},
      // tenant
      {"tenant", "create"},
      {"tenant", "create", "Acme", "--isolation", "shared"},
      {"tenant", "create", "Acme", "--free-minutes", "-5"},
      {"tenant", "create", "Acme", "--free-minutes", "many"},
      {"tenant", "create", "Acme", "--rounding", "nearest"},
      {"tenant", "list", "--status", "gone"},
      {"tenant", "list", "--isolation", "cluster"},
      {"tenant", "update", "acme", "--free-minutes", "-3"},
      {"tenant", "export", "acme"},
      // user
      {"user", "create", "ana@acme.example"},
      {"user", "create", "--role", "admin"},
      {"user", "disable"},
      {"user", "import"},
      // apikey
      {"apikey", "create", "--name", "zapier"},
      {"apikey", "create", "--scopes", "admin"},
      {"apikey", "revoke"},
      // agent
      {"agent", "create", "--provider", "vapi"},
      {"agent", "create", "--external-id", "asst_1"},
      {"agent", "create", "--provider", "bland", "--external-id", "asst_1"},
      {"agent", "list", "--status", "gone"},
      {"agent", "list", "--provider", "twilio"},
      {"agent", "show"},
      {"agent", "disable"},
      {"agent", "enable", "a", "--provider", "x"},
      // forwarding
      {"forwarding"},
      {"forwarding", "codes", "--mode", "total_ai", "--to", "+15550109999"},
      {"forwarding", "codes", "--carrier", "vodafone", "--mode", "total_ai", "--to", "+1555"},
      {"forwarding", "codes", "--carrier", "att", "--mode", "always", "--to", "+15550109999"},
      {"forwarding", "codes", "--carrier", "att", "--mode", "total_ai"},
      {"forwarding", "codes", "--carrier", "att", "--mode", "safety_net", "--to", "+15550109999",
       "--ring", "ten"},
      // creds
      {"creds", "set", "--from-stdin"},
      {"creds", "set", "twilio", "--from-stdin", "--from-env"},
      {"creds", "delete"},
      {"creds", "rotate-key", "--new-key-file"},
  };
  for (const auto& argv : bad) {
    std::string shown;
    for (const auto& a : argv)
      shown += " " + a;
    auto p = parse(argv);
    EXPECT_EQ(p->code, 2) << "crmctl" << shown << " parsed";
    EXPECT_FALSE(p->error.empty()) << "crmctl" << shown;
    // And the CLI as a whole exits 2 with one line on stderr, touching nothing.
    test::Cli cli;
    auto r = cli(argv);
    EXPECT_EQ(r.code, 2) << "crmctl" << shown << "\n" << r;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "crmctl" << shown << "\n" << r;
    EXPECT_TRUE(r.out.empty()) << "crmctl" << shown << "\n" << r;
    EXPECT_EQ(cli.http_clients_made, 0);
  }
}

TEST(Parse, HelpIsNotAnError) {
  auto p = parse({"tenant", "create", "--help"});
  EXPECT_EQ(p->code, 0);
  EXPECT_TRUE(p->error.empty());
  test::Cli cli;
  auto r = cli({"tenant", "create", "--help"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("--if-not-exists"), std::string::npos);
}

// --- tools ------------------------------------------------------------------------------------

TEST(Parse, Tools) {
  auto p = parse_ok({"tools", "plan", "--all-tenants", "--exit-code", "--definitions", "/d", "--jobs",
                     "16", "--cached"},
                    "tools plan");
  const auto& po = p->options<cmd::ToolsPlanOptions>();
  EXPECT_TRUE(po.all_tenants);
  EXPECT_TRUE(po.exit_code);
  EXPECT_EQ(po.definitions, "/d");
  EXPECT_EQ(po.jobs, 16);
  EXPECT_TRUE(po.cached);
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
  auto dflt = parse_ok({"tools", "plan"}, "tools plan");
  EXPECT_FALSE(dflt->options<cmd::ToolsPlanOptions>().exit_code);
  EXPECT_EQ(dflt->options<cmd::ToolsPlanOptions>().jobs, 8);
  auto s = parse_ok({"--tenant", "acme", "tools", "sync", "--lock-timeout", "30s"}, "tools sync");
  EXPECT_EQ(s->options<cmd::ToolsSyncOptions>().lock_timeout, "30s");
  EXPECT_EQ(s->global.tenant, "acme");
  EXPECT_EQ(s->effect(), cmd::Effect::writes);
  EXPECT_EQ(parse_ok({"tools", "sync"}, "tools sync")->options<cmd::ToolsSyncOptions>().lock_timeout,
            "0s");
  EXPECT_EQ(parse_ok({"tools", "verify", "--tenant", "acme"}, "tools verify")->global.tenant, "acme");
  auto pr = parse_ok({"--dry-run", "tools", "prune", "--native"}, "tools prune");
  EXPECT_TRUE(pr->options<cmd::ToolsPruneOptions>().native);
  EXPECT_TRUE(pr->global.dry_run);
  EXPECT_EQ(pr->effect(), cmd::Effect::destroys);
  EXPECT_FALSE(parse({"tools", "sync", "--jobs", "0"})->ok());
  EXPECT_FALSE(parse({"tools", "sync", "--jobs", "65"})->ok());
  EXPECT_FALSE(parse({"tools", "plan", "--native"})->ok());
  EXPECT_FALSE(parse({"tools"})->ok());
}

TEST(Parse, CallsImportAndList) {
  auto i = parse_ok({"calls", "import", "history.csv", "--format", "csv"}, "calls import");
  EXPECT_EQ(i->options<cmd::CallsImportOptions>().file, "history.csv");
  EXPECT_EQ(i->options<cmd::CallsImportOptions>().format, "csv");
  EXPECT_EQ(i->effect(), cmd::Effect::writes);
  EXPECT_FALSE(parse({"calls", "import"})->ok());
  EXPECT_FALSE(parse({"calls", "import", "x.csv", "--format", "xml"})->ok());
  auto l = parse_ok({"calls", "list", "--since", "2026-11-01T00:00:00Z", "--limit", "5"},
                    "calls list");
  EXPECT_EQ(l->options<cmd::CallsListOptions>().since, "2026-11-01T00:00:00Z");
  EXPECT_EQ(l->options<cmd::CallsListOptions>().limit, 5);
  EXPECT_EQ(parse_ok({"calls", "list"}, "calls list")->options<cmd::CallsListOptions>().limit, 100);
  EXPECT_FALSE(parse({"calls", "list", "--limit", "0"})->ok());
}

TEST(Parse, BillingVerbs) {
  auto r = parse_ok({"billing", "rollup", "--period", "2026-11", "--all-tenants", "--close",
                     "--full", "--jobs", "8"},
                    "billing rollup");
  const auto& ro = r->options<cmd::BillingRollupOptions>();
  EXPECT_EQ(ro.period, "2026-11");
  EXPECT_TRUE(ro.all_tenants && ro.close && ro.full);
  EXPECT_EQ(ro.jobs, 8);
  EXPECT_EQ(r->effect(), cmd::Effect::writes);
  EXPECT_FALSE(parse({"billing", "rollup"})->ok()); // --period is required
  EXPECT_FALSE(parse({"billing", "rollup", "--period", "2026-11", "--jobs", "0"})->ok());
  auto s = parse_ok({"billing", "statement", "--period", "2026-10", "--format", "pdf", "--out",
                     "a.pdf"},
                    "billing statement");
  EXPECT_EQ(s->options<cmd::BillingStatementOptions>().format, "pdf");
  EXPECT_EQ(s->options<cmd::BillingStatementOptions>().out, "a.pdf");
  EXPECT_EQ(s->effect(), cmd::Effect::reads);
  EXPECT_FALSE(parse({"billing", "statement", "--period", "2026-10", "--format", "xls"})->ok());
  auto rep = parse_ok({"billing", "report", "--period", "2026-10", "--timezone", "UTC",
                       "--no-chart"},
                      "billing report");
  EXPECT_EQ(rep->options<cmd::BillingReportOptions>().timezone, "UTC");
  EXPECT_TRUE(rep->options<cmd::BillingReportOptions>().no_chart);
  auto ca = parse_ok({"billing", "credit", "add", "50.00", "--reason", "top-up"},
                     "billing credit add");
  EXPECT_EQ(ca->options<cmd::BillingCreditAddOptions>().amount, "50.00");
  EXPECT_EQ(ca->options<cmd::BillingCreditAddOptions>().reason, "top-up");
  EXPECT_FALSE(parse({"billing", "credit", "add", "50.00"})->ok()); // --reason is required
  auto cs = parse_ok({"billing", "credit", "show", "--limit", "3"}, "billing credit show");
  EXPECT_EQ(cs->options<cmd::BillingCreditShowOptions>().limit, 3);
}

// --- transcripts and recordings ---------------------------------------------------------------

TEST(Parse, TranscriptsExport) {
  auto p = parse_ok({"--tenant", "acme", "transcripts", "export", "--call",
                     "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11", "--since", "2026-01-01", "--until",
                     "2026-02-01T00:00:00Z", "--format", "csv", "--out", "/tmp/x",
                     "--calls-per-file", "500"},
                    "transcripts export");
  const auto& o = p->options<cmd::TranscriptsExportOptions>();
  EXPECT_EQ(p->global.tenant, "acme");
  EXPECT_EQ(o.call, "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11");
  EXPECT_EQ(o.since, "2026-01-01");
  EXPECT_EQ(o.until, "2026-02-01T00:00:00Z");
  EXPECT_EQ(o.format, "csv");
  EXPECT_EQ(o.out, "/tmp/x");
  EXPECT_EQ(o.calls_per_file, 500);
  EXPECT_FALSE(o.no_redact);
  EXPECT_EQ(p->effect(), cmd::Effect::reads);
  auto n = parse_ok({"transcripts", "export", "--format", "txt", "--out", "-", "--no-redact",
                     "--reason", "subpoena 114"},
                    "transcripts export");
  EXPECT_TRUE(n->options<cmd::TranscriptsExportOptions>().no_redact);
  EXPECT_EQ(n->options<cmd::TranscriptsExportOptions>().reason, "subpoena 114");
  EXPECT_EQ(n->options<cmd::TranscriptsExportOptions>().out, "-");
  EXPECT_EQ(parse_ok({"transcripts", "export", "--format", "jsonl", "--out", "d", "--redact"},
                     "transcripts export")
                ->options<cmd::TranscriptsExportOptions>()
                .calls_per_file,
            10000);
  EXPECT_FALSE(parse({"transcripts", "export", "--out", "d"})->ok());          // --format
  EXPECT_FALSE(parse({"transcripts", "export", "--format", "txt"})->ok());     // --out
  EXPECT_FALSE(parse({"transcripts", "export", "--format", "pdf", "--out", "d"})->ok());
  EXPECT_FALSE(parse({"transcripts", "export", "--format", "txt", "--out", "d", "--redact",
                      "--no-redact"})
                   ->ok());
  EXPECT_FALSE(
      parse({"transcripts", "export", "--format", "txt", "--out", "d", "--calls-per-file", "0"})
          ->ok());
  EXPECT_FALSE(parse({"transcripts"})->ok());
}

TEST(Parse, RecordingsShareAndVerify) {
  auto s = parse_ok({"--tenant", "acme", "recordings", "share",
                     "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11", "--ttl", "2h", "--email",
                     "lead@acme.example"},
                    "recordings share");
  const auto& so = s->options<cmd::RecordingsShareOptions>();
  EXPECT_EQ(so.call_id, "7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11");
  EXPECT_EQ(so.ttl, "2h");
  EXPECT_EQ(so.email, "lead@acme.example");
  EXPECT_EQ(s->effect(), cmd::Effect::writes);
  EXPECT_EQ(parse_ok({"recordings", "share", "x"}, "recordings share")
                ->options<cmd::RecordingsShareOptions>()
                .ttl,
            "24h");
  EXPECT_FALSE(parse({"recordings", "share"})->ok());
  auto v = parse_ok({"recordings", "verify", "https://a.example/r/x?tenant=t&expires=1&sig=s"},
                    "recordings verify");
  EXPECT_EQ(v->options<cmd::RecordingsVerifyOptions>().url,
            "https://a.example/r/x?tenant=t&expires=1&sig=s");
  EXPECT_EQ(v->effect(), cmd::Effect::reads);
  EXPECT_FALSE(parse({"recordings", "verify"})->ok());
  EXPECT_FALSE(parse({"recordings"})->ok());
}

TEST(Parse, Serve) {
  auto p = parse_ok({"serve", "--listen", "0.0.0.0:9000", "--threads", "8", "--max-body", "256KiB",
                     "--batch-max", "32", "--batch-wait", "5ms", "--committers", "3"},
                    "serve");
  const auto& o = p->options<cmd::ServeOptions>();
  EXPECT_EQ(o.listen, "0.0.0.0:9000");
  EXPECT_EQ(o.threads, 8);
  EXPECT_EQ(o.max_body, "256KiB");
  EXPECT_EQ(o.batch_max, 32);
  EXPECT_EQ(o.batch_wait, "5ms");
  EXPECT_EQ(o.committers, 3);
  EXPECT_EQ(p->effect(), cmd::Effect::writes); // refused under --read-only
  auto d = parse_ok({"serve"}, "serve");
  EXPECT_EQ(d->options<cmd::ServeOptions>().listen, "127.0.0.1:8080");
  EXPECT_FALSE(parse({"serve", "--threads", "many"})->ok());
}

TEST(Parse, WebhooksListAndReplay) {
  auto l = parse_ok({"webhooks", "list", "--status", "unresolved", "--limit", "5"}, "webhooks list");
  EXPECT_EQ(l->options<cmd::WebhooksListOptions>().status, "unresolved");
  EXPECT_EQ(l->options<cmd::WebhooksListOptions>().limit, 5);
  EXPECT_EQ(l->effect(), cmd::Effect::reads);
  EXPECT_FALSE(parse({"webhooks", "list", "--status", "bogus"})->ok());
  auto r = parse_ok({"webhooks", "replay", "--id", "42"}, "webhooks replay");
  EXPECT_EQ(r->options<cmd::WebhooksReplayOptions>().id, 42);
  EXPECT_EQ(r->effect(), cmd::Effect::writes);
  auto s = parse_ok({"webhooks", "replay", "--since", "2026-11-21T00:00:00Z"}, "webhooks replay");
  EXPECT_EQ(s->options<cmd::WebhooksReplayOptions>().since, "2026-11-21T00:00:00Z");
}

