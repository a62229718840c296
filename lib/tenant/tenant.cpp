#include "tenant/tenant.hpp"

#include "core/ids.hpp"
#include "tenant/validate.hpp"

#include <nlohmann/json.hpp>

namespace crm::tenant {
namespace {

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

} // namespace

Result<TenantRef> resolve(db::Tx& c, const std::string& id_or_slug) {
  if (id_or_slug.empty())
    return make_error(ErrorKind::usage, "no tenant given: pass --tenant ID|SLUG");
  CRM_TRY(detail::require_migrated(c));
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

const char* isolation_name(db::Isolation i) {
  return i == db::Isolation::schema ? "schema" : "row";
}

std::string audit_args(const Actor& actor, std::string arguments_json) {
  if (actor.via_context.empty()) return arguments_json;
  auto j = nlohmann::json::parse(arguments_json, nullptr, false);
  if (!j.is_object()) j = nlohmann::json::object();
  j["via_context"] = actor.via_context;
  return j.dump();
}

} // namespace crm::tenant
