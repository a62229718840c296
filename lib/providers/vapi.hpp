// Vapi: saved tools (POST/GET/PATCH/DELETE /tool) and assistants (GET, PATCH /assistant/{id}) of
// the platform's one Vapi org, with the platform private key (shared/docs/providers.md, seed 002:
// tenants have no Vapi keys). Lists are plain arrays paged by time (limit at most 1000; the next
// page asks for createdAtLe the oldest createdAt seen, and ids already seen are skipped).
#pragma once
#include "core/result.hpp"
#include "http/client.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crm::providers::vapi {

/// The platform Vapi org: base URL and the Bearer private key.
struct Account {
  std::string base_url;
  std::string private_key;
  int page_limit = 1000; // items per list page (1-1000)
};

/// A saved tool as Vapi returns it.
struct Tool {
  std::string id, type;
  std::string name;                 // function.name ("" for tools without one)
  std::string created_at, updated_at; // as Vapi wrote them (ISO 8601)
  nlohmann::json body;              // the whole object
};

/// An assistant as Vapi returns it.
struct Assistant {
  std::string id, name, created_at, updated_at;
  nlohmann::json model; // the whole model object (null when the assistant has none)
  /// model.toolIds (empty when absent).
  std::vector<std::string> tool_ids() const;
  /// model.tools, the inline tools (empty array when absent).
  nlohmann::json inline_tools() const;
};

/// GET /tool, every page.
Result<std::vector<Tool>> list_tools(http::Client& http, const Account& a);
/// GET /tool/{id}; nullopt on 404.
Result<std::optional<Tool>> get_tool(http::Client& http, const Account& a, const std::string& id);
/// POST /tool. Never repeated once sent (RetrySafety::unsafe; a 429 is, as it was not processed):
/// a lost answer or a 5xx is ErrorKind::outcome_unknown and the caller lists the tools (matching
/// by function name and definition) before anything else.
Result<Tool> create_tool(http::Client& http, const Account& a, const nlohmann::json& definition);
/// PATCH /tool/{id} with the definition minus `type` (Vapi refuses it on update). Setting fixed
/// values, so repeatable. 404 → ErrorKind::not_found (deleted at Vapi).
Result<Tool> update_tool(http::Client& http, const Account& a, const std::string& id,
                         const nlohmann::json& definition);
/// DELETE /tool/{id}: true when deleted now, false when it was already gone; 409 (tool_pinned) →
/// ErrorKind::conflict.
Result<bool> delete_tool(http::Client& http, const Account& a, const std::string& id);

/// GET /assistant, every page.
Result<std::vector<Assistant>> list_assistants(http::Client& http, const Account& a);
/// GET /assistant/{id}; nullopt on 404.
Result<std::optional<Assistant>> get_assistant(http::Client& http, const Account& a,
                                               const std::string& id);
/// PATCH /assistant/{id} {"model": model}. Vapi replaces the whole model, so `model` must be the
/// fetched model with the change merged in, carrying model.provider and model.model (checked
/// here: a usage error before sending). Repeatable. 404 → not_found; 400 → upstream with Vapi's
/// message.
Result<Assistant> update_assistant_model(http::Client& http, const Account& a,
                                         const std::string& id, const nlohmann::json& model);

/// Parses one tool / assistant object (exposed for tests).
Tool tool_of(const nlohmann::json& o);
Assistant assistant_of(const nlohmann::json& o);

} // namespace crm::providers::vapi
