#include "tenant/apikeys.hpp"

#include "core/crypto.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "db/sql.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace crm::tenant {

const std::vector<std::string>& api_key_scopes() {
  static const std::vector<std::string> k_scopes = {
      "calls:read",   "calls:write",      "contacts:read",  "contacts:write",
      "numbers:read", "numbers:write",    "agents:read",    "agents:write",
      "billing:read", "transcripts:read", "webhooks:write", "admin"};
  return k_scopes;
}

Result<ApiKeyCreated> create_api_key(db::TenantTx& tx, const TenantRef& t, const ApiKeySpec& spec,
                                     TimePoint now, const Actor& actor, DryRun dry_run) {
  CRM_TRY(require_active(t));
  if (spec.name.empty()) return make_error(ErrorKind::usage, "an API key needs a --name");
  CRM_TRY(check_text(spec.name, TextRule("--name", 100)));
  if (spec.scopes.empty())
    return make_error(ErrorKind::usage, "an API key needs --scopes (e.g. calls:read,numbers:read)");
  // Every unknown entry is named, not only the first.
  std::vector<std::string> unknown;
  for (const auto& s : spec.scopes)
    if (std::find(api_key_scopes().begin(), api_key_scopes().end(), s) == api_key_scopes().end())
      unknown.push_back("'" + excerpt(s) + "'");
  if (!unknown.empty())
    return make_error(ErrorKind::usage,
                      std::string(unknown.size() == 1 ? "unknown scope " : "unknown scopes ") +
                          join(unknown) + ": known scopes are " + join(api_key_scopes()));
  ApiKeyCreated out;
  out.tenant = t.slug;
  out.name = spec.name;
  out.prefix = crypto::hex(crypto::random_bytes(4));
  out.scopes = spec.scopes;
  out.expires_at = spec.expires_in ? format_rfc3339(now + *spec.expires_in) : "";
  out.dry_run = dry_run == DryRun::yes;
  if (dry_run == DryRun::yes) return out;
  std::string secret =
      "crm_" + out.prefix + "_" + crypto::base64url_encode(crypto::random_bytes(24));
  std::string hash = crypto::hex(crypto::sha256(secret));
  nlohmann::json scopes = spec.scopes;
  CRM_TRY_ASSIGN(auto r,
                 tx.exec("INSERT INTO api_keys (org_id, name, prefix, key_hash, scopes, "
                         "expires_at) VALUES ($1::uuid, $2, $3, $4, "
                         "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), nullif($6, "
                         "'')::timestamptz) RETURNING id::text AS id",
                         {t.id, spec.name, out.prefix, hash, scopes.dump(), out.expires_at}));
  out.id = r.get(0, "id");
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "apikey.create", "api_keys/" + out.id,
                               audit_args(actor, nlohmann::json{{"name", spec.name},
                                                                {"prefix", out.prefix},
                                                                {"scopes", spec.scopes}}
                                                     .dump()),
                               "ok", ""}));
  out.secret = secret; // shown once
  return out;
}

Result<std::vector<ApiKeyInfo>> list_api_keys(db::TenantTx& tx, const TenantRef& t, TimePoint now) {
  CRM_TRY(require_active(t));
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT id::text AS id, name, prefix, array_to_string(scopes, ',') AS scopes, " +
                  db::rfc3339_sql("expires_at") + " AS expires_at, " +
                  db::rfc3339_sql("created_at") +
                  " AS created_at, "
                  "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at IS NOT NULL "
                  "AND expires_at <= $1::timestamptz "
                  "THEN 'expired' ELSE 'active' END AS status FROM api_keys ORDER BY created_at, "
                  "prefix",
              {format_rfc3339(now)}));
  std::vector<ApiKeyInfo> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get(i, "id"), r.get(i, "name"), r.get(i, "prefix"), r.get(i, "scopes"),
                   r.get(i, "status"), r.get(i, "expires_at"), r.get(i, "created_at")});
  return out;
}

Result<RevokeResult> revoke_api_key(db::TenantTx& tx, const TenantRef& t, const std::string& key,
                                    const Actor& actor, DryRun dry_run) {
  CRM_TRY(require_active(t));
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT id::text AS id, prefix, revoked_at IS NOT NULL AS revoked FROM api_keys "
              "WHERE prefix = $1 OR id::text = $1",
              {key}));
  if (r.empty())
    return make_error(ErrorKind::not_found, "API key '" + key + "' not found in tenant '" + t.slug +
                                                "': `crmctl apikey list --tenant " + t.slug + "`");
  RevokeResult out{r.get(0, "id"), r.get(0, "prefix"), r.get(0, "revoked") != "t",
                   dry_run == DryRun::yes};
  if (dry_run == DryRun::yes || !out.changed) return out;
  CRM_TRY(tx.exec("UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid", {out.id}));
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "apikey.revoke", "api_keys/" + out.id,
                               audit_args(actor, "{}"), "ok", ""}));
  return out;
}

} // namespace crm::tenant
