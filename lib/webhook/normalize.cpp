#include "webhook/normalize.hpp"

#include "core/clock.hpp"
#include "core/input.hpp"
#include "core/json_exact.hpp"
#include "core/money.hpp"
#include "core/rfc3339.hpp"

#include <cctype>
#include <initializer_list>

namespace crm::webhook {

namespace {

using json = nlohmann::json;

// The value at a path of object keys, or nullptr when any step is missing or not an object.
const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// Stored text: a NUL (which PostgreSQL text cannot hold) and ill-formed UTF-8 (a form field's
// percent-decoded bytes; the JSON parser refuses it already) become U+FFFD; the rest is kept
// (output escaping handles terminals).
std::string clean(std::string s) {
  if (s.find('\0') == std::string::npos && is_valid_utf8(s)) return s;
  std::string valid = to_valid_utf8(s);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\0')
      out += "\xEF\xBF\xBD";
    else
      out.push_back(c);
  }
  return out;
}

// At most `max` bytes of the valid UTF-8 `s`, never cutting a character in two (an event key
// must stay valid UTF-8: the inbox dedupes on it and the group commit matches it byte for byte).
std::string key_part(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return std::string(s.substr(0, n));
}

std::optional<std::string> text(const json* v) {
  if (!v || !v->is_string()) return std::nullopt;
  std::string s = clean(v->get<std::string>());
  if (s.empty()) return std::nullopt;
  return s;
}

// An identifier (call id, agent id): a string or an integer, 1-200 bytes, no control characters.
std::optional<std::string> ident(const json* v) {
  std::string s;
  if (v && v->is_string()) s = v->get<std::string>();
  else if (v && v->is_number_integer()) s = std::to_string(v->get<long long>());
  if (s.empty() || s.size() > 200) return std::nullopt;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return s;
}

// A decimal as its exact text (the exact parser keeps non-integer numbers as their token).
std::optional<Decimal> decimal(const json* v) {
  std::string s;
  if (v && v->is_string()) s = v->get<std::string>();
  else if (v && v->is_number_integer()) s = std::to_string(v->get<long long>());
  else if (v && v->is_number_unsigned()) s = std::to_string(v->get<unsigned long long>());
  if (s.empty()) return std::nullopt;
  auto d = Decimal::parse(s, {20, 18});
  if (!d) return std::nullopt;
  return *d;
}

std::optional<std::string> shift_point(bool negative, const std::string& whole,
                                       const std::string& frac, long exponent);

// A number as plain decimal text, exactly as sent: a JSON number token (the exact parser keeps
// it as text) or a numeric string; an exponent is expanded ("1.5e-3" -> "0.0015"). nullopt when it
// is no number or would expand beyond 100 digits. Provider costs go to an unconstrained numeric:
// no scale limit, no rounding.
std::optional<std::string> decimal_text(const json* v) {
  std::string s;
  if (v && v->is_string()) s = v->get<std::string>();
  else if (v && v->is_number_integer()) s = std::to_string(v->get<long long>());
  else if (v && v->is_number_unsigned()) s = std::to_string(v->get<unsigned long long>());
  if (s.empty() || s.size() > 100) return std::nullopt;
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  auto digits_from = [&](std::size_t& at) {
    std::size_t start = at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])))
      ++at;
    return s.substr(start, at - start);
  };
  std::string whole = digits_from(i), frac;
  if (whole.empty()) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac = digits_from(i);
    if (frac.empty()) return std::nullopt;
  }
  long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg_exp = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg_exp = s[i++] == '-';
    std::string e = digits_from(i);
    if (e.empty() || e.size() > 3) return std::nullopt;
    exponent = std::stol(e) * (neg_exp ? -1 : 1);
  }
  if (i != s.size()) return std::nullopt;
  return shift_point(negative, whole, frac, exponent);
}

// Digits with the decimal point moved `exponent` places to the right (left when negative), as
// plain text without superfluous leading zeros; nullopt beyond 100 digits.
std::optional<std::string> shift_point(bool negative, const std::string& whole,
                                       const std::string& frac, long exponent) {
  const std::string digits = whole + frac;
  const long point = static_cast<long>(whole.size()) + exponent;
  if (point > 100 || point < -100) return std::nullopt;
  std::string in, fr;
  if (point <= 0) {
    in = "0";
    fr = std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (point >= static_cast<long>(digits.size())) {
    in = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    in = digits.substr(0, static_cast<std::size_t>(point));
    fr = digits.substr(static_cast<std::size_t>(point));
  }
  while (in.size() > 1 && in[0] == '0')
    in.erase(0, 1);
  std::string out = (negative ? "-" : "") + in + (fr.empty() ? "" : "." + fr);
  if (out.size() > 102) return std::nullopt;
  return out;
}

// Whole seconds from a decimal number of seconds (rounded half up) within 0..7 days.
std::optional<long long> seconds(const json* v, int shift_digits = 0) {
  auto d = decimal(v);
  if (!d || d->is_negative()) return std::nullopt;
  std::string whole = shift_digits ? d->divided_by(1000, 0).to_string(0) : d->to_string(0);
  if (whole.size() > 7) return std::nullopt;
  long long s = std::stoll(whole);
  if (s > 7 * 86400) return std::nullopt;
  return s;
}

std::string rfc3339_of(long long unix_seconds) {
  return format_rfc3339(TimePoint(std::chrono::seconds(unix_seconds)));
}

// A timestamp given as RFC 3339 text, kept when it parses.
std::optional<std::string> iso_time(const json* v) {
  auto s = text(v);
  if (!s || !parse_rfc3339(*s)) return std::nullopt;
  return s;
}

// Unix seconds (or milliseconds with `ms`) as RFC 3339, within 1970..2999.
std::optional<std::string> unix_time(const json* v, bool ms) {
  auto d = decimal(v);
  if (!d || d->is_negative()) return std::nullopt;
  std::string whole = ms ? d->divided_by(1000, 0).to_string(0) : d->to_string(0);
  if (whole.size() > 11) return std::nullopt;
  long long s = std::stoll(whole);
  if (s > 32503680000LL) return std::nullopt;
  return rfc3339_of(s);
}

Result<json> parse(std::string_view body, const char* provider) {
  auto j = parse_json_exact(body, std::string(provider) + " payload");
  if (!j) return std::move(j).error();
  if (!j->is_object())
    return make_error(ErrorKind::usage, std::string(provider) + " payload is not a JSON object");
  return j;
}

Error bad(const std::string& what) { return Error{ErrorKind::usage, what}; }

void add_turn(CallEvent& c, const std::string& role, const json* msg, const json* t) {
  auto m = text(msg);
  if (!m) return;
  json turn = {{"role", role}, {"text", *m}};
  if (auto d = decimal(t)) turn["t"] = d->round_half_up(1).to_string();
  c.turns.push_back(std::move(turn));
}

} // namespace

Result<Normalized> normalize_vapi(std::string_view body) {
  CRM_TRY_ASSIGN(auto j, parse(body, "Vapi"));
  const json* msg = at(j, {"message"});
  if (!msg || !msg->is_object()) return bad("Vapi payload has no message object");
  const std::string type = text(at(*msg, {"type"})).value_or("");
  Normalized out;
  if (type != "end-of-call-report" && type != "status-update") {
    out.ignored = Ignored{"Vapi message type '" + key_part(type, 40) + "' is not stored"};
    return out;
  }
  CallEvent c;
  c.provider = "vapi";
  c.event_type = type;
  auto id = ident(at(*msg, {"call", "id"}));
  if (!id) return bad("Vapi " + type + " without call.id");
  c.external_call_id = *id;
  c.agent_external_id = ident(at(*msg, {"call", "assistantId"}))
                            .value_or(ident(at(*msg, {"assistant", "id"})).value_or(""));
  c.phone_number_id = ident(at(*msg, {"call", "phoneNumberId"})).value_or("");
  const std::string call_type = text(at(*msg, {"call", "type"})).value_or("");
  if (call_type == "webCall") {
    c.call_type = "web";
  } else if (call_type == "outboundPhoneCall") {
    c.direction = "outbound";
  } else if (call_type == "inboundPhoneCall") {
    c.direction = "inbound";
  }
  auto customer = text(at(*msg, {"call", "customer", "number"}));
  auto ours = text(at(*msg, {"phoneNumber", "number"}));
  if (c.direction == std::optional<std::string>("outbound")) {
    c.to_number = customer;
    c.from_number = ours;
  } else {
    c.from_number = customer;
    c.to_number = ours;
  }
  c.caller_name = text(at(*msg, {"call", "customer", "name"}));
  if (type == "status-update") {
    c.status = text(at(*msg, {"status"}));
    const std::string st = c.status.value_or("");
    c.stage = st == "in-progress" ? Stage::started : (st == "ended" ? Stage::ended : Stage::none);
    c.event_key = c.external_call_id + ":status-update:" + key_part(st, 40);
    if (st == "ended") c.ended_reason = text(at(*msg, {"endedReason"}));
    out.call = std::move(c);
    return out;
  }
  c.stage = Stage::analyzed;
  c.event_key = c.external_call_id + ":end-of-call-report";
  c.status = "completed";
  c.ended_reason = text(at(*msg, {"endedReason"}));
  c.cost = decimal_text(at(*msg, {"cost"}));
  c.started_at = iso_time(at(*msg, {"startedAt"}));
  if (!c.started_at) c.started_at = iso_time(at(*msg, {"call", "startedAt"}));
  c.ended_at = iso_time(at(*msg, {"endedAt"}));
  if (!c.ended_at) c.ended_at = iso_time(at(*msg, {"call", "endedAt"}));
  c.duration_seconds = seconds(at(*msg, {"durationSeconds"}));
  if (!c.duration_seconds && c.started_at && c.ended_at) {
    auto a = parse_rfc3339(*c.started_at), b = parse_rfc3339(*c.ended_at);
    if (a && b && *b >= *a) c.duration_seconds = *b - *a;
  }
  c.summary = text(at(*msg, {"analysis", "summary"}));
  if (!c.summary) c.summary = text(at(*msg, {"summary"}));
  c.sentiment = text(at(*msg, {"analysis", "sentiment"}));
  c.sentiment_score = decimal_text(at(*msg, {"analysis", "sentimentScore"}));
  c.transcript = text(at(*msg, {"artifact", "transcript"}));
  if (!c.transcript) c.transcript = text(at(*msg, {"transcript"}));
  c.recording_url = text(at(*msg, {"artifact", "recordingUrl"}));
  if (!c.recording_url) c.recording_url = text(at(*msg, {"recordingUrl"}));
  c.transfer_to = text(at(*msg, {"destination", "number"}));
  if (const json* msgs = at(*msg, {"artifact", "messages"}); msgs && msgs->is_array()) {
    for (const auto& m : *msgs) {
      const std::string role = text(at(m, {"role"})).value_or("");
      if (role == "bot" || role == "assistant")
        add_turn(c, "agent", at(m, {"message"}), at(m, {"secondsFromStart"}));
      else if (role == "user")
        add_turn(c, "caller", at(m, {"message"}), at(m, {"secondsFromStart"}));
    }
  }
  out.call = std::move(c);
  return out;
}

Result<Normalized> normalize_elevenlabs(std::string_view body) {
  CRM_TRY_ASSIGN(auto j, parse(body, "ElevenLabs"));
  Normalized out;
  const std::string type = text(at(j, {"type"})).value_or("");
  if (type != "post_call_transcription") {
    out.ignored = Ignored{"ElevenLabs event type '" + key_part(type, 40) + "' is not stored"};
    return out;
  }
  const json* data = at(j, {"data"});
  if (!data || !data->is_object()) return bad("ElevenLabs payload has no data object");
  CallEvent c;
  c.provider = "elevenlabs";
  c.event_type = type;
  c.stage = Stage::analyzed;
  auto id = ident(at(*data, {"conversation_id"}));
  if (!id) return bad("ElevenLabs post_call_transcription without data.conversation_id");
  c.external_call_id = *id;
  c.event_key = *id + ":post_call_transcription";
  c.agent_external_id = ident(at(*data, {"agent_id"})).value_or("");
  c.status = text(at(*data, {"status"}));
  const json* meta = at(*data, {"metadata"});
  const json* phone_call = meta ? at(*meta, {"phone_call"}) : nullptr;
  if (!phone_call || !phone_call->is_object()) c.call_type = "web"; // no phone leg: a web call
  if (meta) {
    c.cost = decimal_text(at(*meta, {"cost"}));
    c.duration_seconds = seconds(at(*meta, {"call_duration_secs"}));
    c.started_at = unix_time(at(*meta, {"start_time_unix_secs"}), false);
    if (auto s = decimal(at(*meta, {"start_time_unix_secs"})); s && c.duration_seconds && c.started_at)
      c.ended_at = rfc3339_of(std::stoll(s->to_string(0)) + *c.duration_seconds);
    const json* phone = at(*meta, {"phone_call"});
    if (phone && phone->is_object()) {
      c.direction = text(at(*phone, {"direction"}));
      auto external = text(at(*phone, {"external_number"}));
      auto agent = text(at(*phone, {"agent_number"}));
      if (c.direction == std::optional<std::string>("outbound")) {
        c.from_number = agent;
        c.to_number = external;
      } else {
        c.from_number = external;
        c.to_number = agent;
      }
    }
  }
  c.summary = text(at(*data, {"analysis", "transcript_summary"}));
  std::string joined;
  if (const json* tr = at(*data, {"transcript"}); tr && tr->is_array()) {
    for (const auto& t : *tr) {
      const std::string role = text(at(t, {"role"})).value_or("") == "agent" ? "agent" : "caller";
      add_turn(c, role, at(t, {"message"}), at(t, {"time_in_call_secs"}));
      if (auto m = text(at(t, {"message"})))
        joined += (joined.empty() ? "" : "\n") + std::string(role == "agent" ? "Agent: " : "Caller: ") + *m;
    }
  }
  if (!joined.empty()) c.transcript = joined;
  out.call = std::move(c);
  return out;
}

Result<Normalized> normalize_retell(std::string_view body) {
  CRM_TRY_ASSIGN(auto j, parse(body, "Retell"));
  Normalized out;
  const std::string event = text(at(j, {"event"})).value_or("");
  Stage stage = event == "call_started" ? Stage::started
                : event == "call_ended" ? Stage::ended
                : event == "call_analyzed" ? Stage::analyzed
                                           : Stage::none;
  if (stage == Stage::none) {
    out.ignored = Ignored{"Retell event '" + key_part(event, 40) + "' is not stored"};
    return out;
  }
  const json* call = at(j, {"call"});
  if (!call || !call->is_object()) return bad("Retell payload has no call object");
  CallEvent c;
  c.provider = "retell";
  c.event_type = event;
  c.stage = stage;
  auto id = ident(at(*call, {"call_id"}));
  if (!id) return bad("Retell " + event + " without call.call_id");
  c.external_call_id = *id;
  c.event_key = *id + ":" + event;
  c.agent_external_id = ident(at(*call, {"agent_id"})).value_or("");
  if (text(at(*call, {"call_type"})).value_or("") == "web_call") c.call_type = "web";
  c.direction = text(at(*call, {"direction"}));
  c.from_number = text(at(*call, {"from_number"}));
  c.to_number = text(at(*call, {"to_number"}));
  c.started_at = unix_time(at(*call, {"start_timestamp"}), true);
  c.ended_at = unix_time(at(*call, {"end_timestamp"}), true);
  c.duration_seconds = seconds(at(*call, {"duration_ms"}), 3);
  c.transcript = text(at(*call, {"transcript"}));
  c.recording_url = text(at(*call, {"recording_url"}));
  c.ended_reason = text(at(*call, {"disconnection_reason"}));
  c.status = text(at(*call, {"call_status"}));
  // Retell reports cents: the cost is stored in the currency's units, exactly (cents x 0.01).
  if (auto cents = decimal_text(at(*call, {"call_cost", "combined_cost"}))) {
    const bool neg = (*cents)[0] == '-';
    const std::string abs = cents->substr(neg ? 1 : 0);
    const auto dot = abs.find('.');
    c.cost = shift_point(neg, abs.substr(0, dot),
                         dot == std::string::npos ? "" : abs.substr(dot + 1), -2);
  }
  c.summary = text(at(*call, {"call_analysis", "call_summary"}));
  c.sentiment = text(at(*call, {"call_analysis", "user_sentiment"}));
  if (const json* tr = at(*call, {"transcript_object"}); tr && tr->is_array()) {
    for (const auto& t : *tr) {
      const json* start = nullptr;
      if (const json* words = at(t, {"words"}); words && words->is_array() && !words->empty())
        start = at((*words)[0], {"start"});
      add_turn(c, text(at(t, {"role"})).value_or("") == "agent" ? "agent" : "caller",
               at(t, {"content"}), start);
    }
  }
  out.call = std::move(c);
  return out;
}

Result<Normalized> normalize_twilio(std::string_view route,
                                    const std::vector<std::pair<std::string, std::string>>& form) {
  auto get = [&](const char* k) -> std::string {
    for (const auto& [key, v] : form)
      if (key == k) return clean(v);
    return "";
  };
  auto valid_id = [](const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (unsigned char c : s)
      if (!std::isalnum(c)) return false;
    return true;
  };
  Normalized out;
  if (route == "sms") {
    MessageEvent m;
    m.external_id = get("MessageSid");
    if (m.external_id.empty()) m.external_id = get("SmsSid");
    if (!valid_id(m.external_id)) return bad("Twilio SMS without a valid MessageSid");
    m.status = get("MessageStatus");
    if (m.status.empty()) m.status = get("SmsStatus");
    m.from = get("From");
    m.to = get("To");
    m.body = get("Body");
    m.direction = m.status == "received" || m.status.empty() ? "inbound" : "outbound";
    m.event_key = m.external_id + ":" + (m.status.empty() ? "received" : key_part(m.status, 32));
    out.message = std::move(m);
    return out;
  }
  if (route != "voice-status") return bad("unknown Twilio route");
  CallEvent c;
  c.provider = "twilio";
  c.external_call_id = get("CallSid");
  if (!valid_id(c.external_call_id)) return bad("Twilio voice status without a valid CallSid");
  const std::string st = get("CallStatus");
  c.status = st;
  c.event_type = "voice-status";
  c.event_key = c.external_call_id + ":" + key_part(st, 32);
  c.stage = (st == "ringing" || st == "in-progress" || st == "queued" || st == "initiated")
                ? Stage::started
                : (st.empty() ? Stage::none : Stage::ended);
  const std::string dir = get("Direction");
  if (!dir.empty()) c.direction = dir.rfind("outbound", 0) == 0 ? "outbound" : "inbound";
  if (auto f = get("From"); !f.empty()) c.from_number = f;
  if (auto t = get("To"); !t.empty()) c.to_number = t;
  if (auto name = get("CallerName"); !name.empty()) c.caller_name = name;
  if (auto d = get("CallDuration"); !d.empty()) {
    json v = d;
    c.duration_seconds = seconds(&v);
  }
  if (auto r = get("RecordingUrl"); !r.empty()) c.recording_url = r;
  out.call = std::move(c);
  return out;
}

} // namespace crm::webhook
