#include "tenant/users.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "db/sql.hpp"
#include "tenant/validate.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace crm::tenant {

bool is_valid_role(const std::string& r) {
  return r == "admin" || r == "manager" || r == "employee" || r == "viewer" || r == "superadmin";
}

Result<UserResult> create_user(db::AdminTx& tx, const TenantRef& t, const Tenancy& tenancy,
                               const UserSpec& u, const Actor& actor, DryRun dry_run) {
  CRM_TRY(require_active(t));
  // Every text through the one validator: no control, bidi or invalid UTF-8 reaches the table.
  CRM_TRY(detail::validate_email(u.email, "email"));
  std::string email = to_lower(trim(u.email));
  CRM_TRY(detail::validate_person_name(u.name, "--name"));
  if (!is_valid_role(u.role))
    return make_error(ErrorKind::usage,
                      "unknown role '" + excerpt(u.role) +
                          "': use admin, manager, employee, viewer or superadmin");
  if (u.password) CRM_TRY(detail::validate_password(*u.password));
  std::string member_role = u.role == "superadmin" ? "admin" : u.role;
  UserResult out{"", email, t.slug, u.role, true, dry_run == DryRun::yes};
  CRM_TRY_ASSIGN(auto existing,
                 tx.exec("SELECT id::text AS id FROM users WHERE email = $1", {email}));
  out.id = existing.empty() ? uuid_v4() : existing.get(0, "id");
  if (!existing.empty()) {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
    CRM_TRY_ASSIGN(auto m,
                   scoped->exec("SELECT role FROM memberships WHERE user_id = $1::uuid", {out.id}));
    if (!m.empty()) {
      if (m.get(0, "role") != member_role)
        return make_error(ErrorKind::conflict, "user " + email + " is already a " +
                                                   m.get(0, "role") + " of tenant '" + t.slug +
                                                   "'");
      out.created = false;
      return out;
    }
  }
  if (dry_run == DryRun::yes) return out;
  std::optional<std::string> hash;
  if (u.password) {
    CRM_TRY_ASSIGN(hash, crypto::bcrypt_hash(*u.password, 12));
  }
  CRM_TRY(tx.exec(
      "INSERT INTO users (id, email, name, password_hash, is_superadmin) "
      "VALUES ($1::uuid, $2, nullif($3, ''), $4, $5::boolean) ON CONFLICT (email) DO UPDATE SET "
      "password_hash = coalesce(users.password_hash, EXCLUDED.password_hash), "
      "is_superadmin = users.is_superadmin OR EXCLUDED.is_superadmin, updated_at = now()",
      {out.id, email, u.name, hash ? db::Value{*hash} : db::Value{},
       u.role == "superadmin" ? "true" : "false"}));
  {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
    CRM_TRY(scoped->exec(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1::uuid, $2::uuid, $3)",
        {t.id, out.id, member_role}));
  }
  CRM_TRY(db::write_audit(
      tx, {actor.name, t.id, "user.create", "users/" + out.id,
           audit_args(actor, nlohmann::json{{"email", email},
                                            {"role", u.role},
                                            {"password", u.password ? "set" : "none"}}
                                 .dump()),
           "ok", ""}));
  return out;
}

Result<std::vector<Member>> list_users(db::AdminTx& tx, const TenantRef& t,
                                       const Tenancy& tenancy) {
  CRM_TRY(require_active(t));
  // Memberships through the tenant scope; user details (global) by the ids it returned.
  db::Rows m;
  {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
    CRM_TRY_ASSIGN(m, scoped->exec("SELECT user_id::text AS id, role, status, " +
                                   db::rfc3339_sql("created_at") +
                                   " AS since FROM memberships ORDER BY created_at, user_id"));
  }
  nlohmann::json ids = nlohmann::json::array();
  for (std::size_t i = 0; i < m.size(); ++i)
    ids.push_back(m.get(i, "id"));
  CRM_TRY_ASSIGN(
      auto u,
      tx.exec("SELECT id::text AS id, email, coalesce(name, '') AS name, status, is_superadmin, "
              "password_hash IS NOT NULL AS has_password FROM users "
              "WHERE id IN (SELECT value::uuid FROM jsonb_array_elements_text($1::jsonb))",
              {ids.dump()}));
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < u.size(); ++i)
    by_id[u.get(i, "id")] = i;
  std::vector<Member> out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    auto it = by_id.find(m.get(i, "id"));
    if (it == by_id.end()) continue;
    std::size_t j = it->second;
    bool disabled = m.get(i, "status") == "disabled" || u.get(j, "status") == "disabled";
    out.push_back({m.get(i, "id"), u.get(j, "email"), u.get(j, "name"),
                   u.get(j, "is_superadmin") == "t" ? "superadmin" : m.get(i, "role"),
                   disabled ? "disabled" : "active", m.get(i, "since"),
                   u.get(j, "has_password") == "t"});
  }
  return out;
}

Result<DisableResult> disable_user(db::AdminTx& tx, const TenantRef& t, const Tenancy& tenancy,
                                   const std::string& email_in, const Actor& actor,
                                   DryRun dry_run) {
  CRM_TRY(require_active(t));
  CRM_TRY(check_text(email_in, TextRule("email", 254)));
  std::string email = to_lower(trim(email_in));
  CRM_TRY_ASSIGN(auto u, tx.exec("SELECT id::text AS id FROM users WHERE email = $1", {email}));
  if (u.empty()) return make_error(ErrorKind::not_found, "user " + email + " not found");
  std::string id = u.get(0, "id");
  CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
  CRM_TRY_ASSIGN(auto m,
                 scoped->exec("SELECT status FROM memberships WHERE user_id = $1::uuid", {id}));
  if (m.empty())
    return make_error(ErrorKind::not_found,
                      "user " + email + " is not a member of tenant '" + t.slug + "'");
  DisableResult out{email, t.slug, m.get(0, "status") != "disabled", dry_run == DryRun::yes};
  if (dry_run == DryRun::yes || !out.changed) return out;
  CRM_TRY(scoped->exec(
      "UPDATE memberships SET status = 'disabled', disabled_at = now() WHERE user_id = $1::uuid",
      {id}));
  CRM_TRY(db::write_audit(*scoped,
                          {actor.name, t.id, "user.disable", "users/" + id,
                           audit_args(actor, nlohmann::json{{"email", email}}.dump()), "ok", ""}));
  return out;
}

} // namespace crm::tenant
