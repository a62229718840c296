// crm-sim internals shared by the provider files: the one State (behind one mutex), faults, the
// provider_route wrapper (request log, faults, latency, concurrency counters) and small helpers.
// See main.cpp for the description of every route.
#pragma once
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sim {

using json = nlohmann::json;
using httplib::Request;
using httplib::Response;

/// One injected fault (POST /__sim/faults); see main.cpp for the semantics.
struct Fault {
  std::string path_prefix = "/";
  std::string method;        // empty: any
  std::string body_contains; // empty: any body
  int status = 503;          // 0: let the handler answer
  int count = 1;
  std::string retry_after;
  int delay_ms = 0;
  std::string drop;                // "", "partial", "close"
  std::optional<json> answer_body; // replaces the provider-shaped error body
};

// ---- Twilio -------------------------------------------------------------------------------------

/// An IncomingPhoneNumber. Times are unix seconds.
struct TwilioNumber {
  std::string sid, account_sid, phone_number, friendly_name;
  std::string voice_url, voice_method = "POST", voice_fallback_url, voice_fallback_method = "POST";
  std::string sms_url, sms_method = "POST", sms_fallback_url, sms_fallback_method = "POST";
  std::string status_callback, status_callback_method = "POST";
  bool voice_caller_id_lookup = false;
  std::int64_t date_created = 0, date_updated = 0;
  std::uint64_t seq = 0; // creation order

  /// Marks a change: date_updated moves to now, and always forward by at least one second so a
  /// client comparing the two dates sees every change.
  void touch();
};

struct TwilioState {
  /// "user:password" of an accepted HTTP Basic pair -> the account it acts for ("AC:token" ->
  /// "AC"; an API key "SK:secret" -> its AC).
  std::map<std::string, std::string> credentials;
  std::map<std::uint64_t, TwilioNumber> numbers;   // owned numbers, by creation sequence
  std::map<std::string, std::uint64_t> seq_of_sid; // every sid ever issued (page tokens)
  std::uint64_t next_seq = 1;

  TwilioNumber* by_sid(const std::string& sid);
  TwilioNumber* by_phone(const std::string& phone_number);
};

// ---- ElevenLabs ---------------------------------------------------------------------------------

struct ElevenLabsAgent {
  std::string agent_id, name;
  std::int64_t created_unix = 0;
  std::uint64_t seq = 0;
};

struct ElevenLabsPhone {
  std::string phone_number_id, phone_number, label, twilio_sid, agent_id;
  bool supports_inbound = true, supports_outbound = true;
  std::uint64_t seq = 0;
};

/// What one API key sees: its agents and imported phone numbers.
struct ElevenLabsWorkspace {
  int index = 0; // order of first appearance, for /__sim/state
  std::map<std::uint64_t, ElevenLabsAgent> agents;
  std::map<std::uint64_t, ElevenLabsPhone> phones;

  ElevenLabsAgent* agent(const std::string& agent_id);
  ElevenLabsPhone* phone(const std::string& phone_number_id);
};

struct ElevenLabsState {
  std::set<std::string> keys; // accepted API keys
  std::map<std::string, ElevenLabsWorkspace> workspaces;
  std::uint64_t next_seq = 1;

  /// The workspace of `api_key`, created on first use.
  ElevenLabsWorkspace& workspace(const std::string& api_key);
};

// ---- Vapi ---------------------------------------------------------------------------------------

struct VapiState {
  std::set<std::string> keys; // accepted private keys
  // One Vapi org for every key (the platform account): saved tools and assistants as the API
  // returns them (id, orgId, createdAt, updatedAt included), by id. See vapi.cpp.
  std::map<std::string, json> tools, assistants;
  std::set<std::string> pinned_tools; // DELETE answers 409 tool_pinned
  std::int64_t last_ms = 0;           // last timestamp issued: every change moves time forward
};

// ---- everything ---------------------------------------------------------------------------------

struct State {
  std::mutex mu; // guards everything below
  TwilioState twilio;
  ElevenLabsState elevenlabs;
  VapiState vapi;
  std::set<std::string> retell; // api keys
  std::set<std::string> google; // "client:secret:refresh"
  std::vector<Fault> faults;
  std::map<std::string, int> hits; // path -> count
  json requests = json::array();
  int in_flight = 0, max_in_flight = 0;
  int latency_ms = 0;
  int port = 0;
};

/// Accepts a credential given as "provider:value" (--accept) or as (provider, value); false when
/// the provider is unknown or the value malformed. Caller holds st.mu.
bool accept_credential(State& st, const std::string& provider, const std::string& value);

// ---- replies and parsing ------------------------------------------------------------------------

/// Sends `j` as application/json (invalid UTF-8 replaced, never thrown).
void json_reply(Response& res, int status, const json& j);
/// `j` serialised, invalid UTF-8 replaced.
std::string dump(const json& j);
/// The body parsed as JSON, or a discarded value.
json parse_json(const std::string& body);
/// Percent-decoding; '+' becomes a space when `plus_is_space`.
std::string percent_decode(const std::string& s, bool plus_is_space);
/// application/x-www-form-urlencoded encoding of one value.
std::string form_encode(const std::string& s);
/// The raw query string of the request ("" when none).
std::string raw_query(const Request& req);
/// The request body for the log: form or JSON fields naming a secret masked as "***".
std::string masked_body(const Request& req);
/// True for field names that carry a secret (token, auth_token, api_key, password, secret, and
/// names ending in one of them such as refresh_token or client_secret).
bool is_secret_field(const std::string& name);
/// The decoded "user:password" of an HTTP Basic Authorization header ("" when none).
std::string basic_auth(const Request& req);
/// The key of an "Authorization: Bearer KEY" header ("" when none).
std::string bearer(const Request& req);
/// `n` random bytes as lower-case hex.
std::string random_hex(std::size_t n);
/// Seconds since the epoch.
std::int64_t unix_now();
/// RFC 2822 date as Twilio writes it: "Sat, 21 Nov 2026 12:00:00 +0000".
std::string rfc2822(std::int64_t unix_secs);
/// A non-negative integer, or nullopt.
std::optional<long long> parse_count(const std::string& s);
/// True for an absolute http:// or https:// URL with a host.
bool is_http_url(const std::string& s);
/// A secret shortened for display ("sk_…3456").
std::string masked_key(const std::string& key);

// ---- routes -------------------------------------------------------------------------------------

/// Wraps a provider handler: logs the request, applies faults and the global latency, counts
/// concurrency.
httplib::Server::Handler provider_route(State& st, httplib::Server::Handler handler);
/// Logs a request no route matched (called from the server's error handler).
void log_unrouted(State& st, const Request& req);

void add_twilio_routes(httplib::Server& srv, State& st);
void add_twilio_control(httplib::Server& srv, State& st);
json twilio_state(State& st); // caller holds st.mu

void add_elevenlabs_routes(httplib::Server& srv, State& st);
void add_elevenlabs_control(httplib::Server& srv, State& st);
json elevenlabs_state(State& st); // caller holds st.mu
/// Seeds an agent in the workspace of `api_key` (a new one, or renames an existing one); true when
/// it was created. Caller holds st.mu.
bool seed_elevenlabs_agent(State& st, const std::string& api_key, const std::string& agent_id,
                           const std::string& name);

void add_vapi_routes(httplib::Server& srv, State& st);
void add_retell_routes(httplib::Server& srv, State& st);
void add_google_routes(httplib::Server& srv, State& st);
/// POST /__sim/webhooks/send: signed provider webhooks to a receiver (webhooks.cpp).
void add_webhook_sender(httplib::Server& srv, State& st);

} // namespace sim
