#include "tenant/users.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "db/audit.hpp"

#include <algorithm>
#include <set>

namespace crm::tenant {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string ts(const std::string& col) {
  return "coalesce(to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')";
}

} // namespace

bool is_valid_role(const std::string& r) {
  return r == "admin" || r == "manager" || r == "employee" || r == "viewer" || r == "superadmin";
}

Result<nlohmann::json> create_user(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                   const UserSpec& u, const Actor& actor, bool dry_run) {
  CRM_TRY(require_active(t));
  std::string email = lower(trim(u.email));
  if (!is_valid_email(email))
    return make_error(ErrorKind::usage, "invalid email '" + u.email + "': use name@example.com");
  if (!is_valid_role(u.role))
    return make_error(ErrorKind::usage,
                      "unknown role '" + u.role +
                          "': use admin, manager, employee, viewer or superadmin");
  if (u.password && u.password->size() < 8)
    return make_error(ErrorKind::usage, "password too short: use at least 8 characters");
  std::string member_role = u.role == "superadmin" ? "admin" : u.role;
  nlohmann::json out = {
      {"email", email}, {"tenant", t.slug}, {"role", u.role}, {"dry_run", dry_run}};
  CRM_TRY_ASSIGN(auto existing,
                 c.exec("SELECT id::text AS id FROM users WHERE email = $1", {email}));
  std::string user_id = existing.empty() ? uuid_v4() : existing.get(0, "id");
  if (!existing.empty()) {
    CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
    CRM_TRY_ASSIGN(auto m,
                   tx->exec("SELECT role FROM memberships WHERE user_id = $1::uuid", {user_id}));
    if (!m.empty()) {
      if (m.get(0, "role") != member_role)
        return make_error(ErrorKind::conflict, "user " + email + " is already a " +
                                                   m.get(0, "role") + " of tenant '" + t.slug +
                                                   "'");
      out["id"] = user_id;
      out["created"] = false;
      return out;
    }
  }
  out["id"] = user_id;
  out["created"] = true;
  if (dry_run) return out;
  std::optional<std::string> hash;
  if (u.password) {
    CRM_TRY_ASSIGN(hash, crypto::bcrypt_hash(*u.password, 12));
  }
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY(tx->exec(
      "INSERT INTO users (id, email, name, password_hash, is_superadmin) "
      "VALUES ($1::uuid, $2, nullif($3, ''), $4, $5::boolean) ON CONFLICT (email) DO UPDATE SET "
      "password_hash = coalesce(users.password_hash, EXCLUDED.password_hash), "
      "is_superadmin = users.is_superadmin OR EXCLUDED.is_superadmin, updated_at = now()",
      {user_id, email, u.name, hash ? db::Value{*hash} : db::Value{},
       u.role == "superadmin" ? "true" : "false"}));
  CRM_TRY(db::enter_tenant(*tx, scope_of(t, tenancy)));
  CRM_TRY(
      tx->exec("INSERT INTO memberships (org_id, user_id, role) VALUES ($1::uuid, $2::uuid, $3)",
               {t.id, user_id, member_role}));
  CRM_TRY(db::leave_tenant(*tx, scope_of(t, tenancy)));
  CRM_TRY(db::write_audit(
      *tx,
      {actor.name, t.id, "user.create", "users/" + user_id,
       nlohmann::json{{"email", email}, {"role", u.role}, {"password", u.password ? "set" : "none"}}
           .dump(),
       "ok", ""}));
  CRM_TRY(tx->commit());
  return out;
}

Result<nlohmann::json> list_users(db::Connection& c, const TenantRef& t, const Tenancy& tenancy) {
  CRM_TRY(require_active(t));
  // Memberships through the tenant scope; user details by the ids it returned.
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(auto m, tx->exec("SELECT user_id::text AS id, role, status, " + ts("created_at") +
                                  " AS since FROM memberships ORDER BY created_at, user_id"));
  CRM_TRY(tx->commit());
  nlohmann::json ids = nlohmann::json::array();
  for (std::size_t i = 0; i < m.size(); ++i)
    ids.push_back(m.get(i, "id"));
  CRM_TRY_ASSIGN(
      auto u,
      c.exec("SELECT id::text AS id, email, coalesce(name, '') AS name, status, is_superadmin, "
             "password_hash IS NOT NULL AS has_password FROM users "
             "WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))",
             {ids.dump()}));
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < u.size(); ++i)
    by_id[u.get(i, "id")] = i;
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < m.size(); ++i) {
    auto it = by_id.find(m.get(i, "id"));
    if (it == by_id.end()) continue;
    std::size_t j = it->second;
    bool disabled = m.get(i, "status") == "disabled" || u.get(j, "status") == "disabled";
    out.push_back({{"id", m.get(i, "id")},
                   {"email", u.get(j, "email")},
                   {"name", u.get(j, "name")},
                   {"role", u.get(j, "is_superadmin") == "t" ? "superadmin" : m.get(i, "role")},
                   {"status", disabled ? "disabled" : "active"},
                   {"password", u.get(j, "has_password") == "t"},
                   {"member_since", m.get(i, "since")}});
  }
  return out;
}

Result<nlohmann::json> disable_user(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                    const std::string& email_in, const Actor& actor, bool dry_run) {
  CRM_TRY(require_active(t));
  std::string email = lower(trim(email_in));
  CRM_TRY_ASSIGN(auto u, c.exec("SELECT id::text AS id FROM users WHERE email = $1", {email}));
  if (u.empty()) return make_error(ErrorKind::not_found, "user " + email + " not found");
  std::string id = u.get(0, "id");
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(auto m, tx->exec("SELECT status FROM memberships WHERE user_id = $1::uuid", {id}));
  if (m.empty())
    return make_error(ErrorKind::not_found,
                      "user " + email + " is not a member of tenant '" + t.slug + "'");
  nlohmann::json out = {{"email", email},
                        {"tenant", t.slug},
                        {"status", "disabled"},
                        {"changed", m.get(0, "status") != "disabled"},
                        {"dry_run", dry_run}};
  if (dry_run || m.get(0, "status") == "disabled") return out;
  CRM_TRY(tx->exec(
      "UPDATE memberships SET status = 'disabled', disabled_at = now() WHERE user_id = $1::uuid",
      {id}));
  CRM_TRY(db::write_audit(*tx, {actor.name, t.id, "user.disable", "users/" + id,
                                nlohmann::json{{"email", email}}.dump(), "ok", ""}));
  CRM_TRY(tx->commit());
  return out;
}

Result<std::vector<ImportRow>> parse_users_csv(const std::string& text) {
  // RFC 4180: fields may be quoted, quotes doubled, line breaks inside quotes.
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> lines;
  std::vector<std::string> rec;
  std::string field;
  bool quoted = false, any = false;
  std::size_t line = 1, rec_line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      quoted = any = true;
    } else if (ch == ',') {
      rec.push_back(field);
      field.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        rec.push_back(field);
        records.push_back(rec);
        lines.push_back(rec_line);
      }
      rec.clear();
      field.clear();
      any = false;
      rec_line = ++line;
    } else {
      field.push_back(ch);
      any = true;
    }
  }
  if (quoted)
    return make_error(ErrorKind::usage, "CSV: unterminated quoted field starting on line " +
                                            std::to_string(rec_line));
  if (any || !field.empty()) {
    rec.push_back(field);
    records.push_back(rec);
    lines.push_back(rec_line);
  }
  if (records.empty())
    return make_error(ErrorKind::usage, "CSV is empty: expected a header email,name,role");
  std::vector<std::string> header;
  for (auto& h : records[0])
    header.push_back(lower(trim(h)));
  auto col = [&](const char* n) -> int {
    auto it = std::find(header.begin(), header.end(), n);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  int ce = col("email"), cn = col("name"), cr = col("role");
  if (ce < 0 || cr < 0)
    return make_error(ErrorKind::usage,
                      "CSV header must name the columns email and role (name optional)");
  std::vector<ImportRow> out;
  for (std::size_t r = 1; r < records.size(); ++r) {
    ImportRow row;
    row.line = lines[r];
    auto get = [&](int ci) {
      return ci >= 0 && ci < static_cast<int>(records[r].size()) ? trim(records[r][ci]) : "";
    };
    row.email = lower(get(ce));
    row.name = get(cn);
    row.role = lower(get(cr));
    if (records[r].size() != header.size()) {
      row.result = "error";
      row.error = "expected " + std::to_string(header.size()) + " fields, found " +
                  std::to_string(records[r].size());
    }
    out.push_back(row);
  }
  return out;
}

Result<std::vector<ImportRow>> import_users(db::Connection& c, const TenantRef& t,
                                            const Tenancy& tenancy, std::vector<ImportRow> rows,
                                            const Actor& actor, bool dry_run) {
  CRM_TRY(require_active(t));
  bool bad = false;
  std::set<std::string> seen;
  for (auto& r : rows) {
    if (r.result == "error") {
      bad = true;
      continue;
    }
    if (!is_valid_email(r.email))
      r.error = "invalid email '" + r.email + "'";
    else if (!is_valid_role(r.role) || r.role == "superadmin")
      r.error = "unknown role '" + r.role + "' (admin, manager, employee, viewer)";
    else if (!seen.insert(r.email).second)
      r.error = "duplicate of an earlier row";
    if (!r.error.empty()) {
      r.result = "error";
      bad = true;
    }
  }
  if (bad) {
    for (auto& r : rows)
      if (r.result.empty()) r.result = "not_imported";
    return rows; // the caller reports every row and exits 2; nothing was written
  }
  nlohmann::json payload = nlohmann::json::array();
  for (const auto& r : rows)
    payload.push_back({{"id", uuid_v4()}, {"email", r.email}, {"name", r.name}, {"role", r.role}});
  if (dry_run) {
    for (auto& r : rows)
      r.result = "would_import";
    return rows;
  }
  CRM_TRY_ASSIGN(auto tx, c.admin());
  // Existing users are reused by email; the membership is what the import adds.
  CRM_TRY_ASSIGN(auto ids, tx->exec("INSERT INTO users (id, email, name) SELECT (r->>'id')::uuid, "
                                    "r->>'email', nullif(r->>'name', '') "
                                    "FROM jsonb_array_elements($1::jsonb) r ON CONFLICT (email) DO "
                                    "UPDATE SET updated_at = users.updated_at "
                                    "RETURNING id::text AS id, email",
                                    {payload.dump()}));
  std::map<std::string, std::string> id_of;
  for (std::size_t i = 0; i < ids.size(); ++i)
    id_of[ids.get(i, "email")] = ids.get(i, "id");
  nlohmann::json members = nlohmann::json::array();
  for (const auto& r : rows)
    members.push_back({{"user_id", id_of[r.email]}, {"role", r.role}, {"email", r.email}});
  CRM_TRY(db::enter_tenant(*tx, scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(auto ins, tx->exec("INSERT INTO memberships (org_id, user_id, role) SELECT "
                                    "$1::uuid, (m->>'user_id')::uuid, m->>'role' "
                                    "FROM jsonb_array_elements($2::jsonb) m ON CONFLICT (org_id, "
                                    "user_id) DO NOTHING RETURNING user_id::text AS id",
                                    {t.id, members.dump()}));
  std::set<std::string> created;
  for (std::size_t i = 0; i < ins.size(); ++i)
    created.insert(ins.get(i, "id"));
  CRM_TRY(db::leave_tenant(*tx, scope_of(t, tenancy)));
  for (auto& r : rows)
    r.result = created.count(id_of[r.email]) ? "created" : "exists";
  CRM_TRY(db::write_audit(
      *tx, {actor.name, t.id, "user.import", "memberships",
            nlohmann::json{{"rows", rows.size()}, {"created", created.size()}}.dump(), "ok", ""}));
  CRM_TRY(tx->commit());
  return rows;
}

const std::vector<std::string>& api_key_scopes() {
  static const std::vector<std::string> k_scopes = {
      "calls:read",   "calls:write",      "contacts:read",  "contacts:write",
      "numbers:read", "numbers:write",    "agents:read",    "agents:write",
      "billing:read", "transcripts:read", "webhooks:write", "admin"};
  return k_scopes;
}

Result<nlohmann::json> create_api_key(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                      const ApiKeySpec& spec, TimePoint now, const Actor& actor,
                                      bool dry_run) {
  CRM_TRY(require_active(t));
  if (spec.name.empty()) return make_error(ErrorKind::usage, "an API key needs a --name");
  if (spec.scopes.empty())
    return make_error(ErrorKind::usage, "an API key needs --scopes (e.g. calls:read,numbers:read)");
  for (const auto& s : spec.scopes)
    if (std::find(api_key_scopes().begin(), api_key_scopes().end(), s) == api_key_scopes().end()) {
      std::string known;
      for (const auto& k : api_key_scopes())
        known += (known.empty() ? "" : ", ") + k;
      return make_error(ErrorKind::usage, "unknown scope '" + s + "': known scopes are " + known);
    }
  std::string prefix = crypto::hex(crypto::random_bytes(4));
  std::string secret = "crm_" + prefix + "_" + crypto::base64url_encode(crypto::random_bytes(24));
  std::string hash = crypto::hex(crypto::sha256(secret));
  std::string expires = spec.expires_in ? format_rfc3339(now + *spec.expires_in) : "";
  nlohmann::json out = {
      {"tenant", t.slug},
      {"name", spec.name},
      {"prefix", prefix},
      {"scopes", spec.scopes},
      {"expires_at", expires.empty() ? nlohmann::json(nullptr) : nlohmann::json(expires)},
      {"dry_run", dry_run}};
  if (dry_run) return out;
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  nlohmann::json scopes = spec.scopes;
  CRM_TRY_ASSIGN(auto r, tx->exec("INSERT INTO api_keys (org_id, name, prefix, key_hash, scopes, "
                                  "expires_at) VALUES ($1::uuid, $2, $3, $4, "
                                  "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), nullif($6, "
                                  "'')::timestamptz) RETURNING id::text AS id",
                                  {t.id, spec.name, prefix, hash, scopes.dump(), expires}));
  CRM_TRY(db::write_audit(
      *tx, {actor.name, t.id, "apikey.create", "api_keys/" + r.get(0, "id"),
            nlohmann::json{{"name", spec.name}, {"prefix", prefix}, {"scopes", spec.scopes}}.dump(),
            "ok", ""}));
  CRM_TRY(tx->commit());
  out["id"] = r.get(0, "id");
  out["secret"] = secret; // shown once
  return out;
}

Result<nlohmann::json> list_api_keys(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                     TimePoint now) {
  CRM_TRY(require_active(t));
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(
      auto r,
      tx->exec("SELECT id::text AS id, name, prefix, array_to_string(scopes, ',') AS scopes, " +
                   ts("expires_at") + " AS expires_at, " + ts("revoked_at") + " AS revoked_at, " +
                   ts("created_at") +
                   " AS created_at, "
                   "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at IS NOT NULL "
                   "AND expires_at <= $1::timestamptz "
                   "THEN 'expired' ELSE 'active' END AS status FROM api_keys ORDER BY created_at, "
                   "prefix",
               {format_rfc3339(now)}));
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({{"id", r.get(i, "id")},
                   {"name", r.get(i, "name")},
                   {"prefix", r.get(i, "prefix")},
                   {"scopes", r.get(i, "scopes")},
                   {"status", r.get(i, "status")},
                   {"expires_at", r.get(i, "expires_at")},
                   {"created_at", r.get(i, "created_at")}});
  return out;
}

Result<nlohmann::json> revoke_api_key(db::Connection& c, const TenantRef& t, const Tenancy& tenancy,
                                      const std::string& key, const Actor& actor, bool dry_run) {
  CRM_TRY(require_active(t));
  CRM_TRY_ASSIGN(auto tx, c.tenant(scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(
      auto r,
      tx->exec("SELECT id::text AS id, prefix, revoked_at IS NOT NULL AS revoked FROM api_keys "
               "WHERE prefix = $1 OR id::text = $1",
               {key}));
  if (r.empty())
    return make_error(ErrorKind::not_found, "API key '" + key + "' not found in tenant '" + t.slug +
                                                "': `crmctl apikey list --tenant " + t.slug + "`");
  nlohmann::json out = {{"id", r.get(0, "id")},
                        {"prefix", r.get(0, "prefix")},
                        {"status", "revoked"},
                        {"changed", r.get(0, "revoked") != "t"},
                        {"dry_run", dry_run}};
  if (dry_run || r.get(0, "revoked") == "t") return out;
  CRM_TRY(tx->exec("UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid", {r.get(0, "id")}));
  CRM_TRY(db::write_audit(
      *tx, {actor.name, t.id, "apikey.revoke", "api_keys/" + r.get(0, "id"), "{}", "ok", ""}));
  CRM_TRY(tx->commit());
  return out;
}

} // namespace crm::tenant
