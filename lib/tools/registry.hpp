// What crmctl records about Vapi tools: the global registry `public.tools` (one row per tool name:
// Vapi's id, the definition and its hash; updated_at holds Vapi's updatedAt of the version we
// recorded, which `--cached` compares) and each tenant's `org_tools` (RLS: which of the tenant's
// assistants are linked to which tool, at which definition hash). Functions take the transaction
// they run in and never commit.
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"
#include "tools/definitions.hpp"

#include <map>
#include <string>
#include <vector>

namespace crm::tools {

/// One row of public.tools.
struct RegistryRow {
  std::string id;               // our UUID
  std::string name;
  std::string provider_tool_id; // "" while a registration is in flight (the intent)
  std::string definition_hash;
  nlohmann::json definition;
  std::string updated_at; // "2026-11-22T03:04:05.678Z" (Vapi's updatedAt when recorded)
};

/// Every Vapi tool of the registry, by name.
Result<std::map<std::string, RegistryRow>> load_registry(db::Tx& tx);
/// The intent before POST /tool: the row with the new definition and no provider id (a crash
/// after this leaves a row that the next run settles by listing Vapi's tools). Returns our UUID.
Result<std::string> write_intent(db::Tx& tx, const Definition& d);
/// Records a tool as Vapi has it now: provider id, definition, hash and Vapi's updatedAt.
Result<std::string> record_tool(db::Tx& tx, const std::string& name, const nlohmann::json& body,
                                const std::string& hash, const std::string& provider_tool_id,
                                const std::string& vapi_updated_at);
/// Removes a registry row (its org_tools rows must be gone: the foreign key says so).
Result<void> delete_tool_row(db::Tx& tx, const std::string& id);

/// One org_tools row of a tenant.
struct Link {
  std::string tool_id; // our UUID
  std::string definition_hash;
  std::vector<std::string> assistant_ids; // sorted
  std::string synced_at;
};
/// The tenant's org_tools rows, by tool UUID.
Result<std::map<std::string, Link>> load_links(db::TenantTx& tx);
/// Inserts or updates the tenant's row for a tool.
Result<void> write_link(db::TenantTx& tx, const std::string& tool_id, const std::string& hash,
                        const std::vector<std::string>& assistant_ids);
/// Deletes the tenant's row for a tool.
Result<void> delete_link(db::TenantTx& tx, const std::string& tool_id);

} // namespace crm::tools
