#include "providers/elevenlabs.hpp"
#include "http/provider_error.hpp"
#include "providers/common.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace crm::providers::elevenlabs {
namespace {

using nlohmann::json;

http::Request request(const Account& a, std::string method, const std::string& path) {
  return api_request(std::move(method), a.base_url + path, "xi-api-key", a.api_key);
}

http::Request json_request(const Account& a, std::string method, const std::string& path,
                           const json& body) {
  return with_json(request(a, std::move(method), path), body);
}

Error el_error(const http::Response& r, const std::string& summary) {
  ErrorKind k = http::error_kind_for_status(r.status);
  if (r.status == 422 || r.status == 400) k = ErrorKind::upstream;
  return http::provider_error(r, k, summary);
}

Error transport_error(Error e, const std::string& what) {
  e.message = "ElevenLabs " + what + ": " + e.message;
  return e;
}

Result<json> parse_body(const http::Response& r, const std::string& what) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return make_error(ErrorKind::upstream, "ElevenLabs answered " + what + " with invalid JSON");
  return j;
}

PhoneNumber phone_of(const json& o) {
  PhoneNumber p;
  p.phone_number_id = json_string(o, "phone_number_id");
  p.phone_number = json_string(o, "phone_number");
  p.label = json_string(o, "label");
  p.provider = json_string(o, "provider");
  if (auto a = o.find("assigned_agent"); a != o.end() && a->is_object())
    p.agent_id = json_string(*a, "agent_id");
  return p;
}

std::string path_id(const std::string& id) {
  return http::url_encode(id);
}

} // namespace

Result<std::string> import_twilio_number(http::Client& http, const Account& a, const Import& i) {
  json body = {{"phone_number", i.phone_number}, {"label", i.label},
               {"sid", i.twilio_account_sid},    {"token", i.twilio_auth_token},
               {"provider", "twilio"},           {"supports_inbound", true},
               {"supports_outbound", true}};
  auto req = json_request(a, "POST", "/v1/convai/phone-numbers", body);
  req.retry_safety = http::RetrySafety::unsafe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "import");
  if (r->status >= 500)
    return http::with_outcome_unknown_advice(http::provider_error(
        *r, ErrorKind::outcome_unknown, "ElevenLabs failed while importing the number"));
  if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused to import the number");
  auto j = json::parse(r->body, nullptr, false);
  std::string id = j.is_object() ? json_string(j, "phone_number_id") : "";
  if (id.empty())
    return http::with_outcome_unknown_advice(Error{
        ErrorKind::outcome_unknown, "ElevenLabs accepted the import but its answer is unreadable"});
  return id;
}

Result<std::vector<PhoneNumber>> list_phone_numbers(http::Client& http, const Account& a) {
  auto r = http.send(request(a, "GET", "/v1/convai/phone-numbers"));
  if (!r) return transport_error(std::move(r).error(), "phone number list");
  if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused the phone number list");
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the phone number list"));
  const json* list = &j;
  if (j.is_object()) {
    auto it = j.find("phone_numbers");
    if (it == j.end()) return make_error(ErrorKind::upstream, "ElevenLabs phone list: no array");
    list = &*it;
  }
  if (!list->is_array()) return make_error(ErrorKind::upstream, "ElevenLabs phone list: no array");
  std::vector<PhoneNumber> out;
  for (const auto& o : *list)
    if (o.is_object() && !json_string(o, "phone_number_id").empty()) out.push_back(phone_of(o));
  return out;
}

Result<std::optional<PhoneNumber>> get_phone_number(http::Client& http, const Account& a,
                                                    const std::string& id) {
  auto r = http.send(request(a, "GET", "/v1/convai/phone-numbers/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "phone number fetch");
  if (r->status == 404) return std::optional<PhoneNumber>();
  if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused to fetch phone number " + id);
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the phone number fetch"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "ElevenLabs phone number: no object");
  return std::optional<PhoneNumber>(phone_of(j));
}

Result<void> assign_agent(http::Client& http, const Account& a, const std::string& id,
                          const std::optional<std::string>& agent_id) {
  json body = {{"agent_id", agent_id ? json(*agent_id) : json(nullptr)}};
  auto req = json_request(a, "PATCH", "/v1/convai/phone-numbers/" + path_id(id), body);
  // Setting the assignment to a fixed value: repeating it changes nothing.
  req.retry_safety = http::RetrySafety::safe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "agent assignment");
  if (r->status / 100 != 2)
    return el_error(*r, "ElevenLabs refused to assign the agent to phone number " + id);
  return {};
}

Result<bool> delete_phone_number(http::Client& http, const Account& a, const std::string& id) {
  auto r = http.send(request(a, "DELETE", "/v1/convai/phone-numbers/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "phone number delete");
  if (r->status == 404) return false;
  if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused to delete phone number " + id);
  return true;
}

Result<std::optional<Agent>> get_agent(http::Client& http, const Account& a,
                                       const std::string& id) {
  auto r = http.send(request(a, "GET", "/v1/convai/agents/" + path_id(id)));
  if (!r) return transport_error(std::move(r).error(), "agent fetch");
  if (r->status == 404) return std::optional<Agent>();
  if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused to fetch agent " + id);
  CRM_TRY_ASSIGN(auto j, parse_body(*r, "the agent fetch"));
  if (!j.is_object()) return make_error(ErrorKind::upstream, "ElevenLabs agent: no object");
  Agent ag{json_string(j, "agent_id"), json_string(j, "name")};
  if (ag.agent_id.empty()) ag.agent_id = id;
  return std::optional<Agent>(ag);
}

Result<std::vector<Agent>> list_agents(http::Client& http, const Account& a) {
  std::vector<Agent> out;
  std::string cursor;
  std::set<std::string> seen;
  for (;;) {
    std::string path = "/v1/convai/agents?page_size=100";
    if (!cursor.empty()) path += "&cursor=" + http::url_encode(cursor);
    auto r = http.send(request(a, "GET", path));
    if (!r) return transport_error(std::move(r).error(), "agent list");
    if (r->status / 100 != 2) return el_error(*r, "ElevenLabs refused the agent list");
    CRM_TRY_ASSIGN(auto j, parse_body(*r, "the agent list"));
    if (!j.is_object()) return make_error(ErrorKind::upstream, "ElevenLabs agent list: no object");
    if (auto list = j.find("agents"); list != j.end() && list->is_array())
      for (const auto& o : *list)
        if (o.is_object() && !json_string(o, "agent_id").empty())
          out.push_back({json_string(o, "agent_id"), json_string(o, "name")});
    auto more = j.find("has_more");
    cursor = json_string(j, "next_cursor");
    if (more == j.end() || !more->is_boolean() || !more->get<bool>() || cursor.empty()) break;
    if (!seen.insert(cursor).second)
      return make_error(ErrorKind::upstream, "ElevenLabs agent list pages loop; giving up");
  }
  return out;
}

} // namespace crm::providers::elevenlabs
