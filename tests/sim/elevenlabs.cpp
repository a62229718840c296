// crm-sim: ElevenLabs — /v1/user, Conversational AI agents (seeded, read-only) and phone numbers
// (import a Twilio number, list, get, assign an agent, delete). Each API key is its own workspace.
#include "common.hpp"

#include <algorithm>
#include <cctype>

namespace sim {
namespace {

const std::string k_inbound_webhook = "https://api.elevenlabs.io/twilio/inbound_call";

void el_error(Response& res, int status, const std::string& kind, const std::string& message) {
  json_reply(res, status, {{"detail", {{"status", kind}, {"message", message}}}});
}

/// The workspace of the request's accepted xi-api-key, or nullptr after answering 401. Holds st.mu.
ElevenLabsWorkspace* authorised(State& st, const Request& req, Response& res) {
  std::string key = req.get_header_value("xi-api-key");
  if (!st.elevenlabs.keys.count(key)) {
    el_error(res, 401, "invalid_api_key", "Invalid API key");
    return nullptr;
  }
  return &st.elevenlabs.workspace(key);
}

// ---- request validation, FastAPI style (422 {"detail":[{"type","loc","msg"}]}) ------------------

json field_error(json loc, const std::string& type, const std::string& msg) {
  return {{"type", type}, {"loc", std::move(loc)}, {"msg", msg}};
}

void unprocessable(Response& res, const json& errors) {
  json_reply(res, 422, {{"detail", errors}});
}

enum class Kind { string, boolean, string_or_null };

struct Field {
  const char* name;
  Kind kind;
  bool required;
};

/// The body as a JSON object, or nullopt after answering 422 (not JSON, not an object, a required
/// field missing, a field of the wrong type).
std::optional<json> json_body(const Request& req, Response& res,
                              std::initializer_list<Field> fields) {
  json body = parse_json(req.body);
  if (body.is_discarded()) {
    unprocessable(res, json::array({{{"type", "json_invalid"},
                                     {"loc", {"body", 0}},
                                     {"msg", "JSON decode error"},
                                     {"ctx", {{"error", "Expecting value"}}}}}));
    return std::nullopt;
  }
  if (!body.is_object()) {
    unprocessable(res, json::array({field_error({"body"}, "model_attributes_type",
                                                "Input should be a valid dictionary or object to "
                                                "extract fields from")}));
    return std::nullopt;
  }
  auto errors = json::array();
  for (const auto& f : fields) {
    json loc = {"body", f.name};
    if (!body.contains(f.name)) {
      if (f.required) errors.push_back(field_error(loc, "missing", "Field required"));
      continue;
    }
    const json& v = body[f.name];
    if (f.kind == Kind::boolean && !v.is_boolean())
      errors.push_back(field_error(loc, "bool_type", "Input should be a valid boolean"));
    else if (f.kind == Kind::string && !v.is_string())
      errors.push_back(field_error(loc, "string_type", "Input should be a valid string"));
    else if (f.kind == Kind::string_or_null && !v.is_string() && !v.is_null())
      errors.push_back(field_error(loc, "string_type", "Input should be a valid string"));
  }
  if (!errors.empty()) {
    unprocessable(res, errors);
    return std::nullopt;
  }
  return body;
}

// ---- JSON shapes --------------------------------------------------------------------------------

json phone_json(ElevenLabsWorkspace& w, const ElevenLabsPhone& p) {
  json agent = nullptr;
  if (!p.agent_id.empty()) {
    ElevenLabsAgent* a = w.agent(p.agent_id);
    agent = {{"agent_id", p.agent_id}, {"agent_name", a ? a->name : ""}};
  }
  return {{"phone_number", p.phone_number},
          {"label", p.label},
          {"phone_number_id", p.phone_number_id},
          {"provider", "twilio"},
          {"supports_inbound", p.supports_inbound},
          {"supports_outbound", p.supports_outbound},
          {"assigned_agent", agent}};
}

json agent_summary(const ElevenLabsAgent& a) {
  return {{"agent_id", a.agent_id},
          {"name", a.name},
          {"created_at_unix_secs", a.created_unix},
          {"tags", json::array()},
          {"access_info", {{"is_creator", true}, {"creator_name", "crm-sim"}, {"role", "admin"}}}};
}

json agent_json(ElevenLabsWorkspace& w, const ElevenLabsAgent& a) {
  auto phones = json::array();
  for (const auto& [seq, p] : w.phones)
    if (p.agent_id == a.agent_id) phones.push_back(phone_json(w, p));
  return {{"agent_id", a.agent_id},
          {"name", a.name},
          {"conversation_config",
           {{"agent",
             {{"first_message", "Hello, how can I help you today?"},
              {"language", "en"},
              {"prompt", {{"prompt", "You are a helpful receptionist."}, {"llm", "gpt-4o-mini"}}}}},
            {"tts", {{"model_id", "eleven_flash_v2"}, {"voice_id", "sim_voice"}}}}},
          {"metadata", {{"created_at_unix_secs", a.created_unix}}},
          {"platform_settings", json::object()},
          {"phone_numbers", phones},
          {"tags", json::array()}};
}

ElevenLabsPhone& add_phone(State& st, ElevenLabsWorkspace& w, const std::string& phone_number,
                           const std::string& label) {
  ElevenLabsPhone p;
  p.phone_number_id = "phnum_" + random_hex(12);
  p.phone_number = phone_number;
  p.label = label;
  p.seq = st.elevenlabs.next_seq++;
  return w.phones[p.seq] = std::move(p);
}

// ---- handlers -----------------------------------------------------------------------------------

void list_agents(State& st, const Request& req, Response& res) {
  std::lock_guard lk(st.mu);
  ElevenLabsWorkspace* w = authorised(st, req, res);
  if (!w) return;
  long long page_size = 30;
  if (req.has_param("page_size")) {
    auto v = parse_count(req.get_param_value("page_size"));
    json loc = {"query", "page_size"};
    if (!v)
      return unprocessable(
          res, json::array({field_error(
                   loc, "int_parsing",
                   "Input should be a valid integer, unable to parse string as an integer")}));
    if (*v < 1 || *v > 100)
      return unprocessable(
          res, json::array({*v < 1 ? field_error(loc, "greater_than_equal",
                                                 "Input should be greater than or equal to 1")
                                   : field_error(loc, "less_than_equal",
                                                 "Input should be less than or equal to 100")}));
    page_size = *v;
  }
  bool ascending = req.get_param_value("sort_direction") == "asc";
  std::string search = req.get_param_value("search");
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<const ElevenLabsAgent*> all;
  for (const auto& [seq, a] : w->agents)
    if (search.empty() || lower(a.name).find(lower(search)) != std::string::npos) all.push_back(&a);
  if (!ascending) std::reverse(all.begin(), all.end()); // newest first by default
  // The cursor names the last agent of the previous page.
  size_t start = 0;
  std::string cursor = req.get_param_value("cursor");
  if (!cursor.empty()) {
    auto seq = cursor.rfind("cur_", 0) == 0 ? parse_count(cursor.substr(4)) : std::nullopt;
    if (!seq)
      return unprocessable(res, json::array({field_error({"query", "cursor"}, "value_error",
                                                         "Value error, invalid cursor")}));
    auto after = [&](const ElevenLabsAgent* a) {
      return ascending ? a->seq > static_cast<std::uint64_t>(*seq)
                       : a->seq < static_cast<std::uint64_t>(*seq);
    };
    start = static_cast<size_t>(std::find_if(all.begin(), all.end(), after) - all.begin());
  }
  size_t end = std::min(all.size(), start + static_cast<size_t>(page_size));
  auto agents = json::array();
  for (size_t i = start; i < end; ++i)
    agents.push_back(agent_summary(*all[i]));
  bool more = end < all.size();
  json next = more ? json("cur_" + std::to_string(all[end - 1]->seq)) : json(nullptr);
  json_reply(res, 200, {{"agents", agents}, {"next_cursor", next}, {"has_more", more}});
}

void import_number(State& st, const Request& req, Response& res) {
  std::lock_guard lk(st.mu);
  ElevenLabsWorkspace* w = authorised(st, req, res);
  if (!w) return;
  auto body = json_body(req, res,
                        {{"phone_number", Kind::string, true},
                         {"label", Kind::string, true},
                         {"sid", Kind::string, true},
                         {"token", Kind::string, true},
                         {"provider", Kind::string, false},
                         {"supports_inbound", Kind::boolean, false},
                         {"supports_outbound", Kind::boolean, false}});
  if (!body) return;
  if (body->value("provider", "twilio") != "twilio")
    return unprocessable(res, json::array({{{"type", "literal_error"},
                                            {"loc", {"body", "provider"}},
                                            {"msg", "Input should be 'twilio'"},
                                            {"ctx", {{"expected", "'twilio'"}}}}}));
  std::string number = (*body)["phone_number"], sid = (*body)["sid"], token = (*body)["token"];
  auto cred = st.twilio.credentials.find(sid + ":" + token);
  if (cred == st.twilio.credentials.end())
    return el_error(res, 400, "invalid_twilio_credentials",
                    "The Twilio account SID and auth token were rejected by Twilio");
  for (const auto& [seq, p] : w->phones)
    if (p.phone_number == number)
      return el_error(res, 409, "phone_number_already_exists",
                      "Phone number " + number + " has already been imported");
  TwilioNumber* owned = st.twilio.by_phone(number);
  if (!owned || owned->account_sid != cred->second)
    return el_error(res, 400, "phone_number_not_found_in_twilio",
                    "Phone number " + number + " was not found in the Twilio account " +
                        cred->second);
  auto& p = add_phone(st, *w, number, (*body)["label"]);
  p.twilio_sid = cred->second;
  p.supports_inbound = body->value("supports_inbound", true);
  p.supports_outbound = body->value("supports_outbound", true);
  // Like the real service: inbound calls of the number now reach ElevenLabs.
  owned->voice_url = k_inbound_webhook;
  owned->voice_method = "POST";
  owned->touch();
  json_reply(res, 200, {{"phone_number_id", p.phone_number_id}});
}

void update_number(State& st, const Request& req, Response& res) {
  std::lock_guard lk(st.mu);
  ElevenLabsWorkspace* w = authorised(st, req, res);
  if (!w) return;
  auto body = json_body(
      req, res, {{"agent_id", Kind::string_or_null, false}, {"label", Kind::string, false}});
  if (!body) return;
  std::string id = req.matches[1];
  ElevenLabsPhone* p = w->phone(id);
  if (!p) return el_error(res, 404, "phone_number_not_found", "Phone number " + id + " not found");
  if (body->contains("agent_id")) {
    const json& agent = (*body)["agent_id"];
    if (agent.is_string() && !w->agent(agent.get<std::string>()))
      return el_error(res, 404, "agent_not_found",
                      "Agent " + agent.get<std::string>() + " not found");
    p->agent_id = agent.is_string() ? agent.get<std::string>() : "";
  }
  if (body->contains("label")) p->label = (*body)["label"];
  json_reply(res, 200, phone_json(*w, *p));
}

} // namespace

bool seed_elevenlabs_agent(State& st, const std::string& api_key, const std::string& agent_id,
                           const std::string& name) {
  auto& w = st.elevenlabs.workspace(api_key);
  if (ElevenLabsAgent* a = w.agent(agent_id)) {
    a->name = name;
    return false;
  }
  ElevenLabsAgent a;
  a.agent_id = agent_id;
  a.name = name;
  a.created_unix = unix_now();
  a.seq = st.elevenlabs.next_seq++;
  w.agents[a.seq] = a;
  return true;
}

void add_elevenlabs_routes(httplib::Server& srv, State& st) {
  // Current user (what `creds verify elevenlabs` calls).
  srv.Get(
      "/v1/user", provider_route(st, [&st](const Request& req, Response& res) {
        std::lock_guard lk(st.mu);
        if (!authorised(st, req, res)) return;
        json_reply(res, 200, {{"user_id", "sim-user"}, {"subscription", {{"tier", "creator"}}}});
      }));

  srv.Get("/v1/convai/agents", provider_route(st, [&st](const Request& req, Response& res) {
            list_agents(st, req, res);
          }));
  srv.Get(R"(/v1/convai/agents/([^/]+))",
          provider_route(st, [&st](const Request& req, Response& res) {
            std::lock_guard lk(st.mu);
            ElevenLabsWorkspace* w = authorised(st, req, res);
            if (!w) return;
            std::string id = req.matches[1];
            ElevenLabsAgent* a = w->agent(id);
            if (!a) return el_error(res, 404, "agent_not_found", "Agent " + id + " not found");
            json_reply(res, 200, agent_json(*w, *a));
          }));

  srv.Post("/v1/convai/phone-numbers", provider_route(st, [&st](const Request& req, Response& res) {
             import_number(st, req, res);
           }));
  srv.Get("/v1/convai/phone-numbers", provider_route(st, [&st](const Request& req, Response& res) {
            std::lock_guard lk(st.mu);
            ElevenLabsWorkspace* w = authorised(st, req, res);
            if (!w) return;
            auto list = json::array();
            for (const auto& [seq, p] : w->phones)
              list.push_back(phone_json(*w, p));
            json_reply(res, 200, list);
          }));
  const std::string one = R"(/v1/convai/phone-numbers/([^/]+))";
  srv.Get(one, provider_route(st, [&st](const Request& req, Response& res) {
            std::lock_guard lk(st.mu);
            ElevenLabsWorkspace* w = authorised(st, req, res);
            if (!w) return;
            std::string id = req.matches[1];
            ElevenLabsPhone* p = w->phone(id);
            if (!p)
              return el_error(res, 404, "phone_number_not_found",
                              "Phone number " + id + " not found");
            json_reply(res, 200, phone_json(*w, *p));
          }));
  srv.Patch(one, provider_route(st, [&st](const Request& req, Response& res) {
              update_number(st, req, res);
            }));
  srv.Delete(one, provider_route(st, [&st](const Request& req, Response& res) {
               std::lock_guard lk(st.mu);
               ElevenLabsWorkspace* w = authorised(st, req, res);
               if (!w) return;
               std::string id = req.matches[1];
               ElevenLabsPhone* p = w->phone(id);
               if (!p)
                 return el_error(res, 404, "phone_number_not_found",
                                 "Phone number " + id + " not found");
               w->phones.erase(p->seq);
               json_reply(res, 200, json::object());
             }));
}

void add_elevenlabs_control(httplib::Server& srv, State& st) {
  // Seeds an agent: {"api_key","agent_id"?,"name"} (agent_id generated when absent).
  srv.Post("/__sim/elevenlabs/agents", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object() || !j.value("api_key", json()).is_string())
      return json_reply(res, 400, {{"error", "api_key is required"}});
    std::string id = j.value("agent_id", "");
    if (id.empty()) id = "agent_" + random_hex(13);
    std::lock_guard lk(st.mu);
    bool created = seed_elevenlabs_agent(st, j["api_key"], id, j.value("name", id));
    auto& w = st.elevenlabs.workspace(j["api_key"]);
    json_reply(res, created ? 201 : 200, agent_summary(*w.agent(id)));
  });
  // Plants an imported number: {"api_key","phone_number","label","agent_id"?}.
  srv.Post("/__sim/elevenlabs/phone-numbers", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object() || !j.value("api_key", json()).is_string() ||
        !j.value("phone_number", json()).is_string())
      return json_reply(res, 400, {{"error", "api_key and phone_number are required"}});
    std::lock_guard lk(st.mu);
    auto& w = st.elevenlabs.workspace(j["api_key"]);
    std::string agent = j.value("agent_id", json()).is_string() ? j["agent_id"] : "";
    if (!agent.empty() && !w.agent(agent))
      return json_reply(res, 400, {{"error", "agent " + agent + " is not in that workspace"}});
    auto& p = add_phone(st, w, j["phone_number"], j.value("label", ""));
    p.agent_id = agent;
    p.twilio_sid = j.value("sid", "");
    json_reply(res, 201, phone_json(w, p));
  });
  srv.Delete(R"(/__sim/elevenlabs/phone-numbers/([^/]+))",
             [&st](const Request& req, Response& res) {
               std::string id = req.matches[1];
               std::lock_guard lk(st.mu);
               for (auto& [key, w] : st.elevenlabs.workspaces)
                 if (ElevenLabsPhone* p = w.phone(id)) {
                   w.phones.erase(p->seq);
                   res.status = 204;
                   return;
                 }
               json_reply(res, 404, {{"error", "no phone number " + id}});
             });
}

json elevenlabs_state(State& st) {
  std::vector<std::pair<const std::string*, ElevenLabsWorkspace*>> spaces;
  for (auto& [key, w] : st.elevenlabs.workspaces)
    spaces.emplace_back(&key, &w);
  std::sort(spaces.begin(), spaces.end(),
            [](const auto& a, const auto& b) { return a.second->index < b.second->index; });
  auto phones = json::array(), agents = json::array();
  for (auto& [key, w] : spaces) {
    for (const auto& [seq, p] : w->phones)
      phones.push_back({{"workspace", w->index},
                        {"api_key_masked", masked_key(*key)},
                        {"phone_number_id", p.phone_number_id},
                        {"phone_number", p.phone_number},
                        {"label", p.label},
                        {"agent_id", p.agent_id.empty() ? json(nullptr) : json(p.agent_id)},
                        {"twilio_account_sid", p.twilio_sid}});
    for (const auto& [seq, a] : w->agents)
      agents.push_back({{"workspace", w->index},
                        {"api_key_masked", masked_key(*key)},
                        {"agent_id", a.agent_id},
                        {"name", a.name}});
  }
  return {{"phone_numbers", phones}, {"agents", agents}};
}

} // namespace sim
