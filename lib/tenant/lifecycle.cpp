#include "tenant/lifecycle.hpp"

#include "db/audit.hpp"
#include "db/sql.hpp"
#include "tenant/catalog.hpp"
#include "tenant/validate.hpp"

namespace crm::tenant {
namespace {

Decimal decimal_or_zero(const std::string& s) {
  auto d = Decimal::parse(s);
  return d ? *d : Decimal();
}

} // namespace

Result<std::vector<TenantSummary>> list(db::Tx& tx, const ListFilter& f) {
  CRM_TRY(detail::require_migrated(tx));
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT id::text AS id, slug, name, status, isolation, "
                                 "coalesce(schema_name, '') AS schema_name, timezone, currency, " +
                                     db::rfc3339_sql("created_at") +
                                     " AS created_at FROM organizations "
                                     "WHERE ($1 = '' AND status <> 'deleted' OR status = $1) AND "
                                     "($2 = '' OR isolation = $2) "
                                     "AND ($3 = '' OR strpos(lower(name), lower($3)) > 0 OR "
                                     "strpos(slug, lower($3)) > 0) ORDER BY slug",
                                 {f.status, f.isolation, f.search}));
  std::vector<TenantSummary> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get(i, "id"), r.get(i, "slug"), r.get(i, "name"), r.get(i, "status"),
                   r.get(i, "isolation"), r.get(i, "schema_name"), r.get(i, "timezone"),
                   r.get(i, "currency"), r.get(i, "created_at")});
  return out;
}

TenantRef ref_of(const TenantSummary& s) {
  return {s.id, s.slug, s.name, s.status,
          s.isolation == "schema" ? db::Isolation::schema : db::Isolation::row, s.schema};
}

Result<TenantDetails> show(db::TenantTx& tx, const TenantRef& t) {
  // The organization row is visible to the application role through the own_org policy; the
  // counts are what the tenant's own scope can see.
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT id::text AS id, slug, name, status, isolation, coalesce(schema_name, '') AS "
              "schema_name, timezone, currency, settings::text AS settings, modules::text AS "
              "modules, cogs_per_minute::text AS cogs, rate_per_minute::text AS rate, "
              "free_minutes, rounding, " +
                  db::rfc3339_sql("created_at") + " AS created_at, " +
                  db::rfc3339_sql("suspended_at") +
                  " AS suspended_at FROM organizations WHERE id = $1::uuid",
              {t.id}));
  if (r.empty()) return make_error(ErrorKind::not_found, "tenant '" + t.slug + "' not found");
  TenantDetails d;
  d.id = r.get(0, "id");
  d.slug = r.get(0, "slug");
  d.name = r.get(0, "name");
  d.status = r.get(0, "status");
  d.isolation = r.get(0, "isolation");
  d.schema = r.get(0, "schema_name");
  d.timezone = r.get(0, "timezone");
  d.currency = r.get(0, "currency");
  d.cogs_per_minute = decimal_or_zero(r.get(0, "cogs"));
  d.rate_per_minute = decimal_or_zero(r.get(0, "rate"));
  d.free_minutes = std::stoi(r.get(0, "free_minutes"));
  d.rounding = r.get(0, "rounding");
  d.settings = nlohmann::json::parse(r.get(0, "settings"));
  d.modules = nlohmann::json::parse(r.get(0, "modules"));
  d.created_at = r.get(0, "created_at");
  d.suspended_at = r.get(0, "suspended_at");
  CRM_TRY_ASSIGN(
      auto n,
      tx.exec("SELECT (SELECT count(*) FROM phone_numbers WHERE status NOT IN ('released', "
              "'failed')) AS numbers, "
              "(SELECT count(*) FROM agents) AS agents, (SELECT count(*) FROM calls) AS calls, "
              "(SELECT count(*) FROM memberships WHERE status = 'active') AS users, (SELECT "
              "count(*) FROM services) AS services, "
              "(SELECT count(*) FROM api_keys WHERE revoked_at IS NULL) AS api_keys, "
              "(SELECT coalesce(balance::text, '0') FROM credit_accounts) AS balance"));
  d.counts = {std::stol(n.get(0, "numbers")),  std::stol(n.get(0, "agents")),
              std::stol(n.get(0, "calls")),    std::stol(n.get(0, "users")),
              std::stol(n.get(0, "services")), std::stol(n.get(0, "api_keys"))};
  d.credit_balance = decimal_or_zero(n.get(0, "balance"));
  return d;
}

Result<UpdateResult> update(db::AdminTx& tx, const TenantRef& t, const UpdateSpec& u,
                            const Actor& actor, DryRun dry_run) {
  std::vector<std::string> sets;
  db::Params p{t.id};
  UpdateResult out;
  out.id = t.id;
  out.slug = u.slug ? *u.slug : t.slug;
  out.dry_run = dry_run == DryRun::yes;
  auto add = [&](const std::string& col, const std::string& value, const std::string& cast = "") {
    p.push_back(value);
    sets.push_back(col + " = $" + std::to_string(p.size()) + cast);
    out.changed.emplace_back(col, value);
  };
  if (u.name) {
    CRM_TRY(detail::validate_name(*u.name, "--name"));
    add("name", *u.name);
  }
  if (u.slug) {
    CRM_TRY(detail::validate_slug(*u.slug, "--slug"));
    add("slug", *u.slug);
  }
  if (u.timezone) {
    CRM_TRY(detail::validate_timezone(tx, *u.timezone));
    add("timezone", *u.timezone);
  }
  if (u.currency) {
    CRM_TRY(detail::validate_currency(*u.currency));
    add("currency", *u.currency);
  }
  CRM_TRY(detail::validate_billing_terms(u.cogs_per_minute, u.rate_per_minute, u.markup,
                                         u.free_minutes));
  if (u.cogs_per_minute) add("cogs_per_minute", u.cogs_per_minute->to_string(), "::numeric");
  if (u.rate_per_minute) {
    add("rate_per_minute", u.rate_per_minute->to_string(), "::numeric");
  } else if (u.markup) {
    if (u.cogs_per_minute) {
      add("rate_per_minute", (*u.cogs_per_minute * *u.markup).round_half_up(6).to_string(),
          "::numeric");
    } else {
      p.push_back(u.markup->to_string());
      sets.push_back("rate_per_minute = round(cogs_per_minute * $" + std::to_string(p.size()) +
                     "::numeric, 6)");
      out.changed.emplace_back("markup", u.markup->to_string());
    }
  }
  if (u.free_minutes) add("free_minutes", std::to_string(*u.free_minutes), "::int");
  if (u.rounding) add("rounding", rounding_name(*u.rounding));
  if (u.tmpl) {
    add("settings", u.tmpl->settings.dump(), "::jsonb");
    add("modules", u.tmpl->modules.dump(), "::jsonb");
  }
  if (sets.empty())
    return make_error(ErrorKind::usage,
                      "nothing to update: pass at least one of --name, --slug, --timezone, ...");
  if (dry_run == DryRun::yes) return out;
  std::string sql = "UPDATE organizations SET updated_at = now()";
  for (const auto& s : sets)
    sql += ", " + s;
  if (auto r = tx.exec(sql + " WHERE id = $1::uuid", p); !r) {
    // 55P03: another transaction held the organization row past lock_timeout (the db layer names
    // its pid, application and age).
    if (r.error().sqlstate == "55P03")
      return std::move(r).error().with_context("cannot update tenant '" + t.slug + "'");
    // --markup alone: the rate is computed from the stored cost, and may not fit its column.
    if (r.error().sqlstate == "22003")
      return make_error(ErrorKind::usage, "the new rate per minute does not fit numeric(20,6) "
                                          "(at most 14 digits before the decimal point): use a "
                                          "smaller --markup");
    return std::move(r).error();
  }
  nlohmann::json changed = nlohmann::json::object();
  for (const auto& [k, v] : out.changed)
    changed[k] = v;
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "tenant.update", "organizations/" + t.id,
                               audit_args(actor, changed.dump()), "ok", ""}));
  return out;
}

Result<StatusChange> set_status(db::AdminTx& tx, const TenantRef& t, TargetStatus target,
                                const Actor& actor, DryRun dry_run) {
  std::string status = target == TargetStatus::active ? "active" : "suspended";
  if (t.status == "deleted")
    return make_error(ErrorKind::conflict, "tenant '" + t.slug + "' is deleted; it cannot be " +
                                               (status == "active" ? "resumed" : "suspended"));
  StatusChange out{t.id, t.slug, status, t.status != status, dry_run == DryRun::yes};
  if (dry_run == DryRun::yes || t.status == status) return out;
  CRM_TRY(tx.exec(
      "UPDATE organizations SET status = $2, updated_at = now(), "
      "suspended_at = CASE WHEN $2 = 'suspended' THEN now() ELSE NULL END WHERE id = $1::uuid",
      {t.id, status}));
  CRM_TRY(db::write_audit(tx, {actor.name, t.id,
                               status == "active" ? "tenant.resume" : "tenant.suspend",
                               "organizations/" + t.id, audit_args(actor, "{}"), "ok", ""}));
  return out;
}

Result<RemoveResult> remove(db::AdminTx& tx, const TenantRef& t, Purge purge, const Actor& actor,
                            DryRun dry_run) {
  RemoveResult out;
  out.id = t.id;
  out.slug = t.slug;
  out.purge = purge == Purge::yes;
  out.dry_run = dry_run == DryRun::yes;
  std::string schema = t.isolation == db::Isolation::schema ? t.schema : "public";
  CRM_TRY_ASSIGN(auto tables, tenant_tables(tx, schema));
  if (purge == Purge::no) {
    out.steps = {"mark organization deleted (data kept; `tenant delete --purge` removes it)"};
    if (dry_run == DryRun::yes || t.status == "deleted") return out;
    CRM_TRY(tx.exec(
        "UPDATE organizations SET status = 'deleted', deleted_at = now(), updated_at = now() "
        "WHERE id = $1::uuid",
        {t.id}));
    CRM_TRY(db::write_audit(tx, {actor.name, t.id, "tenant.delete", "organizations/" + t.id,
                                 audit_args(actor, "{\"purge\":false}"), "ok", ""}));
    return out;
  }
  if (t.isolation == db::Isolation::schema)
    out.steps.push_back("drop schema " + t.schema + " and its migration state");
  else
    for (const auto& tb : tables)
      out.steps.push_back("delete rows of " + tb);
  out.steps.push_back("delete number and agent routes, webhook inbox rows, the organization");
  if (dry_run == DryRun::yes) return out;
  CRM_TRY_ASSIGN(auto public_tables, tenant_tables(tx, "public"));
  if (t.isolation == db::Isolation::schema) {
    CRM_TRY(tx.exec_script("DROP SCHEMA IF EXISTS " + db::quote_ident(t.schema) + " CASCADE"));
    CRM_TRY(tx.exec("DELETE FROM crm.schema_migrations WHERE schema_name = $1", {t.schema}));
  }
  // Row tenants' data, and anything a schema tenant left in the shared tables.
  for (const auto& tb : public_tables) {
    CRM_TRY_ASSIGN(
        auto d,
        tx.exec("DELETE FROM public." + db::quote_ident(tb) + " WHERE org_id = $1::uuid", {t.id}));
    if (d.affected) out.deleted_rows[tb] = d.affected;
  }
  for (const char* g : {"number_routes", "agent_routes", "webhook_events"})
    CRM_TRY(tx.exec(std::string("DELETE FROM public.") + g + " WHERE org_id = $1::uuid", {t.id}));
  CRM_TRY(tx.exec("DELETE FROM organizations WHERE id = $1::uuid", {t.id}));
  nlohmann::json rows = nlohmann::json::object();
  for (const auto& [k, v] : out.deleted_rows)
    rows[k] = v;
  CRM_TRY(db::write_audit(
      tx, {actor.name, t.id, "tenant.purge", "organizations/" + t.id,
           audit_args(actor, nlohmann::json{{"slug", t.slug}, {"rows", rows}}.dump()), "ok", ""}));
  return out;
}

} // namespace crm::tenant
