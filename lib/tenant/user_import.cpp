#include "tenant/user_import.hpp"

#include "core/csv.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "tenant/users.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace crm::tenant {

namespace {

// The longest value a column may hold, in characters.
std::size_t max_length_of(const std::string& column) {
  if (column == "email") return 254;
  if (column == "name") return 200;
  if (column == "role") return 32;
  return 1000;
}

// A field through the one text validator, named by its line and column.
Status check_field(const std::string& value, std::size_t line, const std::string& column) {
  return check_text(
      value, TextRule("line " + std::to_string(line) + ": " + column, max_length_of(column)));
}

} // namespace

Result<std::vector<ImportRow>> parse_users_csv(const std::string& input) {
  CRM_TRY_ASSIGN(auto csv, parse_csv(input));
  const auto& records = csv.records;
  const auto& lines = csv.lines;
  if (records.empty())
    return make_error(ErrorKind::usage, "CSV is empty: expected a header email,name,role");
  std::vector<std::string> header;
  for (auto& h : records[0]) {
    CRM_TRY(
        check_text(trim(h), TextRule("CSV header (line " + std::to_string(lines[0]) + ")", 64)));
    header.push_back(to_lower(trim(h)));
  }
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
    row.email = to_lower(get(ce));
    row.name = get(cn);
    row.role = to_lower(get(cr));
    if (records[r].size() != header.size()) {
      row.result = "error";
      row.error = "expected " + std::to_string(header.size()) + " fields, found " +
                  std::to_string(records[r].size());
    }
    for (std::size_t ci = 0; ci < records[r].size() && row.result.empty(); ++ci) {
      auto ok = check_field(trim(records[r][ci]), row.line,
                            ci < header.size() ? header[ci] : "field " + std::to_string(ci + 1));
      if (!ok) {
        row.result = "error";
        row.error = ok.error().message;
      }
    }
    out.push_back(row);
  }
  return out;
}

Result<std::vector<ImportRow>> import_users(db::AdminTx& tx, const TenantRef& t,
                                            const Tenancy& tenancy, std::vector<ImportRow> rows,
                                            const Actor& actor, DryRun dry_run,
                                            UpdateRoles update_roles) {
  CRM_TRY(require_active(t));
  bool bad = false;
  std::set<std::string> seen;
  for (auto& r : rows) {
    if (r.result == "error") {
      bad = true;
      continue;
    }
    for (auto [column, value] :
         {std::pair{"email", &r.email}, std::pair{"name", &r.name}, std::pair{"role", &r.role}})
      if (auto ok = check_field(*value, r.line, column); !ok && r.error.empty())
        r.error = ok.error().message;
    if (r.error.empty()) {
      if (!is_valid_email(r.email))
        r.error = "invalid email '" + excerpt(r.email) + "'";
      else if (!is_valid_role(r.role) || r.role == "superadmin")
        r.error = "unknown role '" + excerpt(r.role) + "' (admin, manager, employee, viewer)";
      else if (!seen.insert(r.email).second)
        r.error = "duplicate of an earlier row";
    }
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

  // Who already is a member, with which role and status (reads only: a dry run sees them too).
  nlohmann::json emails = nlohmann::json::array();
  for (const auto& r : rows)
    emails.push_back(r.email);
  CRM_TRY_ASSIGN(auto known, tx.exec("SELECT id::text AS id, email FROM users WHERE email IN "
                                     "(SELECT jsonb_array_elements_text($1::jsonb))",
                                     {emails.dump()}));
  std::map<std::string, std::string> id_of; // email -> user id
  nlohmann::json known_ids = nlohmann::json::array();
  for (std::size_t i = 0; i < known.size(); ++i) {
    id_of[known.get(i, "email")] = known.get(i, "id");
    known_ids.push_back(known.get(i, "id"));
  }
  std::map<std::string, std::pair<std::string, std::string>> member_of; // id -> (role, status)
  if (!known_ids.empty()) {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
    CRM_TRY_ASSIGN(auto m, scoped->exec("SELECT user_id::text AS id, role, status FROM memberships "
                                        "WHERE user_id IN (SELECT value::uuid FROM "
                                        "jsonb_array_elements_text($1::jsonb))",
                                        {known_ids.dump()}));
    for (std::size_t i = 0; i < m.size(); ++i)
      member_of[m.get(i, "id")] = {m.get(i, "role"), m.get(i, "status")};
  }
  // Like `user create`: another role is a conflict, unless --update-roles says to change it.
  bool conflict = false;
  for (auto& r : rows) {
    auto id = id_of.find(r.email);
    if (id == id_of.end()) continue;
    auto m = member_of.find(id->second);
    if (m == member_of.end()) continue;
    const auto& [role, status] = m->second;
    if (status == "disabled") {
      r.result = "disabled";
      r.error = "the membership is disabled: left as it is";
    } else if (role == r.role) {
      r.result = "exists";
    } else if (update_roles == UpdateRoles::yes) {
      r.result = dry_run == DryRun::yes ? "would_update" : "updated";
    } else {
      r.result = "conflict";
      r.error = "line " + std::to_string(r.line) + ": " + r.email +
                " is already a member of tenant '" + t.slug + "' with role " + role +
                ", the file says " + r.role + ": pass --update-roles to change it";
      conflict = true;
    }
  }
  if (conflict) {
    for (auto& r : rows)
      if (r.result.empty()) r.result = "not_imported";
    return rows; // the caller reports every row and exits 4; nothing was written
  }
  if (dry_run == DryRun::yes) {
    for (auto& r : rows)
      if (r.result.empty()) r.result = "would_import";
    return rows;
  }

  // New users by email (an existing user is reused); the membership is what the import adds.
  nlohmann::json payload = nlohmann::json::array();
  for (const auto& r : rows)
    if (r.result.empty() && !id_of.count(r.email))
      payload.push_back(
          {{"id", uuid_v4()}, {"email", r.email}, {"name", r.name}, {"role", r.role}});
  if (!payload.empty()) {
    CRM_TRY_ASSIGN(auto ids,
                   tx.exec("INSERT INTO users (id, email, name) SELECT (r->>'id')::uuid, "
                           "r->>'email', nullif(r->>'name', '') "
                           "FROM jsonb_array_elements($1::jsonb) r ON CONFLICT (email) DO "
                           "UPDATE SET updated_at = users.updated_at "
                           "RETURNING id::text AS id, email",
                           {payload.dump()}));
    for (std::size_t i = 0; i < ids.size(); ++i)
      id_of[ids.get(i, "email")] = ids.get(i, "id");
  }
  nlohmann::json members = nlohmann::json::array(), role_changes = nlohmann::json::array();
  for (const auto& r : rows) {
    if (r.result.empty())
      members.push_back({{"user_id", id_of[r.email]}, {"role", r.role}, {"email", r.email}});
    else if (r.result == "updated")
      role_changes.push_back({{"user_id", id_of[r.email]}, {"role", r.role}});
  }
  std::set<std::string> created;
  {
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope_of(t, tenancy)));
    if (!members.empty()) {
      CRM_TRY_ASSIGN(auto ins,
                     scoped->exec("INSERT INTO memberships (org_id, user_id, role) SELECT "
                                  "$1::uuid, (m->>'user_id')::uuid, m->>'role' "
                                  "FROM jsonb_array_elements($2::jsonb) m ON CONFLICT (org_id, "
                                  "user_id) DO NOTHING RETURNING user_id::text AS id",
                                  {t.id, members.dump()}));
      for (std::size_t i = 0; i < ins.size(); ++i)
        created.insert(ins.get(i, "id"));
    }
    if (!role_changes.empty())
      CRM_TRY(scoped->exec("UPDATE memberships SET role = m->>'role' FROM "
                           "jsonb_array_elements($1::jsonb) m "
                           "WHERE memberships.user_id = (m->>'user_id')::uuid",
                           {role_changes.dump()}));
  }
  for (auto& r : rows)
    if (r.result.empty()) r.result = created.count(id_of[r.email]) ? "created" : "exists";
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "user.import", "memberships",
                               audit_args(actor, nlohmann::json{{"rows", rows.size()},
                                                                {"created", created.size()},
                                                                {"updated", role_changes.size()}}
                                                     .dump()),
                               "ok", ""}));
  return rows;
}

} // namespace crm::tenant
