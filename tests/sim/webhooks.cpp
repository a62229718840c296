// crm-sim sends provider webhooks, signed the way each provider signs them (shared/docs/
// providers.md), for the daemon's tests and the demo:
//
//   POST /__sim/webhooks/send
//     {"provider":"vapi"|"elevenlabs"|"retell"|"twilio",
//      "event":"end-of-call-report"|"status-update"            (vapi)
//             |"post_call_transcription"                        (elevenlabs)
//             |"call_started"|"call_ended"|"call_analyzed"      (retell)
//             |"sms"|"voice-status",                            (twilio)
//      "url":"http://127.0.0.1:8080/webhooks/vapi",             where to POST
//      "secret":"...",        Vapi/ElevenLabs webhook secret, Retell API key, Twilio auth token
//      "call":{"id","agent_id","from","to","cost","duration_seconds","transcript","summary",
//              "started_at" (unix s),"status"},                 any may be left out
//      "message":{"sid","from","to","body","status"},           twilio sms
//      "signature":"valid"|"tampered"|"stale"|"missing",        default valid
//      "vapi_auth":"hmac"|"bearer"|"legacy",                    default hmac
//      "repeat":N}                                              the same bytes N times (1)
//   -> 200 {"sent":N,"statuses":[...],"status":last,"body":last answer}
//   Twilio's signature covers the URL as given (so give the public URL the daemon knows).
#include "common.hpp"

#include "core/crypto.hpp"

#include <algorithm>
#include <chrono>

namespace sim {

namespace {

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(long long unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::string pct(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out;
}

// The payload of one event, as the provider documents it.
json vapi_payload(const std::string& event, const json& c) {
  const long long started = c.value("started_at", now_s() - 120);
  const long long dur = c.value("duration_seconds", 95);
  json call = {{"id", c.value("id", "call_sim")},
               {"type", "inboundPhoneCall"},
               {"assistantId", c.value("agent_id", "asst_sim")},
               {"customer", {{"number", c.value("from", "+15557654321")}}}};
  if (c.contains("caller_name")) call["customer"]["name"] = c["caller_name"];
  json m = {{"type", event}, {"call", call}, {"phoneNumber", {{"number", c.value("to", "+15550001111")}}}};
  if (event == "status-update") {
    m["status"] = c.value("status", "in-progress");
    return {{"message", m}};
  }
  m["endedReason"] = "customer-ended-call";
  // A JSON number, as Vapi sends it (from the decimal text given).
  m["cost"] = json::parse(c.value("cost", std::string("0.1375")), nullptr, false);
  if (m["cost"].is_discarded() || !m["cost"].is_number()) m["cost"] = 0.1375;
  m["startedAt"] = iso(started);
  m["endedAt"] = iso(started + dur);
  m["durationSeconds"] = dur;
  m["analysis"] = {{"summary", c.value("summary", "The caller booked an appointment.")}};
  m["artifact"] = {{"transcript", c.value("transcript", "AI: Hello, how can I help?\nUser: I'd like to book a visit.")},
                   {"recordingUrl", "https://recordings.example/" + c.value("id", "call_sim") + ".wav"}};
  return {{"message", m}};
}

json elevenlabs_payload(const json& c) {
  const long long started = c.value("started_at", now_s() - 120);
  return {{"type", "post_call_transcription"},
          {"event_timestamp", now_s()},
          {"data",
           {{"agent_id", c.value("agent_id", "agent_sim")},
            {"conversation_id", c.value("id", "conv_sim")},
            {"status", "done"},
            {"transcript",
             json::array({{{"role", "agent"}, {"message", "Hello, how can I help?"}, {"time_in_call_secs", 0}},
                          {{"role", "user"}, {"message", "I'd like to book a visit."}, {"time_in_call_secs", 3}}})},
            {"metadata",
             {{"start_time_unix_secs", started},
              {"call_duration_secs", c.value("duration_seconds", 61)},
              {"cost", 512},
              {"phone_call",
               {{"direction", "inbound"},
                {"external_number", c.value("from", "+15557654321")},
                {"agent_number", c.value("to", "+15550001111")}}}}},
            {"analysis", {{"transcript_summary", c.value("summary", "Booked a visit.")}, {"call_successful", "success"}}}}}};
}

json retell_payload(const std::string& event, const json& c) {
  const long long started = c.value("started_at", now_s() - 120) * 1000;
  json call = {{"call_id", c.value("id", "call_sim")},
               {"agent_id", c.value("agent_id", "agent_sim")},
               {"call_type", "phone_call"},
               {"direction", "inbound"},
               {"from_number", c.value("from", "+15557654321")},
               {"to_number", c.value("to", "+15550001111")},
               {"start_timestamp", started}};
  if (event != "call_started") {
    const long long dur = c.value("duration_seconds", 90);
    call["end_timestamp"] = started + dur * 1000;
    call["duration_ms"] = dur * 1000;
    call["transcript"] = c.value("transcript", "Agent: Hello!\nUser: Hi, a booking please.");
    call["disconnection_reason"] = "user_hangup";
    call["recording_url"] = "https://recordings.example/" + c.value("id", "call_sim") + ".wav";
    call["call_cost"] = {{"combined_cost", c.value("cost_cents", 12.5)}};
  }
  if (event == "call_analyzed")
    call["call_analysis"] = {{"call_summary", c.value("summary", "Booked a visit.")},
                             {"user_sentiment", "Positive"},
                             {"call_successful", true}};
  return {{"event", event}, {"call", call}};
}

std::vector<std::pair<std::string, std::string>> twilio_params(const std::string& event, const json& req) {
  if (event == "sms") {
    const json m = req.value("message", json::object());
    std::vector<std::pair<std::string, std::string>> p = {
        {"MessageSid", m.value("sid", "SM" + random_hex(16))},
        {"AccountSid", req.value("account_sid", "AC" + std::string(32, '0'))},
        {"From", m.value("from", "+15557654321")},
        {"To", m.value("to", "+15550001111")},
        {"Body", m.value("body", "Hello from the simulator")}};
    const std::string status = m.value("status", "received");
    p.push_back({"SmsStatus", status});
    if (status != "received") p.push_back({"MessageStatus", status});
    return p;
  }
  const json c = req.value("call", json::object());
  return {{"CallSid", c.value("id", "CA" + random_hex(16))},
          {"AccountSid", req.value("account_sid", "AC" + std::string(32, '0'))},
          {"From", c.value("from", "+15557654321")},
          {"To", c.value("to", "+15550001111")},
          {"Direction", "inbound"},
          {"CallStatus", c.value("status", "completed")},
          {"CallDuration", std::to_string(c.value("duration_seconds", 42))}};
}

// Twilio's scheme, written from its documentation: the URL, then each parameter sorted by name
// (then value) as name + value, HMAC-SHA1 with the auth token, base64.
std::string twilio_sign(const std::string& token, const std::string& url,
                        std::vector<std::pair<std::string, std::string>> params) {
  std::sort(params.begin(), params.end());
  std::string data = url;
  for (const auto& [k, v] : params)
    data += k + v;
  return crm::crypto::base64_encode(crm::crypto::hmac_sha1(token, data));
}

std::string flip(std::string sig) {
  if (!sig.empty()) sig[sig.size() / 2] = sig[sig.size() / 2] == 'a' ? 'b' : 'a';
  return sig;
}

} // namespace

void add_webhook_sender(httplib::Server& srv, State&) {
  srv.Post("/__sim/webhooks/send", [](const Request& req, Response& res) {
    auto in = json::parse(req.body, nullptr, false);
    auto bad = [&](const std::string& why) {
      res.status = 400;
      res.set_content(json{{"error", why}}.dump(), "application/json");
    };
    if (!in.is_object()) return bad("body must be a JSON object");
    const std::string provider = in.value("provider", "");
    const std::string event = in.value("event", "");
    const std::string url = in.value("url", "");
    const std::string secret = in.value("secret", "");
    const std::string mode = in.value("signature", "valid");
    const int repeat = std::clamp(in.value("repeat", 1), 1, 1000);
    const json call = in.value("call", json::object());
    if (url.rfind("http://", 0) != 0) return bad("url must be an http:// URL");
    auto slash = url.find('/', 7);
    const std::string host = url.substr(7, slash == std::string::npos ? std::string::npos : slash - 7);
    const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
    const long long now = mode == "stale" ? now_s() - 3 * 3600 : now_s();

    std::string body, content_type = "application/json";
    httplib::Headers headers;
    if (provider == "vapi") {
      if (event != "end-of-call-report" && event != "status-update") return bad("vapi event?");
      body = vapi_payload(event, call).dump();
      const std::string auth = in.value("vapi_auth", "hmac");
      const std::string ts = std::to_string(now);
      std::string sig = crm::crypto::hex(crm::crypto::hmac_sha256(secret, ts + "." + body));
      if (mode == "tampered") sig = flip(sig);
      if (mode != "missing") {
        if (auth == "bearer") headers.emplace("Authorization", "Bearer " + (mode == "tampered" ? flip(secret) : secret));
        else if (auth == "legacy") headers.emplace("X-Vapi-Secret", mode == "tampered" ? flip(secret) : secret);
        else {
          headers.emplace("x-timestamp", ts);
          headers.emplace("x-signature", sig);
        }
      }
    } else if (provider == "elevenlabs") {
      body = elevenlabs_payload(call).dump();
      const std::string ts = std::to_string(now);
      std::string sig = crm::crypto::hex(crm::crypto::hmac_sha256(secret, ts + "." + body));
      if (mode == "tampered") sig = flip(sig);
      if (mode != "missing") headers.emplace("ElevenLabs-Signature", "t=" + ts + ",v0=" + sig);
    } else if (provider == "retell") {
      if (event != "call_started" && event != "call_ended" && event != "call_analyzed")
        return bad("retell event?");
      body = retell_payload(event, call).dump();
      const std::string v = std::to_string(now * 1000);
      std::string sig = crm::crypto::hex(crm::crypto::hmac_sha256(secret, body + v));
      if (mode == "tampered") sig = flip(sig);
      if (mode != "missing") headers.emplace("x-retell-signature", "v=" + v + ",d=" + sig);
    } else if (provider == "twilio") {
      if (event != "sms" && event != "voice-status") return bad("twilio event?");
      auto params = twilio_params(event, in);
      for (const auto& [k, v] : params)
        body += (body.empty() ? "" : "&") + k + "=" + pct(v);
      content_type = "application/x-www-form-urlencoded";
      std::string sig = twilio_sign(secret, url, params);
      if (mode == "tampered") sig = flip(sig);
      if (mode != "missing") headers.emplace("X-Twilio-Signature", sig);
    } else {
      return bad("provider must be vapi, elevenlabs, retell or twilio");
    }

    httplib::Client cli("http://" + host);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(15);
    json statuses = json::array();
    std::string last_body;
    int last = 0;
    for (int i = 0; i < repeat; ++i) {
      auto r = cli.Post(target.c_str(), headers, body, content_type.c_str());
      last = r ? r->status : 0;
      last_body = r ? r->body : "";
      statuses.push_back(last);
    }
    res.set_content(json{{"sent", repeat}, {"statuses", statuses}, {"status", last}, {"body", last_body}}.dump(),
                    "application/json");
  });
}

} // namespace sim
