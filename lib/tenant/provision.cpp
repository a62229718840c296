#include "tenant/provision.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "tenant/validate.hpp"

namespace crm::tenant {
namespace {

std::string schema_name_for(const std::string& org_id) {
  std::string hex;
  for (char ch : org_id)
    if (ch != '-') hex.push_back(ch);
  return "org_" + hex;
}

// Advisory lock space of `tenant create` ("CRM2"; the migration engine uses "CRM1").
constexpr int k_create_lock_space = 0x43524d32;

std::string created_concurrently(const std::string& slug, const std::string& id) {
  return "tenant '" + slug + "' was created concurrently by another session" +
         (id.empty() ? std::string() : " (" + id + ")");
}

} // namespace

Result<CreateResult> create(db::AdminTx& tx, const CreateSpec& spec,
                            const migrate::MigrationSet& set, const Tenancy& tenancy,
                            const Actor& actor, DryRun dry_run) {
  CreateResult res;
  int trips = 0;
  auto q = [&](db::Tx& on, const std::string& sql, const db::Params& p = {}) {
    ++trips;
    return on.exec(sql, p);
  };
  // --- validation: all of it before anything is written --------------------------------------
  CRM_TRY(detail::validate_name(spec.name));
  std::string slug = spec.slug.empty() ? slugify(spec.name) : spec.slug;
  if (slug.empty())
    return make_error(ErrorKind::usage, "cannot derive a slug from the name '" + spec.name +
                                            "': pass --slug, e.g. --slug my-clinic");
  CRM_TRY(detail::validate_slug(slug));
  CRM_TRY(detail::validate_currency(spec.currency));
  std::string email = to_lower(trim(spec.admin_email));
  if (!email.empty()) CRM_TRY(detail::validate_email(spec.admin_email, "admin email"));
  CRM_TRY(detail::validate_person_name(spec.admin_name, "admin name"));
  if (spec.admin_password)
    CRM_TRY(detail::validate_password(*spec.admin_password, "admin password"));
  CRM_TRY(detail::validate_billing_terms(spec.cogs_per_minute, spec.rate_per_minute, spec.markup,
                                         spec.free_minutes));
  Decimal rate = spec.rate_per_minute
                     ? *spec.rate_per_minute
                     : (spec.cogs_per_minute * (spec.markup ? *spec.markup : Decimal::from_int(2)))
                           .round_half_up(6);
  if (!rate.fits(k_numeric_20_6))
    return make_error(ErrorKind::usage, "rate per minute " + rate.to_string() +
                                            " does not fit numeric(20,6): at most 14 digits "
                                            "before the decimal point");
  res.rate_per_minute = rate;
  CRM_TRY(detail::require_migrated(tx));
  ++trips;
  CRM_TRY(detail::validate_timezone(tx, spec.timezone));
  ++trips;

  if (spec.isolation == db::Isolation::schema) {
    // A new schema is created at the newest tenant version of `set`; the shared schema must be
    // there too, or the fleet would hold schemas ahead of the database's own migrations.
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& m : set.tenant)
      if (!m.repeatable) versions.push_back(m.version);
    CRM_TRY_ASSIGN(
        auto have,
        tx.exec("SELECT count(*) AS n FROM crm.schema_migrations WHERE schema_name = 'public' "
                "AND track = 'tenant' AND status = 'applied' "
                "AND version IN (SELECT jsonb_array_elements_text($1::jsonb))",
                {versions.dump()}));
    ++trips;
    if (std::stoul(have.get(0, "n")) < versions.size())
      return make_error(ErrorKind::conflict,
                        "the database is behind the tenant migrations in " + set.dir +
                            ": run `crmctl migrate up` before creating schema tenants");
  }

  // --- one creator per slug --------------------------------------------------------------------
  // Creators of one slug queue on a transaction-level advisory lock (bounded by lock_timeout): the
  // second sees the first one's committed row below and answers as for any existing tenant,
  // instead of failing on the unique index (or in a deadlock) with the server's own words.
  CRM_TRY_ASSIGN(auto free_now,
                 tx.exec("SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS ok",
                         {std::to_string(k_create_lock_space), slug}));
  ++trips;
  const bool raced = free_now.get(0, "ok") != "t";
  if (raced) {
    if (auto w = tx.exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
                         {std::to_string(k_create_lock_space), slug});
        !w) {
      if (w.error().sqlstate != "55P03") return std::move(w).error();
      return make_error(ErrorKind::conflict, "tenant '" + slug +
                                                 "' is being created by another session right "
                                                 "now: retry in a moment (with --if-not-exists "
                                                 "to accept an identical tenant)");
    }
    ++trips;
  }

  // --- idempotency ------------------------------------------------------------------------------
  CRM_TRY_ASSIGN(auto existing,
                 tx.exec("SELECT id::text AS id, name, isolation, timezone, "
                         "currency, cogs_per_minute = $2::numeric AS same_cogs, "
                         "rate_per_minute = $3::numeric AS same_rate, free_minutes, "
                         "rounding, status FROM organizations WHERE slug = $1",
                         {slug, spec.cogs_per_minute.to_string(), rate.to_string()}));
  ++trips;
  std::string iso = isolation_name(spec.isolation);
  res.name = spec.name;
  res.isolation = spec.isolation;
  if (!existing.empty()) {
    std::vector<std::string> diffs;
    if (existing.get(0, "name") != spec.name) diffs.push_back("name");
    if (existing.get(0, "isolation") != iso) diffs.push_back("isolation");
    if (existing.get(0, "timezone") != spec.timezone) diffs.push_back("timezone");
    if (existing.get(0, "currency") != spec.currency) diffs.push_back("currency");
    if (existing.get(0, "same_cogs") != "t") diffs.push_back("cogs_per_minute");
    if (existing.get(0, "same_rate") != "t") diffs.push_back("rate_per_minute");
    if (existing.get(0, "free_minutes") != std::to_string(spec.free_minutes))
      diffs.push_back("free_minutes");
    if (existing.get(0, "rounding") != rounding_name(spec.rounding)) diffs.push_back("rounding");
    std::string id = existing.get(0, "id");
    if (existing.get(0, "status") == "deleted")
      return make_error(ErrorKind::conflict,
                        "tenant '" + slug + "' exists but is deleted (" + id +
                            "); a deleted tenant cannot be resumed: remove it for good with "
                            "`crmctl tenant delete " +
                            slug + " --purge --yes`, then create it again");
    if (diffs.empty() && spec.if_not_exists == IfNotExists::yes) {
      res.org_id = id;
      res.slug = slug;
      res.created = false;
      res.dry_run = dry_run == DryRun::yes;
      res.round_trips = trips;
      return res;
    }
    std::string list;
    for (const auto& d : diffs)
      list += (list.empty() ? "" : ", ") + d;
    if (raced)
      return make_error(ErrorKind::conflict,
                        created_concurrently(slug, id) +
                            (diffs.empty() ? std::string(": pass --if-not-exists to accept it")
                                           : " with a different " + list +
                                                 ": choose another --slug or use `crmctl tenant "
                                                 "update " +
                                                 slug + "`"));
    return make_error(
        ErrorKind::conflict,
        diffs.empty()
            ? "tenant '" + slug + "' already exists (" + id + "): pass --if-not-exists to accept it"
            : "tenant '" + slug + "' already exists (" + id + ") with a different " + list +
                  ": choose another --slug or use `crmctl tenant update " + slug + "`");
  }

  res.org_id = uuid_v4();
  res.slug = slug;
  res.schema = spec.isolation == db::Isolation::schema ? schema_name_for(res.org_id) : "";
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : spec.tmpl.services)
    services.push_back(
        {{"name", s.name}, {"price", s.price.to_string(2)}, {"keywords", s.keywords}});
  res.steps.push_back("insert organization " + slug + " (" + res.org_id + ", " + iso + ", " +
                      spec.timezone + ", " + spec.currency + ", cogs " +
                      spec.cogs_per_minute.to_string() + "/min, rate " + rate.to_string() +
                      "/min, " + std::to_string(spec.free_minutes) + " free minutes, " +
                      rounding_name(spec.rounding) + ")");
  if (!res.schema.empty())
    res.steps.push_back("create schema " + res.schema + " at tenant version " +
                        (set.tenant.empty() ? std::string("(none)") : set.tenant.back().version) +
                        " (" + std::to_string(set.tenant.size()) + " files in one step)");
  if (!email.empty())
    res.steps.push_back(
        "upsert user " + email + " and add membership role admin" +
        (spec.admin_password ? " (password set, bcrypt)" : " (no password: invite)"));
  res.steps.push_back("seed " + std::to_string(spec.tmpl.services.size()) + " services");
  res.steps.push_back("create credit account");
  res.steps.push_back("write audit event tenant.create");
  if (dry_run == DryRun::yes) {
    res.dry_run = true;
    res.round_trips = trips;
    return res;
  }
  std::optional<std::string> pw_hash;
  if (spec.admin_password) {
    CRM_TRY_ASSIGN(pw_hash, crypto::bcrypt_hash(*spec.admin_password, 12));
  }

  // --- the writes, all in the caller's transaction -------------------------------------------
  nlohmann::json settings = spec.tmpl.settings;
  // A creator that does not take the lock above (an older crmctl, another tool) can still win
  // the slug first: the unique index (or a deadlock) says so here.
  if (auto ins =
          q(tx,
            "INSERT INTO organizations (id, slug, name, isolation, schema_name, timezone, "
            "currency, settings, "
            "modules, branding, cogs_per_minute, rate_per_minute, free_minutes, rounding) VALUES "
            "($1::uuid, $2, $3, "
            "$4, nullif($5, ''), $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::numeric, "
            "$12::numeric, $13::int, $14)",
            {res.org_id, slug, spec.name, iso, res.schema, spec.timezone, spec.currency,
             settings.dump(), spec.tmpl.modules.dump(), spec.tmpl.branding.dump(),
             spec.cogs_per_minute.to_string(), rate.to_string(), std::to_string(spec.free_minutes),
             rounding_name(spec.rounding)});
      !ins) {
    const Error& e = ins.error();
    if (e.sqlstate == "40P01" ||
        (e.sqlstate == "23505" && e.message.find("organizations_slug_key") != std::string::npos))
      return make_error(ErrorKind::conflict,
                        created_concurrently(slug, "") +
                            ": nothing was written; run the command again (with --if-not-exists "
                            "to accept an identical tenant)");
    return std::move(ins).error();
  }
  if (!res.schema.empty()) {
    CRM_TRY(tx.exec_script("CREATE SCHEMA " + db::quote_ident(res.schema) +
                           " AUTHORIZATION crm_owner; GRANT USAGE ON SCHEMA " +
                           db::quote_ident(res.schema) + " TO crm_app, crm_readonly;"));
    ++trips;
    CRM_TRY(migrate::provision_schema(tx, set, res.schema));
    trips += static_cast<int>(set.tenant.size()) * 4;
  }
  if (!email.empty()) {
    CRM_TRY_ASSIGN(auto u, q(tx,
                             "INSERT INTO users (id, email, name, password_hash) VALUES ($1::uuid, "
                             "$2, nullif($3, ''), $4) "
                             "ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at "
                             "RETURNING id::text AS id",
                             {uuid_v4(), email, spec.admin_name,
                              pw_hash ? db::Value{*pw_hash} : db::Value{}}));
    res.admin_user_id = u.get(0, "id");
  }
  // Tenant rows are written under RLS, as the application role, like every tenant write.
  TenantRef ref{res.org_id, slug, spec.name, "active", spec.isolation, res.schema};
  {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(ref, tenancy)));
    trips += 2;
    if (!services.empty())
      CRM_TRY(q(*scoped,
                "INSERT INTO services (org_id, name, price, keywords) SELECT $1::uuid, s->>'name', "
                "(s->>'price')::numeric, "
                "ARRAY(SELECT jsonb_array_elements_text(s->'keywords')) FROM "
                "jsonb_array_elements($2::jsonb) s",
                {res.org_id, services.dump()}));
    CRM_TRY(q(*scoped,
              "INSERT INTO credit_accounts (org_id, reset_date) VALUES ($1::uuid, "
              "(date_trunc('month', now() AT TIME ZONE $2) + interval '1 month')::date)",
              {res.org_id, spec.timezone}));
    if (!res.admin_user_id.empty())
      CRM_TRY(
          q(*scoped,
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1::uuid, $2::uuid, 'admin')",
            {res.org_id, res.admin_user_id}));
  } // leaving the scope returns to the login role
  trips += 2;
  nlohmann::json args = {{"name", spec.name},
                         {"slug", slug},
                         {"isolation", iso},
                         {"timezone", spec.timezone},
                         {"currency", spec.currency},
                         {"admin_email", email},
                         {"cogs_per_minute", spec.cogs_per_minute.to_string()},
                         {"rate_per_minute", rate.to_string()},
                         {"free_minutes", spec.free_minutes}};
  CRM_TRY(
      db::write_audit(tx, {actor.name, res.org_id, "tenant.create", "organizations/" + res.org_id,
                           audit_args(actor, args.dump()), "ok", ""}));
  trips += 2;
  res.created = true;
  res.round_trips = trips;
  return res;
}

} // namespace crm::tenant
