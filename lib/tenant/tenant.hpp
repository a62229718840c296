// Tenant provisioning and lifecycle. Tenants are addressed by UUID in every database operation;
// a slug is resolved to the UUID once, up front (resolve()).
#pragma once
#include "core/clock.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "migrate/migrate.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crm::tenant {

/// What everything else needs to know about a tenant, resolved once.
struct TenantRef {
  std::string id;
  std::string slug;
  std::string name;
  std::string status; // active | suspended | deleted
  db::Isolation isolation = db::Isolation::row;
  std::string schema; // org_<hex> for schema tenants
};

/// Who runs a command, for the audit trail ("crmctl:alice").
struct Actor {
  std::string name = "crmctl";
};

/// Application role and GUC used by TenantTx (profile tenancy settings).
struct Tenancy {
  std::string app_role = "crm_app";
  std::string guc = "app.current_org_id";
};

/// Resolves a UUID or slug; not found → ErrorKind::not_found naming it.
Result<TenantRef> resolve(db::Connection& c, const std::string& id_or_slug);
/// The TenantTx scope of a tenant.
db::TenantScope scope_of(const TenantRef& t, const Tenancy& tenancy);
/// Refuses suspended and deleted tenants (conflict, exit 4) with the command that fixes it.
Status require_active(const TenantRef& t);
/// `"org_x"."table"` or `public."table"`: a tenant table for cross-tenant (AdminTx) statements.
std::string table_of(const TenantRef& t, const std::string& table);

/// One service of the price list.
struct Service {
  std::string name;
  Decimal price;
  std::vector<std::string> keywords;
};

/// The tenant template (templates/tenant/default.yaml or --settings FILE).
struct Template {
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json modules = nlohmann::json::object();
  nlohmann::json branding = nlohmann::json::object();
  std::vector<Service> services;
};
/// Parses a template; bad YAML, a bad price or a duplicate service name → usage error naming it.
Result<Template> parse_template(const std::string& yaml_text, const std::string& origin);
Result<Template> load_template(const std::string& path);

enum class Rounding { per_call_ceil_minute, per_second };

/// Input of `tenant create`.
struct CreateSpec {
  std::string name;
  std::string slug; // "" = derived from the name
  db::Isolation isolation = db::Isolation::row;
  std::string timezone = "UTC";
  std::string currency = "USD";
  std::string admin_email; // "" = no first admin
  std::string admin_name;
  std::optional<std::string> admin_password; // from stdin or a prompt, never a flag
  Decimal cogs_per_minute;
  std::optional<Decimal> rate_per_minute;
  std::optional<Decimal> markup; // rate = cogs × markup (default 2)
  int free_minutes = 0;
  Rounding rounding = Rounding::per_call_ceil_minute;
  Template tmpl;
  bool if_not_exists = false;
};

/// Result of create (also the --dry-run plan).
struct CreateResult {
  std::string org_id;
  std::string slug;
  std::string schema;
  bool created = false; // false: existed with identical attributes (--if-not-exists)
  bool dry_run = false;
  std::vector<std::string> steps; // the plan, in order
  std::string admin_user_id;
  Decimal rate_per_minute;
  int round_trips = 0; // SQL statements sent (benchmark)
};

/// Validates everything first (name, slug, timezone via the server, currency, email, money), then
/// creates org, settings, services, credit account, schema (schema mode, at the current version in
/// one step), admin user and membership, and the audit row — in one transaction, or nothing.
Result<CreateResult> create(db::Connection& c, const CreateSpec& spec,
                            const migrate::MigrationSet& set, const Tenancy& tenancy,
                            const Actor& actor, bool dry_run);

/// `tenant list` filters.
struct ListFilter {
  std::string status;    // "" = active and suspended
  std::string isolation; // "" = any
  std::string search;    // substring of name or slug
};
Result<nlohmann::json> list(db::Connection& c, const ListFilter& f);

/// `tenant show`: the organization plus counts read through a TenantTx (RLS-scoped).
Result<nlohmann::json> show(db::Connection& c, const TenantRef& t, const Tenancy& tenancy);

/// `tenant update`: only fields given change; slug changes keep the UUID.
struct UpdateSpec {
  std::optional<std::string> name, slug, timezone, currency;
  std::optional<Decimal> cogs_per_minute, rate_per_minute, markup;
  std::optional<int> free_minutes;
  std::optional<Rounding> rounding;
  std::optional<Template> tmpl; // settings/modules/branding (services untouched)
};
Result<nlohmann::json> update(db::Connection& c, const TenantRef& t, const UpdateSpec& u,
                              const Actor& actor, bool dry_run);

/// suspend / resume: status changes, audited; a no-op when already there.
Result<nlohmann::json> set_status(db::Connection& c, const TenantRef& t, const std::string& status,
                                  const Actor& actor, bool dry_run);

/// delete: soft (status deleted) or purge (every tenant row, the schema in schema mode, routes, the
/// organization). Audited.
Result<nlohmann::json> remove(db::Connection& c, const TenantRef& t, bool purge, const Actor& actor,
                              bool dry_run);

/// export: every tenant table as JSONL read through a TenantTx, plus manifest.json.
Result<nlohmann::json> export_to(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                 const std::string& out_dir, TimePoint now, const Actor& actor);

/// The tenant tables of a schema ("public" or org_<hex>), children before parents.
Result<std::vector<std::string>> tenant_tables(db::Connection& c, const std::string& schema);

/// Validation helpers (exposed for tests).
bool is_valid_email(const std::string& e);
bool is_valid_currency(const std::string& c);
Result<std::string> parse_rounding_name(const std::string& s, Rounding& out);
std::string rounding_name(Rounding r);
std::size_t utf8_length(const std::string& s);

} // namespace crm::tenant
