#include "cmd/render.hpp"

namespace crm::cmd {
namespace {

nlohmann::json null_if_empty(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

nlohmann::json values_json(const tenant::Values& v) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, x] : v)
    o[k] = x;
  return o;
}

} // namespace

nlohmann::json json_of(const tenant::CreateResult& r) {
  nlohmann::json out = {{"id", r.org_id},       {"slug", r.slug},
                        {"name", r.name},       {"isolation", tenant::isolation_name(r.isolation)},
                        {"schema", r.schema},   {"rate_per_minute", r.rate_per_minute.to_string()},
                        {"created", r.created}, {"dry_run", r.dry_run}};
  if (!r.admin_user_id.empty()) out["admin_user_id"] = r.admin_user_id;
  if (r.dry_run) out["plan"] = r.steps;
  return out;
}

nlohmann::json json_of(const tenant::TenantSummary& t) {
  return {{"id", t.id},
          {"slug", t.slug},
          {"name", t.name},
          {"status", t.status},
          {"isolation", t.isolation},
          {"schema", t.schema},
          {"timezone", t.timezone},
          {"currency", t.currency},
          {"created_at", t.created_at}};
}

nlohmann::json json_of(const tenant::TenantDetails& t) {
  return {{"id", t.id},
          {"slug", t.slug},
          {"name", t.name},
          {"status", t.status},
          {"isolation", t.isolation},
          {"schema", t.schema},
          {"timezone", t.timezone},
          {"currency", t.currency},
          {"cogs_per_minute", t.cogs_per_minute.to_string()},
          {"rate_per_minute", t.rate_per_minute.to_string()},
          {"free_minutes", t.free_minutes},
          {"rounding", t.rounding},
          {"settings", t.settings},
          {"modules", t.modules},
          {"created_at", t.created_at},
          {"suspended_at", null_if_empty(t.suspended_at)},
          {"counts",
           {{"numbers", t.counts.numbers},
            {"agents", t.counts.agents},
            {"calls", t.counts.calls},
            {"users", t.counts.users},
            {"services", t.counts.services},
            {"api_keys", t.counts.api_keys}}},
          {"credit_balance", t.credit_balance.to_string()}};
}

nlohmann::json json_of(const tenant::UpdateResult& r) {
  nlohmann::json changed = nlohmann::json::object();
  for (const auto& [k, v] : r.changed)
    changed[k] = v;
  return {{"id", r.id}, {"slug", r.slug}, {"changed", changed}, {"dry_run", r.dry_run}};
}

nlohmann::json json_of(const tenant::StatusChange& r) {
  return {{"id", r.id},
          {"slug", r.slug},
          {"status", r.status},
          {"changed", r.changed},
          {"dry_run", r.dry_run}};
}

nlohmann::json json_of(const tenant::RemoveResult& r) {
  nlohmann::json out = {{"id", r.id},
                        {"slug", r.slug},
                        {"purge", r.purge},
                        {"dry_run", r.dry_run},
                        {"steps", r.steps}};
  if (r.purge && !r.dry_run) {
    nlohmann::json rows = nlohmann::json::object();
    for (const auto& [k, v] : r.deleted_rows)
      rows[k] = v;
    out["deleted_rows"] = rows;
  }
  return out;
}

nlohmann::json json_of(const tenant::UserResult& r) {
  return {{"id", r.id},     {"email", r.email},     {"tenant", r.tenant},
          {"role", r.role}, {"created", r.created}, {"dry_run", r.dry_run}};
}

nlohmann::json json_of(const tenant::Member& m) {
  return {{"id", m.id},
          {"email", m.email},
          {"name", m.name},
          {"role", m.role},
          {"status", m.status},
          {"password", m.has_password},
          {"member_since", m.member_since}};
}

nlohmann::json json_of(const tenant::DisableResult& r) {
  return {{"email", r.email},
          {"tenant", r.tenant},
          {"status", "disabled"},
          {"changed", r.changed},
          {"dry_run", r.dry_run}};
}

nlohmann::json json_of(const tenant::ImportRow& r) {
  return {{"line", r.line},
          {"email", r.email},
          {"role", r.role},
          {"result", r.result},
          {"error", r.error}};
}

nlohmann::json json_of(const tenant::ApiKeyCreated& k) {
  nlohmann::json out = {{"tenant", k.tenant},
                        {"name", k.name},
                        {"prefix", k.prefix},
                        {"scopes", k.scopes},
                        {"expires_at", null_if_empty(k.expires_at)},
                        {"dry_run", k.dry_run}};
  if (!k.id.empty()) out["id"] = k.id;
  if (!k.secret.empty()) out["secret"] = k.secret; // shown once
  return out;
}

nlohmann::json json_of(const tenant::ApiKeyInfo& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"scopes", k.scopes},
          {"status", k.status},
          {"expires_at", k.expires_at},
          {"created_at", k.created_at}};
}

nlohmann::json json_of(const tenant::RevokeResult& r) {
  return {{"id", r.id},
          {"prefix", r.prefix},
          {"status", "revoked"},
          {"changed", r.changed},
          {"dry_run", r.dry_run}};
}

nlohmann::json json_of(const tenant::CredentialSet& c) {
  return {{"tenant", c.tenant}, {"provider", c.provider}, {"values", values_json(c.masked)},
          {"key_id", c.key_id}, {"replaced", c.replaced}, {"dry_run", c.dry_run}};
}

nlohmann::json json_of(const tenant::CredentialInfo& c) {
  return {{"provider", c.provider},
          {"values", values_json(c.masked)},
          {"key_id", c.key_id},
          {"last_verified_at", c.last_verified_at},
          {"verification_error", c.verification_error},
          {"updated_at", c.updated_at}};
}

nlohmann::json json_of(const tenant::CredentialDeleted& c) {
  return {{"tenant", c.tenant},
          {"provider", c.provider},
          {"deleted", !c.dry_run},
          {"dry_run", c.dry_run}};
}

nlohmann::json json_of(const tenant::VerifyOutcome& v) {
  return {{"provider", v.provider}, {"ok", v.ok}, {"error", v.error}};
}

nlohmann::json json_of(const tenant::RotateResult& r) {
  return {{"from_key", r.from_key},
          {"to_key", r.to_key},
          {"rotated", r.rotated},
          {"already_rotated", r.already_rotated},
          {"dry_run", r.dry_run}};
}

} // namespace crm::cmd
