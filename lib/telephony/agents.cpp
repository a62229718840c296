#include "telephony/agents.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "db/sql.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace crm::telephony {
namespace {

// How many times create_agent looks again after another session registered the same agent
// between its read and its insert.
constexpr int k_create_attempts = 3;

const std::string& agent_columns() {
  static const std::string k_cols = "id::text AS id, provider, external_id, name, status, " +
                                    db::rfc3339_sql("validated_at") + " AS validated_at, " +
                                    db::rfc3339_sql("created_at") +
                                    " AS created_at, webhook_token_hash IS NOT NULL AS has_token";
  return k_cols;
}

AgentInfo agent_at(const db::Rows& r, std::size_t i) {
  return {r.get(i, "id"),         r.get(i, "provider"),        r.get(i, "external_id"),
          r.get(i, "name"),       r.get(i, "status"),          r.get(i, "validated_at"),
          r.get(i, "created_at"), r.get(i, "has_token") == "t"};
}

bool is_one_of(const std::string& v, const std::vector<std::string>& known) {
  return std::find(known.begin(), known.end(), v) != known.end();
}

Status check_provider(const std::string& p, const std::string& field) {
  CRM_TRY(check_text(p, TextRule(field, 40)));
  if (!is_one_of(p, agent_providers()))
    return make_error(ErrorKind::usage, field + ": unknown provider '" + excerpt(p) + "': use " +
                                            join(agent_providers()));
  return {};
}

// White_Space code points (and the invisible U+200B and U+FEFF) beyond what check_text refuses.
bool is_space(char32_t cp) {
  return cp == U' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
         cp == 0xFEFF;
}

Status check_external_id(const std::string& id) {
  const std::string field = "--external-id";
  if (id.empty())
    return make_error(ErrorKind::usage, field + ": is empty: give the provider's agent id");
  CRM_TRY(check_text(id, TextRule(field, k_max_external_id)));
  std::size_t position = 0;
  for (std::size_t i = 0; i < id.size();) {
    Utf8Char c = decode_utf8(id, i);
    ++position;
    if (is_space(c.code_point))
      return make_error(ErrorKind::usage,
                        field + ": contains whitespace at position " + std::to_string(position) +
                            ": an agent id is one word, as the provider shows it");
    i += c.length;
  }
  return {};
}

// "vapi agent 'asst_1'" for messages (escaped, bounded).
std::string describe(const std::string& provider, const std::string& external_id) {
  return provider + " agent '" + excerpt(external_id, 60) + "'";
}

} // namespace

const std::vector<std::string>& agent_providers() {
  static const std::vector<std::string> k_providers = {"vapi", "elevenlabs", "retell"};
  return k_providers;
}

const std::vector<std::string>& agent_statuses() {
  static const std::vector<std::string> k_statuses = {"pending_validation", "active", "disabled"};
  return k_statuses;
}

std::string agent_webhook_path(std::string_view agent_id) {
  return "/webhooks/agent/" + std::string(agent_id);
}

std::string agent_webhook_url(std::string_view base_url, std::string_view agent_id) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.remove_suffix(1);
  return std::string(base_url) + agent_webhook_path(agent_id);
}

std::string webhook_token_hash(std::string_view token) {
  return crypto::hex(crypto::sha256(token));
}

Result<AgentCreated> create_agent(db::AdminTx& tx, const tenant::TenantRef& t,
                                  const db::TenantScope& scope, const AgentSpec& spec,
                                  const tenant::Actor& actor, DryRun dry_run) {
  CRM_TRY(tenant::require_active(t));
  CRM_TRY(check_provider(spec.provider, "--provider"));
  CRM_TRY(check_external_id(spec.external_id));
  const std::string name = spec.name.empty() ? spec.external_id : spec.name;
  CRM_TRY(check_text(name, TextRule("--name", k_max_agent_name)));
  if (trim(name).empty())
    return make_error(ErrorKind::usage, "--name: is blank: give a name or leave --name out");

  AgentCreated out;
  out.tenant = t.slug;
  out.dry_run = dry_run == DryRun::yes;
  const std::string what = describe(spec.provider, spec.external_id);
  const db::Params key = {spec.provider, spec.external_id};
  for (int attempt = 0; attempt < k_create_attempts; ++attempt) {
    CRM_TRY_ASSIGN(auto route, tx.exec("SELECT org_id::text AS org_id, agent_id::text AS agent_id "
                                       "FROM agent_routes WHERE provider = $1 AND external_id = $2",
                                       key));
    if (!route.empty() && route.get(0, "org_id") != t.id)
      return make_error(ErrorKind::conflict,
                        what + " is registered to another tenant: an agent routes to one tenant "
                               "only");
    std::optional<AgentInfo> existing;
    {
      CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope));
      CRM_TRY_ASSIGN(auto r, scoped->exec("SELECT " + agent_columns() +
                                              " FROM agents WHERE provider = $1 AND "
                                              "external_id = $2",
                                          key));
      if (!r.empty()) existing = agent_at(r, 0);
    }
    if (existing) {
      if (existing->name != name)
        return make_error(ErrorKind::conflict, what + " already exists in tenant '" + t.slug +
                                                   "' with the name '" +
                                                   excerpt(existing->name, 60) +
                                                   "': leave --name out or give the same name");
      out.agent = *existing;
      out.created = false;
      if (route.empty()) {
        // A row written before its route (legacy data): give it its route.
        out.plan.push_back("register the missing route of " + what);
        if (dry_run == DryRun::no)
          CRM_TRY(tx.exec("INSERT INTO agent_routes (provider, external_id, org_id, agent_id) "
                          "VALUES ($1, $2, $3::uuid, $4::uuid) ON CONFLICT DO NOTHING",
                          {spec.provider, spec.external_id, t.id, existing->id}));
      }
      return out;
    }

    // A route of this tenant left without its row keeps its agent id.
    const std::string id = route.empty() ? uuid_v4() : route.get(0, "agent_id");
    out.agent = {"", spec.provider, spec.external_id, name, "pending_validation", "", "", true};
    out.plan = {"insert " + what + " into " + tenant::table_of(t, "agents") + " (status " +
                    "pending_validation)",
                "route (" + spec.provider + ", external id) to tenant '" + t.slug +
                    "' in agent_routes",
                "generate a webhook secret (shown once; only its SHA-256 is stored)",
                "write an audit event"};
    if (dry_run == DryRun::yes) return out;
    if (route.empty()) {
      CRM_TRY_ASSIGN(auto ins,
                     tx.exec("INSERT INTO agent_routes (provider, external_id, org_id, agent_id) "
                             "VALUES ($1, $2, $3::uuid, $4::uuid) ON CONFLICT DO NOTHING "
                             "RETURNING agent_id",
                             {spec.provider, spec.external_id, t.id, id}));
      if (ins.empty()) continue; // registered by another session meanwhile: look again
    }
    std::string token = "whk_" + crypto::base64url_encode(crypto::random_bytes(32));
    {
      CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, scope));
      CRM_TRY_ASSIGN(auto r, scoped->exec("INSERT INTO agents (org_id, id, provider, external_id, "
                                          "name, webhook_token_hash) VALUES ($1::uuid, "
                                          "$2::uuid, $3, $4, $5, $6) RETURNING " +
                                              agent_columns(),
                                          {t.id, id, spec.provider, spec.external_id, name,
                                           webhook_token_hash(token)}));
      out.agent = agent_at(r, 0);
    }
    CRM_TRY(db::write_audit(
        tx, {actor.name, t.id, "agent.create", "agents/" + id,
             tenant::audit_args(actor, nlohmann::json{{"provider", spec.provider},
                                                      {"external_id", spec.external_id},
                                                      {"name", name}}
                                           .dump()),
             "ok", ""}));
    out.created = true;
    out.webhook_token = std::move(token); // shown once
    return out;
  }
  return make_error(ErrorKind::conflict,
                    what + " is being registered by another session: run the command again");
}

Result<std::vector<AgentInfo>> list_agents(db::TenantTx& tx, const tenant::TenantRef& t,
                                           const AgentFilter& filter) {
  CRM_TRY(tenant::require_active(t));
  if (!filter.provider.empty()) CRM_TRY(check_provider(filter.provider, "--provider"));
  if (!filter.status.empty()) {
    CRM_TRY(check_text(filter.status, TextRule("--status", 40)));
    if (!is_one_of(filter.status, agent_statuses()))
      return make_error(ErrorKind::usage, "--status: unknown status '" + excerpt(filter.status) +
                                              "': use " + join(agent_statuses()));
  }
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT " + agent_columns() +
                                     " FROM agents WHERE ($1 = '' OR provider = $1) AND ($2 = '' "
                                     "OR status = $2) ORDER BY created_at, provider, external_id",
                                 {filter.provider, filter.status}));
  std::vector<AgentInfo> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back(agent_at(r, i));
  return out;
}

Result<AgentInfo> find_agent(db::TenantTx& tx, const tenant::TenantRef& t,
                             const std::string& id_or_external, const std::string& provider) {
  if (id_or_external.empty())
    return make_error(ErrorKind::usage, "no agent given: pass its UUID or the provider's id");
  CRM_TRY(check_text(id_or_external, TextRule("agent", k_max_external_id)));
  if (!provider.empty()) CRM_TRY(check_provider(provider, "--provider"));
  // Our id compares in canonical (lower-case) form; the provider's id exactly.
  std::string as_id = is_uuid(id_or_external) ? to_lower(id_or_external) : std::string();
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT " + agent_columns() +
                                     " FROM agents WHERE (id::text = $1 OR external_id = $2) AND "
                                     "($3 = '' OR provider = $3) ORDER BY provider, created_at",
                                 {as_id, id_or_external, provider}));
  if (r.empty())
    return make_error(ErrorKind::not_found,
                      "agent '" + excerpt(id_or_external, 60) + "' not found in tenant '" + t.slug +
                          "'" + (provider.empty() ? std::string() : " for provider " + provider) +
                          ": `crmctl agent list --tenant " + t.slug + "` shows its agents");
  if (r.size() > 1) {
    std::vector<std::string> providers;
    for (std::size_t i = 0; i < r.size(); ++i)
      providers.push_back(r.get(i, "provider"));
    return make_error(ErrorKind::usage, "agent '" + excerpt(id_or_external, 60) + "' matches " +
                                            std::to_string(r.size()) + " agents of tenant '" +
                                            t.slug + "' (" + join(providers) +
                                            "): add --provider or give the agent's UUID");
  }
  return agent_at(r, 0);
}

Result<AgentStatusResult> set_agent_status(db::TenantTx& tx, const tenant::TenantRef& t,
                                           const std::string& id_or_external, AgentSwitch to,
                                           const tenant::Actor& actor, DryRun dry_run,
                                           const std::string& provider) {
  CRM_TRY(tenant::require_active(t));
  CRM_TRY_ASSIGN(auto a, find_agent(tx, t, id_or_external, provider));
  AgentStatusResult out;
  out.tenant = t.slug;
  out.id = a.id;
  out.provider = a.provider;
  out.external_id = a.external_id;
  out.previous_status = a.status;
  out.dry_run = dry_run == DryRun::yes;
  if (to == AgentSwitch::disable)
    out.status = "disabled";
  else
    out.status = a.status != "disabled"   ? a.status
                 : a.validated_at.empty() ? "pending_validation"
                                          : "active";
  out.changed = out.status != a.status;
  if (dry_run == DryRun::yes || !out.changed) return out;
  CRM_TRY(tx.exec("UPDATE agents SET status = $2 WHERE id = $1::uuid", {a.id, out.status}));
  CRM_TRY(db::write_audit(
      tx, {actor.name, t.id, to == AgentSwitch::disable ? "agent.disable" : "agent.enable",
           "agents/" + a.id,
           tenant::audit_args(actor, nlohmann::json{{"provider", a.provider},
                                                    {"external_id", a.external_id},
                                                    {"from", a.status},
                                                    {"to", out.status}}
                                         .dump()),
           "ok", ""}));
  return out;
}

} // namespace crm::telephony
