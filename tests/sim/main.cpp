// crm-sim: a local simulator of the provider HTTP contracts in shared/docs/providers.md, with
// fault injection. In-memory state; never reaches the internet. One process, all providers on one
// loopback port; point every provider base URL of a profile at it.
//
//   crm-sim --port 0 --port-file F
//           --accept twilio:ACSID:TOKEN        (also twilio:ACSID:SKKEY:SECRET, an API key of AC)
//           --accept elevenlabs:KEY --accept vapi:KEY --accept retell:KEY
//           --accept google:CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN
//           --agent elevenlabs:KEY:AGENT_ID:NAME   (seeds an agent in KEY's workspace; repeatable)
//           --latency-ms N                         (every provider route waits N ms first)
//
// Twilio (HTTP Basic ACSID:TOKEN whose account is the path's, else 401 code 20003), under
// /2010-04-01/Accounts/{AC}:
//   GET    .json                                    the account
//   GET    /AvailablePhoneNumbers/{US|CA}/Local.json search: AreaCode, Contains (digits, letters,
//          '*' = any digit), SmsEnabled, MmsEnabled, VoiceEnabled, FaxEnabled, InRegion,
//          InLocality, PageSize (50). Inventory: +1 NPA 555 0100..0199 for every NPA 200-999
//          (Canadian NPAs are CA, the rest US) minus the numbers anyone owns; 533 has none, 500
//          only +15005550006. Other countries 404 (20404); a malformed AreaCode 400 (21451).
//   POST   /IncomingPhoneNumbers.json               buy (form: PhoneNumber or AreaCode,
//          FriendlyName, VoiceUrl, VoiceMethod, VoiceFallbackUrl, SmsUrl, SmsMethod,
//          StatusCallback, StatusCallbackMethod, ...) -> 201 instance. +15005550001 or not E.164 ->
//          400 21421; +15005550000 or owned by any account -> 400 21422; AreaCode 533 or sold out
//          -> 400 21452; AreaCode 500 buys +15005550006; neither -> 400 21450; a bad URL -> 400
//          21402 (21502 for StatusCallback); a method other than GET/POST -> 400 21403.
//   GET    /IncomingPhoneNumbers.json               the account's numbers in creation order,
//          paged (PageSize 50, max 1000; Page; PageToken PA<sid>/PB<sid> in
//          next/previous_page_uri); PhoneNumber filter = pattern as in Contains ('+' anchors it),
//          FriendlyName exact.
//   GET    /IncomingPhoneNumbers/{PN}.json          200, or 404 20404 (another account's too)
//   POST   /IncomingPhoneNumbers/{PN}.json          update (same form fields) -> 200
//   DELETE /IncomingPhoneNumbers/{PN}.json          release -> 204; the number is for sale again
//
// ElevenLabs (header xi-api-key, else 401 detail invalid_api_key; each key is a workspace):
//   GET    /v1/user
//   GET    /v1/convai/agents?cursor=&page_size=&search=&sort_direction=
//          newest first unless sort_direction=asc; page_size 30 (1-100, else 422)
//   GET    /v1/convai/agents/{id}                   404 detail agent_not_found
//   POST   /v1/convai/phone-numbers                 import {"phone_number","label","sid","token",
//          "provider":"twilio",...} -> 200 {"phone_number_id"}; 422 FastAPI detail list; 400
//          invalid_twilio_credentials (sid:token not an accepted Twilio pair); 409
//          phone_number_already_exists (same number in the workspace); 400
//          phone_number_not_found_in_twilio (the number is not owned by that Twilio account).
//          Side effect: the Twilio number's voice_url becomes
//          https://api.elevenlabs.io/twilio/inbound_call (date_updated moves).
//   GET    /v1/convai/phone-numbers                 plain array
//   GET    /v1/convai/phone-numbers/{id}            404 detail phone_number_not_found
//   PATCH  /v1/convai/phone-numbers/{id}            {"agent_id":"..."|null,"label"?} -> 200 item
//   DELETE /v1/convai/phone-numbers/{id}            200 {} (the Twilio side is left as it is)
//
// Vapi (Authorization: Bearer KEY, else 401): GET /assistant?limit=, GET /tool?limit= -> [].
// Retell: GET /list-agents (Bearer). Google: POST /token (refresh_token grant).
//
// Control (never delayed, never logged):
//   GET  /__sim/health
//   POST /__sim/faults with
//     {"path_prefix":"/v1/user","method":"GET","count":2,    which requests (method optional)
//      "body_contains":"5550006",                            ... whose raw or percent-decoded
//                                                              body contains this (optional)
//      "status":503,"retry_after":"1",                       answer this instead (not processed)
//      "body":{...},                                         with this body (default: the
//                                                              provider's error shape)
//      "delay_ms":800,                                       wait this long before anything else
//      "drop":"partial"|"close"}                             process, then never answer fully
//     "status" defaults to 503 unless "delay_ms" or "drop" is given (then the handler runs as
//     usual). "drop": the request is processed (its effect is kept, it counts as processed), then
//     the answer is cut: "partial" declares a Content-Length and sends half the body; "close"
//     shuts the socket down before any byte of the answer. That is the "committed, then the
//     connection died" case.
//   POST /__sim/accept {"provider","value"}         accept one more credential
//   GET|POST /__sim/latency {"ms":N}                global latency of provider routes
//   GET  /__sim/hits                                 path -> count
//   GET  /__sim/requests                             method, path, query, headers (credentials
//        masked), body (fields named like token/secret/password/api_key masked as "***"),
//        idempotency_key, remote_port, processed, answer; requests no route matched appear too
//   GET  /__sim/stats                                in_flight, max_in_flight
//   GET  /__sim/state                                Twilio numbers, ElevenLabs numbers and agents
//   POST   /__sim/twilio/numbers {"account_sid","phone_number","friendly_name"?,"voice_url"?,
//          "sms_url"?,"status_callback"?} -> 201 instance (bought outside the client)
//   DELETE /__sim/twilio/numbers/{E.164, url-encoded} -> 204 (removed behind the client's back)
//   POST   /__sim/elevenlabs/agents {"api_key","agent_id"?,"name"} -> 201 (200 when renamed)
//   POST   /__sim/elevenlabs/phone-numbers {"api_key","phone_number","label","agent_id"?} -> 201
//   DELETE /__sim/elevenlabs/phone-numbers/{id} -> 204
//   POST   /__sim/webhooks/send {...} -> signed provider webhooks to a receiver (webhooks.cpp)
#include "common.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

using namespace sim;

void add_control_routes(httplib::Server& srv, State& st) {
  srv.Get("/__sim/health", [](const Request&, Response& res) {
    json_reply(res, 200, {{"ok", true}});
  });
  srv.Post("/__sim/faults", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "bad json"}});
    Fault f;
    f.path_prefix = j.value("path_prefix", "/");
    f.method = j.value("method", "");
    f.body_contains = j.value("body_contains", "");
    f.count = j.value("count", 1);
    f.retry_after = j.value("retry_after", "");
    f.delay_ms = j.value("delay_ms", 0);
    f.drop = j.value("drop", "");
    if (j.contains("body")) f.answer_body = j["body"];
    if (!f.drop.empty() && f.drop != "partial" && f.drop != "close")
      return json_reply(res, 400, {{"error", "drop is partial or close"}});
    f.status = j.value("status", f.delay_ms > 0 || !f.drop.empty() ? 0 : 503);
    std::lock_guard lk(st.mu);
    st.faults.push_back(f);
    json_reply(res, 201, {{"ok", true}});
  });
  srv.Post("/__sim/accept", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "bad json"}});
    std::lock_guard lk(st.mu);
    if (!accept_credential(st, j.value("provider", ""), j.value("value", "")))
      return json_reply(res, 400, {{"error", "unknown provider or malformed value"}});
    json_reply(res, 201, {{"ok", true}});
  });
  srv.Get("/__sim/latency", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, {{"ms", st.latency_ms}});
  });
  srv.Post("/__sim/latency", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object() || !j.value("ms", json()).is_number_integer() || j["ms"].get<int>() < 0)
      return json_reply(res, 400, {{"error", "expected {\"ms\": N} with N >= 0"}});
    std::lock_guard lk(st.mu);
    st.latency_ms = j["ms"].get<int>();
    json_reply(res, 200, {{"ms", st.latency_ms}});
  });
  srv.Get("/__sim/hits", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, st.hits);
  });
  srv.Get("/__sim/requests", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, st.requests);
  });
  srv.Get("/__sim/stats", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, {{"in_flight", st.in_flight}, {"max_in_flight", st.max_in_flight}});
  });
  srv.Get("/__sim/state", [&st](const Request&, Response& res) {
    std::lock_guard lk(st.mu);
    json_reply(res, 200, {{"twilio", twilio_state(st)}, {"elevenlabs", elevenlabs_state(st)}});
  });
}

/// A route nobody serves: logged, and answered with the owning provider's 404 shape.
bool unrouted(State& st, const Request& req, Response& res) {
  if (res.status != 404 || !res.body.empty()) return false; // a handler's own answer
  log_unrouted(st, req);
  if (req.path.rfind("/2010-04-01/", 0) == 0)
    json_reply(res, 404,
               {{"code", 20404},
                {"message", "The requested resource " + req.path + " was not found"},
                {"more_info", "https://www.twilio.com/docs/errors/20404"},
                {"status", 404}});
  else if (req.path.rfind("/v1/", 0) == 0)
    json_reply(res, 404, {{"detail", "Not Found"}});
  else
    json_reply(res, 404,
               {{"message", "Cannot " + req.method + " " + req.path},
                {"error", "Not Found"},
                {"statusCode", 404}});
  return true;
}

int usage(const std::string& what) {
  std::cerr << "crm-sim: " << what << "\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  State st;
  int port = 0;
  std::string port_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") {
      auto v = parse_count(next());
      if (!v || *v > 65535) return usage("--port takes a port number");
      port = static_cast<int>(*v);
    } else if (a == "--port-file") {
      port_file = next();
    } else if (a == "--accept") {
      std::string v = next();
      auto c = v.find(':');
      if (c == std::string::npos || !accept_credential(st, v.substr(0, c), v.substr(c + 1)))
        return usage("cannot accept '" + v + "' (provider:value)");
    } else if (a == "--agent") {
      // elevenlabs:KEY:AGENT_ID:NAME (the name may contain ':')
      std::string v = next();
      auto c1 = v.find(':'), c2 = v.find(':', c1 + 1), c3 = v.find(':', c2 + 1);
      if (v.substr(0, c1) != "elevenlabs" || c1 == std::string::npos || c2 == std::string::npos ||
          c3 == std::string::npos || c2 == c1 + 1 || c3 == c2 + 1)
        return usage("--agent takes elevenlabs:API_KEY:AGENT_ID:NAME");
      seed_elevenlabs_agent(st, v.substr(c1 + 1, c2 - c1 - 1), v.substr(c2 + 1, c3 - c2 - 1),
                            v.substr(c3 + 1));
    } else if (a == "--latency-ms") {
      auto v = parse_count(next());
      if (!v || *v > 600'000) return usage("--latency-ms takes milliseconds");
      st.latency_ms = static_cast<int>(*v);
    } else {
      return usage("unknown argument " + a);
    }
  }

  httplib::Server srv;
  // Enough workers that idle keep-alive connections (each holds one) never starve new ones, even
  // with a global latency and a benchmark's many connections.
  srv.new_task_queue = [] { return new httplib::ThreadPool(64); };
  // No Nagle (connections inherit it from the listener): httplib sends a response's headers and
  // body with two writes, and the body would wait for the client's delayed ACK (up to 40 ms).
  srv.set_tcp_nodelay(true);
  add_control_routes(srv, st);
  add_twilio_control(srv, st);
  add_elevenlabs_control(srv, st);
  add_twilio_routes(srv, st);
  add_elevenlabs_routes(srv, st);
  add_vapi_routes(srv, st);
  add_retell_routes(srv, st);
  add_google_routes(srv, st);
  add_webhook_sender(srv, st);
  srv.set_error_handler(
      httplib::Server::HandlerWithResponse([&st](const Request& req, Response& res) {
        return unrouted(st, req, res) ? httplib::Server::HandlerResponse::Handled
                                      : httplib::Server::HandlerResponse::Unhandled;
      }));

  if (port == 0)
    port = srv.bind_to_any_port("127.0.0.1");
  else if (!srv.bind_to_port("127.0.0.1", port)) {
    std::cerr << "crm-sim: cannot bind port " << port << "\n";
    return 1;
  }
  st.port = port;
  // A client that hangs up mid-answer (timeouts, drop faults) must not kill the simulator.
  std::signal(SIGPIPE, SIG_IGN);
  if (!port_file.empty()) {
    std::ofstream tmp(port_file + ".tmp");
    tmp << port << "\n";
    tmp.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << "crm-sim listening on 127.0.0.1:" << port << std::endl;
  static httplib::Server* s_srv = &srv;
  std::signal(SIGTERM, [](int) { s_srv->stop(); });
  srv.listen_after_bind();
  return 0;
}
