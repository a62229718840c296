#include "tenant/tenant.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "db/audit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace crm::tenant {
namespace fs = std::filesystem;

namespace {

const char* k_iso4217[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL"};

const char* k_rfc3339 = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
std::string ts(const std::string& col) {
  char buf[160];
  std::snprintf(buf, sizeof buf, k_rfc3339, col.c_str());
  return buf;
}

std::string json_str(const nlohmann::json& j) {
  return j.dump();
}

Status validate_name(const std::string& name) {
  auto first = name.find_first_not_of(" \t");
  if (first == std::string::npos)
    return make_error(ErrorKind::usage,
                      "tenant name is empty: give a display name, e.g. \"Serenity MedSpa\"");
  if (utf8_length(name) > 200)
    return make_error(ErrorKind::usage, "tenant name is " + std::to_string(utf8_length(name)) +
                                            " characters long: at most 200 are allowed");
  for (unsigned char ch : name)
    if (ch < 0x20 || ch == 0x7f)
      return make_error(ErrorKind::usage,
                        "tenant name contains a control character (newline, tab...): remove it");
  return {};
}

Status validate_timezone(db::Connection& c, const std::string& tz) {
  // IANA-shaped names only (no POSIX offsets such as "XYZ+3"), resolved by the server's own tz
  // database. (pg_timezone_names would be authoritative too, but it reads every zone file per
  // call.)
  auto bad = make_error(ErrorKind::usage,
                        "unknown timezone '" + tz +
                            "': use an IANA name such as Europe/London or America/New_York");
  bool shaped = !tz.empty() && tz.size() < 64 && isalpha(static_cast<unsigned char>(tz[0]));
  for (unsigned char ch : tz)
    shaped = shaped && (isalnum(ch) || ch == '/' || ch == '_' || ch == '-' || ch == '+');
  if (!shaped || (tz.find("+") != std::string::npos && tz.find('/') == std::string::npos))
    return bad;
  auto r = c.exec("SELECT (now() AT TIME ZONE $1) IS NOT NULL AS ok", {tz});
  if (!r) return r.error().sqlstate == "22023" ? bad : std::move(r).error();
  return {};
}

// Billing terms given on the command line (create and update): each amount non-negative, and a
// customer rate either explicit or as a markup, not both.
Status validate_billing_terms(const std::optional<Decimal>& cogs,
                              const std::optional<Decimal>& rate,
                              const std::optional<Decimal>& markup,
                              std::optional<int> free_minutes) {
  if (rate && markup)
    return make_error(ErrorKind::usage, "give --rate-per-minute or --markup, not both");
  for (auto [flag, v] : {std::pair{"--cogs-per-minute", &cogs},
                         std::pair{"--rate-per-minute", &rate}, std::pair{"--markup", &markup}})
    if (*v && (*v)->is_negative())
      return make_error(ErrorKind::usage, std::string(flag) + " must not be negative");
  if (free_minutes && *free_minutes < 0)
    return make_error(ErrorKind::usage, "--free-minutes must not be negative");
  return {};
}

Status validate_currency(const std::string& cur) {
  if (!is_valid_currency(cur))
    return make_error(ErrorKind::usage,
                      "unknown currency '" + cur + "': use an ISO 4217 code such as USD, EUR, GBP");
  return {};
}

Status require_migrated(db::Connection& c) {
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT to_regclass('public.organizations') IS NOT NULL AS o, "
                                "to_regclass('public.services') IS NOT NULL AS s, "
                                "to_regclass('crm.schema_migrations') IS NOT NULL AS m"));
  if (r.get(0, "o") != "t" || r.get(0, "s") != "t" || r.get(0, "m") != "t")
    return make_error(ErrorKind::config,
                      "the database has no crmctl schema yet: run `crmctl migrate up` first");
  return {};
}

TenantRef ref_from(const db::Rows& r, std::size_t i) {
  TenantRef t;
  t.id = r.get(i, "id");
  t.slug = r.get(i, "slug");
  t.name = r.get(i, "name");
  t.status = r.get(i, "status");
  t.isolation = r.get(i, "isolation") == "schema" ? db::Isolation::schema : db::Isolation::row;
  t.schema = r.get(i, "schema_name");
  return t;
}

std::string schema_name_for(const std::string& org_id) {
  std::string hex;
  for (char ch : org_id)
    if (ch != '-') hex.push_back(ch);
  return "org_" + hex;
}

} // namespace

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

bool is_valid_email(const std::string& e) {
  if (e.size() < 3 || e.size() > 254) return false;
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) return false;
  std::string domain = e.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  if (domain.find("..") != std::string::npos || domain.front() == '.') return false;
  for (unsigned char ch : e)
    if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == ',' || ch == ';' || ch == '"' ||
        ch == '\\')
      return false;
  return true;
}

bool is_valid_currency(const std::string& cur) {
  return std::any_of(std::begin(k_iso4217), std::end(k_iso4217),
                     [&](const char* c) { return cur == c; });
}

Result<std::string> parse_rounding_name(const std::string& s, Rounding& out) {
  if (s == "per_call_ceil_minute")
    out = Rounding::per_call_ceil_minute;
  else if (s == "per_second")
    out = Rounding::per_second;
  else
    return make_error(ErrorKind::usage,
                      "unknown rounding '" + s + "': use per_call_ceil_minute or per_second");
  return s;
}

std::string rounding_name(Rounding r) {
  return r == Rounding::per_second ? "per_second" : "per_call_ceil_minute";
}

Result<TenantRef> resolve(db::Connection& c, const std::string& id_or_slug) {
  if (id_or_slug.empty())
    return make_error(ErrorKind::usage, "no tenant given: pass --tenant ID|SLUG");
  CRM_TRY(require_migrated(c));
  const char* sql = is_uuid(id_or_slug) ? "SELECT id::text AS id, slug, name, status, isolation, "
                                          "coalesce(schema_name, '') AS schema_name "
                                          "FROM organizations WHERE id = $1::uuid"
                                        : "SELECT id::text AS id, slug, name, status, isolation, "
                                          "coalesce(schema_name, '') AS schema_name "
                                          "FROM organizations WHERE slug = $1";
  CRM_TRY_ASSIGN(auto r, c.exec(sql, {id_or_slug}));
  if (r.empty())
    return make_error(ErrorKind::not_found,
                      "tenant '" + id_or_slug +
                          "' not found: `crmctl tenant list` shows the tenants");
  return ref_from(r, 0);
}

db::TenantScope scope_of(const TenantRef& t, const Tenancy& tenancy) {
  db::TenantScope s;
  s.org_id = t.id;
  s.isolation = t.isolation;
  s.schema = t.schema;
  s.app_role = tenancy.app_role;
  s.guc = tenancy.guc;
  return s;
}

Status require_active(const TenantRef& t) {
  if (t.status == "suspended")
    return make_error(ErrorKind::conflict, "tenant '" + t.slug +
                                               "' is suspended: run `crmctl tenant resume " +
                                               t.slug + "` first");
  if (t.status == "deleted")
    return make_error(ErrorKind::conflict, "tenant '" + t.slug + "' is deleted");
  return {};
}

std::string table_of(const TenantRef& t, const std::string& table) {
  return (t.isolation == db::Isolation::schema ? db::quote_ident(t.schema)
                                               : std::string("public")) +
         "." + db::quote_ident(table);
}

Result<Template> parse_template(const std::string& text, const std::string& origin) {
  Template t;
  auto to_json = [](const YAML::Node& n, auto& self) -> nlohmann::json {
    if (n.IsMap()) {
      nlohmann::json o = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        o[it->first.as<std::string>()] = self(it->second, self);
      return o;
    }
    if (n.IsSequence()) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& x : n)
        a.push_back(self(x, self));
      return a;
    }
    if (n.IsNull()) return nullptr;
    std::string s = n.Scalar();
    if (n.Tag() == "!") return s; // quoted: keep as text
    if (s == "true") return true;
    if (s == "false") return false;
    return s;
  };
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
      return make_error(ErrorKind::usage, origin + ": top level must be a mapping");
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (k != "settings" && k != "modules" && k != "branding" && k != "services")
        return make_error(ErrorKind::usage, origin + ": unknown key '" + k +
                                                "' (known: settings, modules, branding, services)");
    }
    if (root["settings"]) t.settings = to_json(root["settings"], to_json);
    if (root["modules"]) t.modules = to_json(root["modules"], to_json);
    if (root["branding"]) t.branding = to_json(root["branding"], to_json);
    std::set<std::string> names;
    if (auto svc = root["services"]) {
      if (!svc.IsSequence())
        return make_error(ErrorKind::usage, origin + ": services must be a list");
      for (const auto& s : svc) {
        Service x;
        x.name = s["name"] ? s["name"].as<std::string>() : "";
        if (x.name.empty()) return make_error(ErrorKind::usage, origin + ": a service has no name");
        if (!names.insert(x.name).second)
          return make_error(ErrorKind::usage,
                            origin + ": service '" + x.name + "' is listed twice");
        auto price = Decimal::parse(s["price"] ? s["price"].as<std::string>() : "");
        if (!price || price->is_negative())
          return make_error(ErrorKind::usage,
                            origin + ": service '" + x.name + "' needs a price like \"400.00\"");
        x.price = *price;
        if (auto kw = s["keywords"])
          for (const auto& k : kw)
            x.keywords.push_back(k.as<std::string>());
        t.services.push_back(std::move(x));
      }
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::usage, origin + ": invalid YAML at line " +
                                            std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return t;
}

Result<Template> load_template(const std::string& path) {
  std::ifstream f(path);
  if (!f) return make_error(ErrorKind::usage, "cannot read settings file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_template(ss.str(), path);
}

Result<CreateResult> create(db::Connection& c, const CreateSpec& spec,
                            const migrate::MigrationSet& set, const Tenancy& tenancy,
                            const Actor& actor, bool dry_run) {
  CreateResult res;
  int trips = 0;
  auto q = [&](db::Tx& tx, const std::string& sql, const db::Params& p = {}) {
    ++trips;
    return tx.exec(sql, p);
  };
  // --- validation: all of it before anything is written --------------------------------------
  CRM_TRY(validate_name(spec.name));
  std::string slug = spec.slug.empty() ? slugify(spec.name) : spec.slug;
  if (slug.empty())
    return make_error(ErrorKind::usage, "cannot derive a slug from the name '" + spec.name +
                                            "': pass --slug, e.g. --slug my-clinic");
  if (!is_valid_slug(slug))
    return make_error(ErrorKind::usage, "invalid slug '" + slug +
                                            "': use 1-63 lower-case letters, digits and dashes");
  CRM_TRY(validate_currency(spec.currency));
  std::string email = spec.admin_email;
  std::transform(email.begin(), email.end(), email.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  if (!email.empty() && !is_valid_email(email))
    return make_error(ErrorKind::usage,
                      "invalid admin email '" + spec.admin_email + "': use name@example.com");
  CRM_TRY(validate_billing_terms(spec.cogs_per_minute, spec.rate_per_minute, spec.markup,
                                 spec.free_minutes));
  Decimal rate = spec.rate_per_minute
                     ? *spec.rate_per_minute
                     : (spec.cogs_per_minute * (spec.markup ? *spec.markup : Decimal::from_int(2)))
                           .round_half_up(6);
  res.rate_per_minute = rate;
  CRM_TRY(require_migrated(c));
  ++trips;
  CRM_TRY(validate_timezone(c, spec.timezone));
  ++trips;

  if (spec.isolation == db::Isolation::schema) {
    // A new schema is created at the newest tenant version of `set`; the shared schema must be
    // there too, or the fleet would hold schemas ahead of the database's own migrations.
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& m : set.tenant)
      if (!m.repeatable) versions.push_back(m.version);
    CRM_TRY_ASSIGN(
        auto have,
        c.exec("SELECT count(*) AS n FROM crm.schema_migrations WHERE schema_name = 'public' "
               "AND track = 'tenant' AND status = 'applied' "
               "AND version IN (SELECT jsonb_array_elements_text($1::jsonb))",
               {versions.dump()}));
    ++trips;
    if (std::stoul(have.get(0, "n")) < versions.size())
      return make_error(ErrorKind::conflict,
                        "the database is behind the tenant migrations in " + set.dir +
                            ": run `crmctl migrate up` before creating schema tenants");
  }

  // --- idempotency ------------------------------------------------------------------------------
  CRM_TRY_ASSIGN(auto existing, c.exec("SELECT id::text AS id, name, isolation, timezone, "
                                       "currency, cogs_per_minute = $2::numeric AS same_cogs, "
                                       "rate_per_minute = $3::numeric AS same_rate, free_minutes, "
                                       "rounding, status FROM organizations WHERE slug = $1",
                                       {slug, spec.cogs_per_minute.to_string(), rate.to_string()}));
  ++trips;
  std::string iso = spec.isolation == db::Isolation::schema ? "schema" : "row";
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
    if (diffs.empty() && spec.if_not_exists) {
      res.org_id = id;
      res.slug = slug;
      res.created = false;
      res.dry_run = dry_run;
      res.round_trips = trips;
      return res;
    }
    std::string list;
    for (const auto& d : diffs)
      list += (list.empty() ? "" : ", ") + d;
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
  if (dry_run) {
    res.dry_run = true;
    res.round_trips = trips;
    return res;
  }
  std::optional<std::string> pw_hash;
  if (spec.admin_password) {
    CRM_TRY_ASSIGN(pw_hash, crypto::bcrypt_hash(*spec.admin_password, 12));
  }

  // --- one transaction -----------------------------------------------------------------------
  CRM_TRY_ASSIGN(auto tx, c.admin());
  ++trips;
  nlohmann::json settings = spec.tmpl.settings;
  CRM_TRY(q(*tx,
            "INSERT INTO organizations (id, slug, name, isolation, schema_name, timezone, "
            "currency, settings, "
            "modules, branding, cogs_per_minute, rate_per_minute, free_minutes, rounding) VALUES "
            "($1::uuid, $2, $3, "
            "$4, nullif($5, ''), $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::numeric, "
            "$12::numeric, $13::int, $14)",
            {res.org_id, slug, spec.name, iso, res.schema, spec.timezone, spec.currency,
             json_str(settings), json_str(spec.tmpl.modules), json_str(spec.tmpl.branding),
             spec.cogs_per_minute.to_string(), rate.to_string(), std::to_string(spec.free_minutes),
             rounding_name(spec.rounding)}));
  if (!res.schema.empty()) {
    CRM_TRY(tx->exec_script("CREATE SCHEMA " + db::quote_ident(res.schema) +
                            " AUTHORIZATION crm_owner; GRANT USAGE ON SCHEMA " +
                            db::quote_ident(res.schema) + " TO crm_app, crm_readonly;"));
    ++trips;
    CRM_TRY(migrate::provision_schema(*tx, set, res.schema));
    trips += static_cast<int>(set.tenant.size()) * 4;
  }
  if (!email.empty()) {
    CRM_TRY_ASSIGN(auto u, q(*tx,
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
  CRM_TRY(db::enter_tenant(*tx, scope_of(ref, tenancy)));
  trips += 2;
  if (!services.empty())
    CRM_TRY(q(*tx,
              "INSERT INTO services (org_id, name, price, keywords) SELECT $1::uuid, s->>'name', "
              "(s->>'price')::numeric, "
              "ARRAY(SELECT jsonb_array_elements_text(s->'keywords')) FROM "
              "jsonb_array_elements($2::jsonb) s",
              {res.org_id, services.dump()}));
  CRM_TRY(q(*tx,
            "INSERT INTO credit_accounts (org_id, reset_date) VALUES ($1::uuid, "
            "(date_trunc('month', now() AT TIME ZONE $2) + interval '1 month')::date)",
            {res.org_id, spec.timezone}));
  if (!res.admin_user_id.empty())
    CRM_TRY(q(
        *tx, "INSERT INTO memberships (org_id, user_id, role) VALUES ($1::uuid, $2::uuid, 'admin')",
        {res.org_id, res.admin_user_id}));
  CRM_TRY(db::leave_tenant(*tx, scope_of(ref, tenancy)));
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
  CRM_TRY(db::write_audit(*tx, {actor.name, res.org_id, "tenant.create",
                                "organizations/" + res.org_id, args.dump(), "ok", ""}));
  trips += 2;
  CRM_TRY(tx->commit());
  ++trips;
  res.created = true;
  res.round_trips = trips;
  return res;
}

Result<nlohmann::json> list(db::Connection& c, const ListFilter& f) {
  CRM_TRY(require_migrated(c));
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT id::text AS id, slug, name, status, isolation, "
                                "coalesce(schema_name, '') AS schema_name, timezone, "
                                "currency, " +
                                    ts("created_at") +
                                    " AS created_at FROM organizations "
                                    "WHERE ($1 = '' AND status <> 'deleted' OR status = $1) AND "
                                    "($2 = '' OR isolation = $2) "
                                    "AND ($3 = '' OR strpos(lower(name), lower($3)) > 0 OR "
                                    "strpos(slug, lower($3)) > 0) ORDER BY slug",
                                {f.status, f.isolation, f.search}));
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({{"id", r.get(i, "id")},
                   {"slug", r.get(i, "slug")},
                   {"name", r.get(i, "name")},
                   {"status", r.get(i, "status")},
                   {"isolation", r.get(i, "isolation")},
                   {"schema", r.get(i, "schema_name")},
                   {"timezone", r.get(i, "timezone")},
                   {"currency", r.get(i, "currency")},
                   {"created_at", r.get(i, "created_at")}});
  return out;
}

Result<nlohmann::json> show(db::Connection& c, const TenantRef& t, const Tenancy& tenancy) {
  CRM_TRY_ASSIGN(
      auto r,
      c.exec("SELECT id::text AS id, slug, name, status, isolation, coalesce(schema_name, '') AS "
             "schema_name, timezone, currency, "
             "settings::text AS settings, modules::text AS modules, cogs_per_minute::text AS cogs, "
             "rate_per_minute::text AS rate, free_minutes, rounding, " +
                 ts("created_at") +
                 " AS created_at, "
                 "coalesce(" +
                 ts("suspended_at") +
                 ", '') AS suspended_at FROM organizations WHERE id = $1::uuid",
             {t.id}));
  if (r.empty()) return make_error(ErrorKind::not_found, "tenant '" + t.slug + "' not found");
  auto dec = [](const std::string& s) {
    auto d = Decimal::parse(s);
    return d ? d->to_string() : s;
  };
  nlohmann::json out = {{"id", r.get(0, "id")},
                        {"slug", r.get(0, "slug")},
                        {"name", r.get(0, "name")},
                        {"status", r.get(0, "status")},
                        {"isolation", r.get(0, "isolation")},
                        {"schema", r.get(0, "schema_name")},
                        {"timezone", r.get(0, "timezone")},
                        {"currency", r.get(0, "currency")},
                        {"cogs_per_minute", dec(r.get(0, "cogs"))},
                        {"rate_per_minute", dec(r.get(0, "rate"))},
                        {"free_minutes", std::stoi(r.get(0, "free_minutes"))},
                        {"rounding", r.get(0, "rounding")},
                        {"settings", nlohmann::json::parse(r.get(0, "settings"))},
                        {"modules", nlohmann::json::parse(r.get(0, "modules"))},
                        {"created_at", r.get(0, "created_at")},
                        {"suspended_at", r.get(0, "suspended_at").empty()
                                             ? nlohmann::json(nullptr)
                                             : nlohmann::json(r.get(0, "suspended_at"))}};
  // Counts through the tenant's own transaction: what the application role can see.
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(
      auto n,
      tx->exec("SELECT (SELECT count(*) FROM phone_numbers WHERE status NOT IN ('released', "
               "'failed')) AS numbers, "
               "(SELECT count(*) FROM agents) AS agents, (SELECT count(*) FROM calls) AS calls, "
               "(SELECT count(*) FROM memberships WHERE status = 'active') AS users, (SELECT "
               "count(*) FROM services) AS services, "
               "(SELECT count(*) FROM api_keys WHERE revoked_at IS NULL) AS api_keys, "
               "(SELECT coalesce(balance::text, '0') FROM credit_accounts) AS balance"));
  out["counts"] = {
      {"numbers", std::stol(n.get(0, "numbers"))},   {"agents", std::stol(n.get(0, "agents"))},
      {"calls", std::stol(n.get(0, "calls"))},       {"users", std::stol(n.get(0, "users"))},
      {"services", std::stol(n.get(0, "services"))}, {"api_keys", std::stol(n.get(0, "api_keys"))}};
  out["credit_balance"] = n.get(0, "balance").empty() ? "0" : dec(n.get(0, "balance"));
  return out;
}

Result<nlohmann::json> update(db::Connection& c, const TenantRef& t, const UpdateSpec& u,
                              const Actor& actor, bool dry_run) {
  std::vector<std::string> sets;
  db::Params p{t.id};
  nlohmann::json changed = nlohmann::json::object();
  auto add = [&](const std::string& col, const std::string& value, const std::string& cast = "") {
    p.push_back(value);
    sets.push_back(col + " = $" + std::to_string(p.size()) + cast);
    changed[col] = value;
  };
  if (u.name) {
    CRM_TRY(validate_name(*u.name));
    add("name", *u.name);
  }
  if (u.slug) {
    if (!is_valid_slug(*u.slug))
      return make_error(ErrorKind::usage, "invalid slug '" + *u.slug +
                                              "': use 1-63 lower-case letters, digits and dashes");
    add("slug", *u.slug);
  }
  if (u.timezone) {
    CRM_TRY(validate_timezone(c, *u.timezone));
    add("timezone", *u.timezone);
  }
  if (u.currency) {
    CRM_TRY(validate_currency(*u.currency));
    add("currency", *u.currency);
  }
  CRM_TRY(validate_billing_terms(u.cogs_per_minute, u.rate_per_minute, u.markup, u.free_minutes));
  if (u.cogs_per_minute) {
    add("cogs_per_minute", u.cogs_per_minute->to_string(), "::numeric");
  }
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
      changed["markup"] = u.markup->to_string();
    }
  }
  if (u.free_minutes) {
    add("free_minutes", std::to_string(*u.free_minutes), "::int");
  }
  if (u.rounding) add("rounding", rounding_name(*u.rounding));
  if (u.tmpl) {
    add("settings", u.tmpl->settings.dump(), "::jsonb");
    add("modules", u.tmpl->modules.dump(), "::jsonb");
  }
  if (sets.empty())
    return make_error(ErrorKind::usage,
                      "nothing to update: pass at least one of --name, --slug, --timezone, ...");
  nlohmann::json out = {{"id", t.id},
                        {"slug", u.slug ? *u.slug : t.slug},
                        {"changed", changed},
                        {"dry_run", dry_run}};
  if (dry_run) return out;
  CRM_TRY_ASSIGN(auto tx, c.admin());
  std::string sql = "UPDATE organizations SET updated_at = now()";
  for (const auto& s : sets)
    sql += ", " + s;
  CRM_TRY(tx->exec(sql + " WHERE id = $1::uuid", p));
  CRM_TRY(db::write_audit(
      *tx, {actor.name, t.id, "tenant.update", "organizations/" + t.id, changed.dump(), "ok", ""}));
  CRM_TRY(tx->commit());
  return out;
}

Result<nlohmann::json> set_status(db::Connection& c, const TenantRef& t, const std::string& status,
                                  const Actor& actor, bool dry_run) {
  if (t.status == "deleted")
    return make_error(ErrorKind::conflict, "tenant '" + t.slug + "' is deleted; it cannot be " +
                                               (status == "active" ? "resumed" : "suspended"));
  nlohmann::json out = {{"id", t.id},
                        {"slug", t.slug},
                        {"status", status},
                        {"changed", t.status != status},
                        {"dry_run", dry_run}};
  if (dry_run || t.status == status) return out;
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY(tx->exec(
      "UPDATE organizations SET status = $2, updated_at = now(), "
      "suspended_at = CASE WHEN $2 = 'suspended' THEN now() ELSE NULL END WHERE id = $1::uuid",
      {t.id, status}));
  CRM_TRY(db::write_audit(*tx, {actor.name, t.id,
                                status == "active" ? "tenant.resume" : "tenant.suspend",
                                "organizations/" + t.id, "{}", "ok", ""}));
  CRM_TRY(tx->commit());
  return out;
}

Result<std::vector<std::string>> tenant_tables(db::Connection& c, const std::string& schema) {
  CRM_TRY_ASSIGN(
      auto r,
      c.exec(
          "SELECT t.relname AS name FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
          "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_id' AND NOT "
          "a.attisdropped "
          "WHERE n.nspname = $1 AND t.relkind IN ('r', 'p') "
          "AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%' ORDER BY "
          "1",
          {schema}));
  CRM_TRY_ASSIGN(
      auto fk,
      c.exec(
          "SELECT t.relname AS child, p.relname AS parent FROM pg_constraint k "
          "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
          "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE k.contype = 'f' AND n.nspname = $1 "
          "AND p.relnamespace = t.relnamespace AND t.oid <> p.oid",
          {schema}));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < r.size(); ++i)
    names.push_back(r.get(i, "name"));
  std::map<std::string, std::set<std::string>> children; // parent -> children
  for (std::size_t i = 0; i < fk.size(); ++i)
    children[fk.get(i, "parent")].insert(fk.get(i, "child"));
  // Children before parents: repeatedly take a table none of whose children remain.
  std::vector<std::string> out;
  std::set<std::string> left(names.begin(), names.end());
  while (!left.empty()) {
    bool progressed = false;
    for (const auto& n : names) {
      if (!left.count(n)) continue;
      bool ready = std::none_of(children[n].begin(), children[n].end(),
                                [&](const auto& ch) { return left.count(ch) > 0; });
      if (ready) {
        out.push_back(n);
        left.erase(n);
        progressed = true;
      }
    }
    if (!progressed) { // a cycle: fall back to name order for the rest
      for (const auto& n : names)
        if (left.count(n)) out.push_back(n);
      break;
    }
  }
  return out;
}

Result<nlohmann::json> remove(db::Connection& c, const TenantRef& t, bool purge, const Actor& actor,
                              bool dry_run) {
  nlohmann::json out = {{"id", t.id}, {"slug", t.slug}, {"purge", purge}, {"dry_run", dry_run}};
  std::string schema = t.isolation == db::Isolation::schema ? t.schema : "public";
  CRM_TRY_ASSIGN(auto tables, tenant_tables(c, schema));
  if (!purge) {
    out["steps"] = {"mark organization deleted (data kept; `tenant delete --purge` removes it)"};
    if (dry_run) return out;
    if (t.status == "deleted") return out;
    CRM_TRY_ASSIGN(auto tx, c.admin());
    CRM_TRY(tx->exec(
        "UPDATE organizations SET status = 'deleted', deleted_at = now(), updated_at = now() "
        "WHERE id = $1::uuid",
        {t.id}));
    CRM_TRY(db::write_audit(*tx, {actor.name, t.id, "tenant.delete", "organizations/" + t.id,
                                  "{\"purge\":false}", "ok", ""}));
    CRM_TRY(tx->commit());
    return out;
  }
  nlohmann::json steps = nlohmann::json::array();
  if (t.isolation == db::Isolation::schema)
    steps.push_back("drop schema " + t.schema + " and its migration state");
  else
    for (const auto& tb : tables)
      steps.push_back("delete rows of " + tb);
  steps.push_back("delete number and agent routes, webhook inbox rows, the organization");
  out["steps"] = steps;
  if (dry_run) return out;
  CRM_TRY_ASSIGN(auto public_tables, tenant_tables(c, "public"));
  CRM_TRY_ASSIGN(auto tx, c.admin());
  nlohmann::json deleted = nlohmann::json::object();
  if (t.isolation == db::Isolation::schema) {
    CRM_TRY(tx->exec_script("DROP SCHEMA IF EXISTS " + db::quote_ident(t.schema) + " CASCADE"));
    CRM_TRY(tx->exec("DELETE FROM crm.schema_migrations WHERE schema_name = $1", {t.schema}));
  }
  // Row tenants' data, and anything a schema tenant left in the shared tables.
  for (const auto& tb : public_tables) {
    CRM_TRY_ASSIGN(
        auto d,
        tx->exec("DELETE FROM public." + db::quote_ident(tb) + " WHERE org_id = $1::uuid", {t.id}));
    if (d.affected) deleted[tb] = d.affected;
  }
  for (const char* g : {"number_routes", "agent_routes", "webhook_events"})
    CRM_TRY(tx->exec(std::string("DELETE FROM public.") + g + " WHERE org_id = $1::uuid", {t.id}));
  CRM_TRY(tx->exec("DELETE FROM organizations WHERE id = $1::uuid", {t.id}));
  CRM_TRY(
      db::write_audit(*tx, {actor.name, t.id, "tenant.purge", "organizations/" + t.id,
                            nlohmann::json{{"slug", t.slug}, {"rows", deleted}}.dump(), "ok", ""}));
  CRM_TRY(tx->commit());
  out["deleted_rows"] = deleted;
  return out;
}

Result<nlohmann::json> export_to(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                 const std::string& out_dir, TimePoint now, const Actor& actor) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return make_error(ErrorKind::usage, "cannot create " + out_dir + ": " + ec.message());
  std::string schema = t.isolation == db::Isolation::schema ? t.schema : "public";
  CRM_TRY_ASSIGN(auto tables, tenant_tables(c, schema));
  std::sort(tables.begin(), tables.end());
  nlohmann::json manifest_tables = nlohmann::json::array();
  auto write_file = [&](const std::string& name, const std::string& text) -> Status {
    fs::path tmp = fs::path(out_dir) / (name + ".tmp"), dst = fs::path(out_dir) / name;
    {
      std::ofstream f(tmp, std::ios::binary);
      f << text;
      if (!f) return make_error(ErrorKind::unexpected, "cannot write " + tmp.string());
    }
    fs::rename(tmp, dst, ec);
    if (ec)
      return make_error(ErrorKind::unexpected,
                        "cannot write " + dst.string() + ": " + ec.message());
    return {};
  };
  CRM_TRY_ASSIGN(auto ver,
                 c.exec("SELECT coalesce(max(version), '') AS v FROM crm.schema_migrations "
                        "WHERE schema_name = $1 AND track = 'tenant' AND status = 'applied'",
                        {schema}));
  // One snapshot through the tenant's own scope: RLS guarantees nothing else leaks in.
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(
      auto org,
      tx->exec("SELECT row_to_json(o)::text AS j FROM organizations o WHERE id = $1::uuid",
               {t.id}));
  CRM_TRY(
      write_file("organization.json", (org.empty() ? std::string("{}") : org.get(0, "j")) + "\n"));
  for (const auto& tb : tables) {
    CRM_TRY_ASSIGN(auto rows, tx->exec("SELECT row_to_json(x)::text AS j FROM " +
                                       db::quote_ident(tb) + " x ORDER BY 1"));
    std::string text;
    for (std::size_t i = 0; i < rows.size(); ++i)
      text += rows.get(i, "j") + "\n";
    CRM_TRY(write_file(tb + ".jsonl", text));
    manifest_tables.push_back({{"table", tb},
                               {"file", tb + ".jsonl"},
                               {"rows", rows.size()},
                               {"sha256", crypto::hex(crypto::sha256(text))}});
  }
  CRM_TRY(tx->commit());
  nlohmann::json manifest = {
      {"format", "crmctl-tenant-export/1"},
      {"tenant",
       {{"id", t.id},
        {"slug", t.slug},
        {"name", t.name},
        {"isolation", t.isolation == db::Isolation::schema ? "schema" : "row"}}},
      {"exported_at", format_rfc3339(now)},
      {"schema_version", ver.get(0, "v")},
      {"tables", manifest_tables}};
  CRM_TRY(write_file("manifest.json", manifest.dump(2) + "\n"));
  CRM_TRY_ASSIGN(auto atx, c.admin());
  CRM_TRY(
      db::write_audit(*atx, {actor.name, t.id, "tenant.export", out_dir,
                             nlohmann::json{{"tables", manifest_tables.size()}}.dump(), "ok", ""}));
  CRM_TRY(atx->commit());
  return manifest;
}

} // namespace crm::tenant
