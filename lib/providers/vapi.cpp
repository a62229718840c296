#include "providers/vapi.hpp"
#include "http/provider_error.hpp"
#include "providers/common.hpp"

#include <algorithm>
#include <set>

namespace crm::providers::vapi {
namespace {

using nlohmann::json;

http::Request request(const Account& a, std::string method, const std::string& path) {
  return api_request(std::move(method), a.base_url + path, "Authorization",
                     "Bearer " + a.private_key);
}

http::Request json_request(const Account& a, std::string method, const std::string& path,
                           const json& body) {
  return with_json(request(a, std::move(method), path), body);
}

Error vapi_error(const http::Response& r, const std::string& summary) {
  return http::provider_error(r, http::error_kind_for_status(r.status), summary);
}

Error transport_error(Error e, const std::string& what) {
  e.message = "Vapi " + what + ": " + e.message;
  return e;
}

Result<json> parse_body(const http::Response& r, const std::string& what) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return make_error(ErrorKind::upstream, "Vapi answered " + what + " with invalid JSON");
  return j;
}

std::string path_id(const std::string& id) {
  return http::url_encode(id);
}

/// Every page of a list endpoint: newest first by createdAt; the next page asks for items created
/// at or before the oldest one seen, skipping ids already seen. A page that brings nothing new
/// while full means more than a page of items share one createdAt: an error, not a loop.
Result<std::vector<json>> list_all(http::Client& http, const Account& a, const std::string& path,
                                   const std::string& what) {
  int limit = std::clamp(a.page_limit, 1, 1000);
  std::vector<json> out;
  std::set<std::string> seen;
  std::string before;
  for (;;) {
    std::string q = path + "?limit=" + std::to_string(limit);
    if (!before.empty()) q += "&createdAtLe=" + http::url_encode(before);
    auto r = http.send(request(a, "GET", q));
    if (!r) return transport_error(std::move(r).error(), what);
    if (r->status / 100 != 2) return vapi_error(*r, "Vapi refused the " + what);
    CRM_TRY_ASSIGN(auto j, parse_body(*r, "the " + what));
    if (!j.is_array()) return make_error(ErrorKind::upstream, "Vapi " + what + ": not an array");
    std::size_t fresh = 0;
    std::string oldest;
    for (auto& o : j) {
      if (!o.is_object()) continue;
      std::string created = json_string(o, "createdAt");
      if (oldest.empty() || created < oldest) oldest = created;
      std::string id = json_string(o, "id");
      if (id.empty() || !seen.insert(id).second) continue;
      ++fresh;
      out.push_back(std::move(o));
    }
    if (static_cast<int>(j.size()) < limit) break;
    if (fresh == 0 || oldest.empty())
      return make_error(ErrorKind::upstream, "Vapi " + what + " pages do not advance (more than " +
                                                 std::to_string(limit) +
                                                 " items created at " + oldest + "); giving up");
    before = oldest;
  }
  return out;
}

} // namespace

std::vector<std::string> Assistant::tool_ids() const {
  std::vector<std::string> out;
  if (!model.is_object()) return out;
  auto it = model.find("toolIds");
  if (it == model.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

json Assistant::inline_tools() const {
  if (!model.is_object()) return json::array();
  auto it = model.find("tools");
  return it != model.end() && it->is_array() ? *it : json::array();
}

Tool tool_of(const json& o) {
  Tool t;
  t.id = json_string(o, "id");
  t.type = json_string(o, "type");
  if (auto f = o.find("function"); f != o.end() && f->is_object()) t.name = json_string(*f, "name");
  t.created_at = json_string(o, "createdAt");
  t.updated_at = json_string(o, "updatedAt");
  t.body = o;
  return t;
}

Assistant assistant_of(const json& o) {
  Assistant a;
  a.id = json_string(o, "id");
  a.name = json_string(o, "name");
  a.created_at = json_string(o, "createdAt");
  a.updated_at = json_string(o, "updatedAt");
  if (auto m = o.find("model"); m != o.end() && m->is_object()) a.model = *m;
  return a;
}

Result<std::vector<Tool>> list_tools(http::Client& http, const Account& a) {
  CRM_TRY_ASSIGN(auto all, list_all(http, a, "/tool", "tool list"));
  std::vector<Tool> out;
  for (const auto& o : all)
    out.push_back(tool_of(o));
  return out;
}

Result<std::optional<Tool>> get_tool(http::Client& http, const Account& a, const std::string& id) {
  auto r = http.send(request(a, "GET", "/tool/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "tool fetch");
  if (r->status == 404) return std::optional<Tool>();
  if (r->status / 100 != 2) return vapi_error(*r, "Vapi refused to fetch tool " + id);
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the tool fetch"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "Vapi tool: no object");
  return std::optional<Tool>(tool_of(j));
}

Result<Tool> create_tool(http::Client& http, const Account& a, const json& definition) {
  auto req = json_request(a, "POST", "/tool", definition);
  req.retry_safety = http::RetrySafety::unsafe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "tool registration");
  if (r->status >= 500)
    return http::with_outcome_unknown_advice(http::provider_error(
        *r, ErrorKind::outcome_unknown, "Vapi failed while registering the tool"));
  if (r->status / 100 != 2) {
    ErrorKind k = http::error_kind_for_status(r->status);
    if (r->status == 400 || r->status == 422) k = ErrorKind::upstream;
    return http::provider_error(*r, k, "Vapi refused to register the tool");
  }
  auto j = json::parse(r->body, nullptr, false);
  Tool t = j.is_object() ? tool_of(j) : Tool{};
  if (t.id.empty())
    return http::with_outcome_unknown_advice(Error{
        ErrorKind::outcome_unknown, "Vapi accepted the tool but its answer is unreadable"});
  return t;
}

Result<Tool> update_tool(http::Client& http, const Account& a, const std::string& id,
                         const json& definition) {
  json body = definition;
  if (body.is_object())
    for (const char* k : {"type", "id", "orgId", "createdAt", "updatedAt"})
      body.erase(k);
  auto req = json_request(a, "PATCH", "/tool/" + path_id(id), body);
  // Setting the definition to fixed values: repeating it changes nothing.
  req.retry_safety = http::RetrySafety::safe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "tool update");
  if (r->status / 100 != 2) return vapi_error(*r, "Vapi refused to update tool " + id);
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the tool update"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "Vapi tool update: no object");
  return tool_of(j);
}

Result<bool> delete_tool(http::Client& http, const Account& a, const std::string& id) {
  auto r = http.send(request(a, "DELETE", "/tool/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "tool delete");
  if (r->status == 404) return false;
  if (r->status / 100 != 2) return vapi_error(*r, "Vapi refused to delete tool " + id);
  return true;
}

Result<std::vector<Assistant>> list_assistants(http::Client& http, const Account& a) {
  CRM_TRY_ASSIGN(auto all, list_all(http, a, "/assistant", "assistant list"));
  std::vector<Assistant> out;
  for (const auto& o : all)
    out.push_back(assistant_of(o));
  return out;
}

Result<std::optional<Assistant>> get_assistant(http::Client& http, const Account& a,
                                               const std::string& id) {
  auto r = http.send(request(a, "GET", "/assistant/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "assistant fetch");
  if (r->status == 404) return std::optional<Assistant>();
  if (r->status / 100 != 2) return vapi_error(*r, "Vapi refused to fetch assistant " + id);
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the assistant fetch"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "Vapi assistant: no object");
  return std::optional<Assistant>(assistant_of(j));
}

Result<Assistant> update_assistant_model(http::Client& http, const Account& a,
                                         const std::string& id, const json& model) {
  if (!model.is_object() || !model.contains("provider") || !model["provider"].is_string() ||
      !model.contains("model") || !model["model"].is_string())
    return make_error(ErrorKind::usage,
                      "assistant " + id +
                          " has no model.provider/model.model to resend: Vapi would refuse the "
                          "update (set the model in the Vapi dashboard first)");
  auto req = json_request(a, "PATCH", "/assistant/" + path_id(id), json{{"model", model}});
  req.retry_safety = http::RetrySafety::safe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "assistant update");
  if (r->status / 100 != 2) {
    ErrorKind k = http::error_kind_for_status(r->status);
    return http::provider_error(*r, k, "Vapi refused to update assistant " + id);
  }
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the assistant update"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "Vapi assistant update: no object");
  return assistant_of(j);
}

} // namespace crm::providers::vapi
