#include "tools/registry.hpp"

#include <algorithm>

namespace crm::tools {
namespace {

using nlohmann::json;

const char* k_iso = R"(to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";

std::string iso_of(const std::string& column) {
  std::string s = k_iso;
  return s.replace(s.find("%s"), 2, column);
}

std::vector<std::string> json_strings(const std::string& text) {
  std::vector<std::string> out;
  auto j = json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

Result<std::map<std::string, RegistryRow>> load_registry(db::Tx& tx) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT id::text AS id, name, coalesce(provider_tool_id, '') AS "
                                 "pid, definition_hash, definition::text AS definition, " +
                                 iso_of("updated_at") +
                                 " AS updated_at FROM public.tools WHERE provider = 'vapi' "
                                 "ORDER BY name"));
  std::map<std::string, RegistryRow> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    RegistryRow row;
    row.id = r.get(i, "id");
    row.name = r.get(i, "name");
    row.provider_tool_id = r.get(i, "pid");
    row.definition_hash = r.get(i, "definition_hash");
    row.definition = json::parse(r.get(i, "definition"), nullptr, false);
    row.updated_at = r.get(i, "updated_at");
    out[row.name] = std::move(row);
  }
  return out;
}

Result<std::string> write_intent(db::Tx& tx, const Definition& d) {
  CRM_TRY_ASSIGN(auto r, tx.exec("INSERT INTO public.tools (name, provider, provider_tool_id, "
                                 "definition, definition_hash) VALUES ($1, 'vapi', NULL, $2::jsonb, "
                                 "$3) ON CONFLICT (name) DO UPDATE SET provider_tool_id = NULL, "
                                 "definition = EXCLUDED.definition, definition_hash = "
                                 "EXCLUDED.definition_hash, updated_at = now() RETURNING id::text "
                                 "AS id",
                                 {d.name, d.body.dump(), d.hash}));
  return r.get(0, "id");
}

Result<std::string> record_tool(db::Tx& tx, const std::string& name, const json& body,
                                const std::string& hash, const std::string& provider_tool_id,
                                const std::string& vapi_updated_at) {
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("INSERT INTO public.tools (name, provider, provider_tool_id, definition, "
              "definition_hash, updated_at) VALUES ($1, 'vapi', $2, $3::jsonb, $4, "
              "coalesce($5::timestamptz, now())) ON CONFLICT (name) DO UPDATE SET "
              "provider_tool_id = EXCLUDED.provider_tool_id, definition = EXCLUDED.definition, "
              "definition_hash = EXCLUDED.definition_hash, updated_at = EXCLUDED.updated_at "
              "RETURNING id::text AS id",
              {name, provider_tool_id, body.dump(), hash,
               vapi_updated_at.empty() ? db::Value() : db::Value(vapi_updated_at)}));
  return r.get(0, "id");
}

Result<void> delete_tool_row(db::Tx& tx, const std::string& id) {
  CRM_TRY(tx.exec("DELETE FROM public.tools WHERE id = $1::uuid", {id}));
  return {};
}

Result<std::map<std::string, Link>> load_links(db::TenantTx& tx) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT tool_id::text AS tool_id, definition_hash, "
                                 "array_to_json(assistant_ids)::text AS assistant_ids, " +
                                 iso_of("synced_at") + " AS synced_at FROM org_tools"));
  std::map<std::string, Link> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    Link l;
    l.tool_id = r.get(i, "tool_id");
    l.definition_hash = r.get(i, "definition_hash");
    l.assistant_ids = json_strings(r.get(i, "assistant_ids"));
    l.synced_at = r.get(i, "synced_at");
    out[l.tool_id] = std::move(l);
  }
  return out;
}

Result<void> write_link(db::TenantTx& tx, const std::string& tool_id, const std::string& hash,
                        const std::vector<std::string>& assistant_ids) {
  CRM_TRY(tx.exec(
      "INSERT INTO org_tools (org_id, tool_id, definition_hash, assistant_ids, synced_at) VALUES "
      "($1::uuid, $2::uuid, $3, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), now()) "
      "ON CONFLICT (org_id, tool_id) DO UPDATE SET definition_hash = EXCLUDED.definition_hash, "
      "assistant_ids = EXCLUDED.assistant_ids, synced_at = EXCLUDED.synced_at",
      {tx.org_id(), tool_id, hash, json(assistant_ids).dump()}));
  return {};
}

Result<void> delete_link(db::TenantTx& tx, const std::string& tool_id) {
  CRM_TRY(tx.exec("DELETE FROM org_tools WHERE tool_id = $1::uuid", {tool_id}));
  return {};
}

} // namespace crm::tools
