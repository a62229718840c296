// crm-sim: Vapi — saved tools and assistants of one Vapi org (the platform account every accepted
// private key acts for), following the public API reference (docs.vapi.ai/api-reference):
//
//   Authorization: Bearer KEY (an accepted key), else 401 {"message","error","statusCode"}.
//   POST   /tool                 {"type":"function","function":{"name",...},"server":{...},...}
//                                -> 201 the tool with id, orgId, createdAt, updatedAt. 400 (NestJS
//                                shape, "message" a list) when type is missing/unknown or a
//                                function tool has no valid function.name (a-zA-Z0-9_-, 1-64).
//   GET    /tool                 plain array, newest first (createdAt desc); limit (default 100,
//                                at most 1000, else 400); createdAtGt|Lt|Ge|Le, updatedAtGt|Lt|Ge|Le
//                                (ISO 8601, else 400).
//   GET    /tool/{id}            404 "Couldn't Get Tool. Tool Not Found."
//   PATCH  /tool/{id}            top-level fields replaced (shallow merge); "type", "id", "orgId",
//                                "createdAt", "updatedAt" are refused with 400 ("property type
//                                should not exist", as the whitelisting validator answers);
//                                updatedAt moves forward. 404 when gone.
//   DELETE /tool/{id}            200 the deleted tool; 404 when gone; 409 tool_pinned when pinned.
//                                Assistants keep the id in model.toolIds (a dangling link).
//   GET    /assistant            as GET /tool (the credential check calls ?limit=1).
//   GET    /assistant/{id}       404 "Couldn't Get Assistant. Assistant Not Found."
//   PATCH  /assistant/{id}       top-level fields replaced; a "model" replaces the whole model and
//                                must carry model.provider and model.model (strings), else 400
//                                like Vapi; model.toolIds must be a list of strings. 404 when gone.
//
// Control (never delayed, never logged):
//   POST   /__sim/vapi/assistants   {"id"?,"name"?,"model"?} or a list of them -> 201 (the model
//                                   defaults to openai/gpt-4o with a system message)
//   PATCH  /__sim/vapi/assistants/{id}  fields replaced (e.g. a link removed in the dashboard)
//   DELETE /__sim/vapi/assistants/{id}  -> 204
//   POST   /__sim/vapi/tools        a tool body (any type, "id"? kept) -> 201 (planted: foreign or
//                                   native tools, or a tool "created" by a lost POST)
//   PATCH  /__sim/vapi/tools/{id}   fields replaced, updatedAt moves (edited in the dashboard)
//   DELETE /__sim/vapi/tools/{id}   -> 204 (deleted in the dashboard; links stay dangling)
//   POST   /__sim/vapi/tools/{id}/pin  DELETE /tool/{id} answers 409 from now on
//   GET    /__sim/vapi/state        {"tools":[...],"assistants":[...]} oldest first
#include "common.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace sim {
namespace {

const char* k_org_id = "5e1a0c1e-0000-4000-8000-00000000a001";

/// True when the request carries an accepted private key. Holds st.mu.
bool authorised(State& st, const Request& req) {
  return st.vapi.keys.count(bearer(req)) > 0;
}

void unauthorised(Response& res) {
  json_reply(res, 401,
             {{"message", "Invalid Key. Hot tip, you may be using the private key instead of the "
                          "public key, or vice versa."},
              {"error", "Unauthorized"},
              {"statusCode", 401}});
}

void bad_request(Response& res, const std::vector<std::string>& messages) {
  json_reply(res, 400, {{"message", messages}, {"error", "Bad Request"}, {"statusCode", 400}});
}

void not_found(Response& res, const std::string& what) {
  json_reply(res, 404,
             {{"message", "Couldn't Get " + what + ". " + what + " Not Found."},
              {"error", "Not Found"},
              {"statusCode", 404}});
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A fresh timestamp, strictly after every one issued before. Holds st.mu.
std::int64_t tick(State& st) {
  st.vapi.last_ms = std::max(now_ms(), st.vapi.last_ms + 1);
  return st.vapi.last_ms;
}

/// "2026-11-22T03:04:05.678Z".
std::string iso(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

/// Milliseconds of an ISO 8601 UTC time ("2026-11-22T03:04:05Z", fraction optional), or nullopt.
std::optional<std::int64_t> parse_iso(const std::string& s) {
  int y, mo, d, h, mi, sec;
  char tail[32] = {0};
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &sec, tail) < 6)
    return std::nullopt;
  std::string rest = tail;
  int ms = 0;
  if (!rest.empty() && rest[0] == '.') {
    std::size_t i = 1;
    std::string digits;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
      digits.push_back(rest[i++]);
    if (digits.empty()) return std::nullopt;
    while (digits.size() < 3)
      digits.push_back('0');
    ms = std::stoi(digits.substr(0, 3));
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00" && !rest.empty()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string new_id() {
  std::string h = random_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) +
         "-" + h.substr(20, 12);
}

/// The `limit` query parameter (default 100, at most 1000), or nullopt after answering 400.
std::optional<long long> limit_of(const Request& req, Response& res) {
  if (!req.has_param("limit")) return 100;
  auto v = parse_count(req.get_param_value("limit"));
  if (v && *v <= 1000) return v;
  bad_request(res, {v ? "limit must not be greater than 1000"
                      : "limit must be a number conforming to the specified constraints"});
  return std::nullopt;
}

/// The list of `items` a GET list answers: filters, newest first, limit. nullopt after a 400.
std::optional<json> list_of(const std::map<std::string, json>& items, const Request& req,
                            Response& res) {
  auto limit = limit_of(req, res);
  if (!limit) return std::nullopt;
  struct Bound {
    const char* param;
    const char* field;
    int op; // -2 lt, -1 le, 1 ge, 2 gt
  };
  static const Bound k_bounds[] = {
      {"createdAtGt", "createdAt", 2}, {"createdAtLt", "createdAt", -2},
      {"createdAtGe", "createdAt", 1}, {"createdAtLe", "createdAt", -1},
      {"updatedAtGt", "updatedAt", 2}, {"updatedAtLt", "updatedAt", -2},
      {"updatedAtGe", "updatedAt", 1}, {"updatedAtLe", "updatedAt", -1}};
  std::vector<std::pair<const Bound*, std::int64_t>> active;
  for (const auto& b : k_bounds) {
    if (!req.has_param(b.param)) continue;
    auto v = parse_iso(req.get_param_value(b.param));
    if (!v) {
      bad_request(res, {std::string(b.param) + " must be a valid ISO 8601 date string"});
      return std::nullopt;
    }
    active.emplace_back(&b, *v);
  }
  std::vector<const json*> all;
  for (const auto& [id, item] : items) {
    bool keep = true;
    for (const auto& [b, v] : active) {
      auto t = parse_iso(item.value(b->field, "")).value_or(0);
      keep = keep && (b->op == 2 ? t > v : b->op == 1 ? t >= v : b->op == -1 ? t <= v : t < v);
    }
    if (keep) all.push_back(&item);
  }
  std::sort(all.begin(), all.end(), [](const json* a, const json* b) {
    auto ta = parse_iso(a->value("createdAt", "")).value_or(0);
    auto tb = parse_iso(b->value("createdAt", "")).value_or(0);
    if (ta != tb) return ta > tb;
    return a->value("id", "") > b->value("id", "");
  });
  json out = json::array();
  for (std::size_t i = 0; i < all.size() && static_cast<long long>(i) < *limit; ++i)
    out.push_back(*all[i]);
  return out;
}

const std::set<std::string>& tool_types() {
  static const std::set<std::string> k = {
      "function", "apiRequest", "dtmf", "endCall", "transferCall", "voicemail", "query", "mcp",
      "handoff", "sms", "make", "ghl", "bash", "computer", "textEditor", "slack.message.send",
      "google.calendar.event.create", "google.calendar.availability.check",
      "google.sheets.row.append", "gohighlevel.calendar.availability.check",
      "gohighlevel.calendar.event.create", "gohighlevel.contact.create",
      "gohighlevel.contact.get"};
  return k;
}

/// What is wrong with a tool body for POST /tool (empty when fine).
std::vector<std::string> tool_problems(const json& body) {
  std::vector<std::string> out;
  if (!body.is_object()) return {"body must be an object"};
  if (!body.contains("type") || !body["type"].is_string() ||
      !tool_types().count(body["type"].get<std::string>())) {
    out.push_back("type must be one of the following values: function, apiRequest, dtmf, "
                  "endCall, transferCall, query, ...");
    return out;
  }
  if (body["type"] == "function") {
    static const std::regex k_name("^[a-zA-Z0-9_-]{1,64}$");
    const json& f = body.value("function", json());
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
        !std::regex_match(f["name"].get<std::string>(), k_name))
      out.push_back("function.name must be a-z, A-Z, 0-9, or contain underscores and dashes, "
                    "with a maximum length of 64");
    if (f.is_object() && f.contains("parameters") && !f["parameters"].is_object())
      out.push_back("function.parameters must be an object");
  }
  if (body.contains("server")) {
    const json& s = body["server"];
    if (!s.is_object() || !s.contains("url") || !s["url"].is_string() ||
        !is_http_url(s["url"].get<std::string>()))
      out.push_back("server.url must be a URL address");
  }
  return out;
}

/// Read-only fields a PATCH may not carry (the whitelisting validator refuses them).
std::vector<std::string> forbidden_in_patch(const json& body, bool tool) {
  std::vector<std::string> out;
  for (const char* k : {"id", "orgId", "createdAt", "updatedAt"})
    if (body.contains(k)) out.push_back(std::string("property ") + k + " should not exist");
  if (tool && body.contains("type")) out.push_back("property type should not exist");
  return out;
}

/// What is wrong with an assistant PATCH body (empty when fine).
std::vector<std::string> assistant_patch_problems(const json& body) {
  if (!body.is_object()) return {"body must be an object"};
  auto out = forbidden_in_patch(body, false);
  if (body.contains("model")) {
    const json& m = body["model"];
    if (!m.is_object()) {
      out.push_back("model must be an object");
      return out;
    }
    if (!m.contains("provider") || !m["provider"].is_string())
      out.push_back("model.provider must be one of the following values: openai, anthropic, "
                    "google, groq, ...");
    if (!m.contains("model") || !m["model"].is_string())
      out.push_back("model.model must be a string");
    if (m.contains("toolIds")) {
      bool ok = m["toolIds"].is_array();
      if (ok)
        for (const auto& t : m["toolIds"])
          ok = ok && t.is_string();
      if (!ok) out.push_back("model.toolIds must be an array of strings");
    }
    if (m.contains("tools") && !m["tools"].is_array()) out.push_back("model.tools must be an array");
  }
  return out;
}

json default_model() {
  return {{"provider", "openai"},
          {"model", "gpt-4o"},
          {"temperature", 0.3},
          {"messages", json::array({{{"role", "system"},
                                     {"content", "You are the front desk of a clinic."}}})}};
}

/// Adds a tool as POST /tool would (id kept when given). Holds st.mu.
json& add_tool(State& st, json body) {
  std::string id = body.value("id", json()).is_string() ? body["id"].get<std::string>() : new_id();
  auto t = tick(st);
  body["id"] = id;
  body["orgId"] = k_org_id;
  body["createdAt"] = iso(t);
  body["updatedAt"] = iso(t);
  return st.vapi.tools[id] = std::move(body);
}

json& add_assistant(State& st, json body) {
  if (!body.is_object()) body = json::object();
  std::string id = body.value("id", json()).is_string() ? body["id"].get<std::string>() : new_id();
  auto t = tick(st);
  body["id"] = id;
  body["orgId"] = k_org_id;
  if (!body.contains("name")) body["name"] = "Assistant " + id.substr(0, 8);
  if (!body.contains("model") || !body["model"].is_object()) body["model"] = default_model();
  body["createdAt"] = iso(t);
  body["updatedAt"] = iso(t);
  return st.vapi.assistants[id] = std::move(body);
}

/// Shallow merge of a PATCH body, updatedAt forward. Holds st.mu.
void merge(State& st, json& item, const json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it)
    item[it.key()] = it.value();
  item["updatedAt"] = iso(tick(st));
}

/// A provider route that requires the key and a JSON object body where `needs_body`.
template <class F> httplib::Server::Handler vapi_route(State& st, bool needs_body, F f) {
  return provider_route(st, [&st, needs_body, f](const Request& req, Response& res) {
    std::lock_guard lk(st.mu);
    if (!authorised(st, req)) return unauthorised(res);
    json body;
    if (needs_body) {
      body = parse_json(req.body);
      if (body.is_discarded() || !body.is_object())
        return bad_request(res, {"body must be a JSON object"});
    }
    f(req, res, body);
  });
}

json sorted_values(const std::map<std::string, json>& items) {
  std::vector<const json*> v;
  for (const auto& [id, item] : items)
    v.push_back(&item);
  std::sort(v.begin(), v.end(), [](const json* a, const json* b) {
    return a->value("createdAt", "") < b->value("createdAt", "");
  });
  json out = json::array();
  for (const auto* p : v)
    out.push_back(*p);
  return out;
}

} // namespace

void add_vapi_routes(httplib::Server& srv, State& st) {
  const std::string one_tool = R"(/tool/([^/]+))", one_assistant = R"(/assistant/([^/]+))";

  srv.Get("/tool", vapi_route(st, false, [&st](const Request& req, Response& res, const json&) {
            if (auto list = list_of(st.vapi.tools, req, res)) json_reply(res, 200, *list);
          }));
  srv.Post("/tool", vapi_route(st, true, [&st](const Request&, Response& res, const json& body) {
             auto problems = tool_problems(body);
             if (!problems.empty()) return bad_request(res, problems);
             json b = body;
             b.erase("id");
             json_reply(res, 201, add_tool(st, std::move(b)));
           }));
  srv.Get(one_tool, vapi_route(st, false, [&st](const Request& req, Response& res, const json&) {
            auto it = st.vapi.tools.find(req.matches[1]);
            if (it == st.vapi.tools.end()) return not_found(res, "Tool");
            json_reply(res, 200, it->second);
          }));
  srv.Patch(one_tool, vapi_route(st, true, [&st](const Request& req, Response& res, const json& b) {
              auto it = st.vapi.tools.find(req.matches[1]);
              if (it == st.vapi.tools.end()) return not_found(res, "Tool");
              auto problems = forbidden_in_patch(b, true);
              if (problems.empty()) {
                json merged = it->second;
                for (auto f = b.begin(); f != b.end(); ++f)
                  merged[f.key()] = f.value();
                problems = tool_problems(merged);
              }
              if (!problems.empty()) return bad_request(res, problems);
              merge(st, it->second, b);
              json_reply(res, 200, it->second);
            }));
  srv.Delete(one_tool, vapi_route(st, false, [&st](const Request& req, Response& res, const json&) {
               std::string id = req.matches[1];
               auto it = st.vapi.tools.find(id);
               if (it == st.vapi.tools.end()) return not_found(res, "Tool");
               if (st.vapi.pinned_tools.count(id))
                 return json_reply(res, 409,
                                   {{"message", "tool_pinned: the tool is pinned and cannot be "
                                                "deleted"},
                                    {"error", "Conflict"},
                                    {"statusCode", 409}});
               json gone = it->second;
               st.vapi.tools.erase(it);
               json_reply(res, 200, gone);
             }));

  srv.Get("/assistant", vapi_route(st, false, [&st](const Request& req, Response& res, const json&) {
            if (auto list = list_of(st.vapi.assistants, req, res)) json_reply(res, 200, *list);
          }));
  srv.Get(one_assistant,
          vapi_route(st, false, [&st](const Request& req, Response& res, const json&) {
            auto it = st.vapi.assistants.find(req.matches[1]);
            if (it == st.vapi.assistants.end()) return not_found(res, "Assistant");
            json_reply(res, 200, it->second);
          }));
  srv.Patch(one_assistant,
            vapi_route(st, true, [&st](const Request& req, Response& res, const json& b) {
              auto it = st.vapi.assistants.find(req.matches[1]);
              if (it == st.vapi.assistants.end()) return not_found(res, "Assistant");
              auto problems = assistant_patch_problems(b);
              if (!problems.empty()) return bad_request(res, problems);
              merge(st, it->second, b);
              json_reply(res, 200, it->second);
            }));

  // ---- control --------------------------------------------------------------------------------
  srv.Post("/__sim/vapi/assistants", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (j.is_discarded()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    if (j.is_array()) {
      json out = json::array();
      for (auto& a : j)
        out.push_back(add_assistant(st, a));
      return json_reply(res, 201, out);
    }
    json_reply(res, 201, add_assistant(st, j));
  });
  srv.Patch(R"(/__sim/vapi/assistants/([^/]+))", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    auto it = st.vapi.assistants.find(req.matches[1]);
    if (it == st.vapi.assistants.end()) return json_reply(res, 404, {{"error", "no assistant"}});
    merge(st, it->second, j);
    json_reply(res, 200, it->second);
  });
  srv.Delete(R"(/__sim/vapi/assistants/([^/]+))", [&st](const Request& req, Response& res) {
    std::lock_guard lk(st.mu);
    if (!st.vapi.assistants.erase(std::string(req.matches[1])))
      return json_reply(res, 404, {{"error", "no assistant"}});
    res.status = 204;
  });
  srv.Post("/__sim/vapi/tools", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    json_reply(res, 201, add_tool(st, j));
  });
  srv.Patch(R"(/__sim/vapi/tools/([^/]+))", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    auto it = st.vapi.tools.find(req.matches[1]);
    if (it == st.vapi.tools.end()) return json_reply(res, 404, {{"error", "no tool"}});
    merge(st, it->second, j);
    json_reply(res, 200, it->second);
  });
  srv.Delete(R"(/__sim/vapi/tools/([^/]+))", [&st](const Request& req, Response& res) {
    std::lock_guard lk(st.mu);
    if (!st.vapi.tools.erase(std::string(req.matches[1]))) return json_reply(res, 404, {{"error", "no tool"}});
    res.status = 204;
  });
  srv.Post(R"(/__sim/vapi/tools/([^/]+)/pin)", [&st](const Request& req, Response& res) {
    std::lock_guard lk(st.mu);
    if (!st.vapi.tools.count(req.matches[1])) return json_reply(res, 404, {{"error", "no tool"}});
    st.vapi.pinned_tools.insert(req.matches[1]);
    json_reply(res, 200, {{"ok", true}});
  });
  srv.Get("/__sim/vapi/state", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200,
               {{"tools", sorted_values(st.vapi.tools)},
                {"assistants", sorted_values(st.vapi.assistants)}});
  });
}

} // namespace sim
