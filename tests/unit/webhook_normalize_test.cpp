// Provider payloads normalised into call and message events (seed 002's column mapping).
#include "webhook/normalize.hpp"
#include "webhook/verify.hpp"

#include "core/input.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace crm::webhook;

TEST(WebhookNormalize, VapiEndOfCallReport) {
  const std::string body = R"({"message":{"type":"end-of-call-report","endedReason":"customer-ended-call",
    "cost":0.123456789012345678,"startedAt":"2026-11-03T09:15:00.000Z","endedAt":"2026-11-03T09:17:05.500Z",
    "durationSeconds":125.5,"analysis":{"summary":"Booked a cleaning","sentiment":"positive","sentimentScore":0.92},
    "artifact":{"transcript":"AI: Hello\nUser: Hi","recordingUrl":"https://rec.example/r1.wav",
      "messages":[{"role":"system","message":"prompt"},{"role":"bot","message":"Hello","secondsFromStart":0.4},
                  {"role":"user","message":"Hi","secondsFromStart":2.25}]},
    "call":{"id":"call_1","type":"inboundPhoneCall","assistantId":"asst_9","phoneNumberId":"pn_1",
            "customer":{"number":"+15551230001","name":"Ana"}},"phoneNumber":{"number":"+15559870000"}}})";
  auto n = normalize_vapi(body);
  ASSERT_TRUE(n) << n.error().message;
  ASSERT_TRUE(n->call);
  const auto& c = *n->call;
  EXPECT_EQ(c.event_key, "call_1:end-of-call-report");
  EXPECT_EQ(c.stage, Stage::analyzed);
  EXPECT_EQ(c.agent_external_id, "asst_9");
  EXPECT_EQ(c.phone_number_id, "pn_1");
  EXPECT_EQ(c.cost, "0.123456789012345678"); // exact, never a double
  EXPECT_EQ(c.duration_seconds, 126);        // 125.5 rounded half up
  EXPECT_EQ(c.from_number, "+15551230001");
  EXPECT_EQ(c.to_number, "+15559870000");
  EXPECT_EQ(c.caller_name, "Ana");
  EXPECT_EQ(c.direction, "inbound");
  EXPECT_EQ(c.summary, "Booked a cleaning");
  EXPECT_EQ(c.sentiment_score, "0.92");
  EXPECT_EQ(c.recording_url, "https://rec.example/r1.wav");
  ASSERT_EQ(c.turns.size(), 2u);
  EXPECT_EQ(c.turns[0]["role"], "agent");
  EXPECT_EQ(c.turns[1]["text"], "Hi");
  EXPECT_EQ(c.turns[1]["t"], "2.3");
}

TEST(WebhookNormalize, VapiStatusUpdatesAndIgnoredTypes) {
  auto s = normalize_vapi(R"({"message":{"type":"status-update","status":"in-progress","call":{"id":"c2","type":"webCall"}}})");
  ASSERT_TRUE(s && s->call);
  EXPECT_EQ(s->call->stage, Stage::started);
  EXPECT_EQ(s->call->call_type, "web");
  EXPECT_EQ(s->call->event_key, "c2:status-update:in-progress");
  auto t = normalize_vapi(R"({"message":{"type":"tool-calls","toolCallList":[]}})");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->ignored);
  for (const char* bad : {R"({"message":{"type":"end-of-call-report","call":{}}})", R"({"message":7})",
                          R"([1])", R"({"message":{"type":"end-of-call-report","call":{"id":"a\u0001b"}}})",
                          "{not json"})
    EXPECT_FALSE(normalize_vapi(bad)) << bad;
}

TEST(WebhookNormalize, ElevenLabsPostCallTranscription) {
  const std::string body = R"({"type":"post_call_transcription","event_timestamp":1763800000,
    "data":{"agent_id":"agent_r","conversation_id":"conv_1","status":"done",
      "transcript":[{"role":"agent","message":"Hello!","time_in_call_secs":0},
                    {"role":"user","message":"I need\u0000 a cleaning","time_in_call_secs":3}],
      "metadata":{"start_time_unix_secs":1763799000,"call_duration_secs":61,"cost":512,
                  "phone_call":{"direction":"inbound","external_number":"+15551230002","agent_number":"+15559870000"}},
      "analysis":{"transcript_summary":"Wants a cleaning","call_successful":"success"}}})";
  auto n = normalize_elevenlabs(body);
  ASSERT_TRUE(n && n->call) << (n ? "" : n.error().message);
  const auto& c = *n->call;
  EXPECT_EQ(c.event_key, "conv_1:post_call_transcription");
  EXPECT_EQ(c.started_at, "2025-11-22T08:10:00Z");
  EXPECT_EQ(c.ended_at, "2025-11-22T08:11:01Z");
  EXPECT_EQ(c.duration_seconds, 61);
  EXPECT_EQ(c.cost, "512");
  EXPECT_EQ(c.from_number, "+15551230002");
  EXPECT_EQ(c.summary, "Wants a cleaning");
  EXPECT_EQ(c.transcript, "Agent: Hello!\nCaller: I need\xEF\xBF\xBD a cleaning"); // NUL replaced
  EXPECT_EQ(c.turns.size(), 2u);
  auto web = normalize_elevenlabs(R"({"type":"post_call_transcription","data":{"conversation_id":"w1"}})");
  ASSERT_TRUE(web && web->call);
  EXPECT_EQ(web->call->call_type, "web");
}

TEST(WebhookNormalize, RetellCentsBecomeExactDollars) {
  const std::string body = R"({"event":"call_ended","call":{"call_id":"r1","agent_id":"ag","call_type":"phone_call",
    "direction":"inbound","from_number":"+15551230003","to_number":"+15559870000","start_timestamp":1763799000123,
    "end_timestamp":1763799061123,"duration_ms":61000,"disconnection_reason":"user_hangup",
    "call_cost":{"combined_cost":12.3456}}})";
  auto n = normalize_retell(body);
  ASSERT_TRUE(n && n->call);
  EXPECT_EQ(n->call->cost, "0.123456");
  EXPECT_EQ(n->call->stage, Stage::ended);
  EXPECT_EQ(n->call->duration_seconds, 61);
  EXPECT_EQ(n->call->started_at, "2025-11-22T08:10:00Z");
  EXPECT_EQ(n->call->ended_reason, "user_hangup");
  auto other = normalize_retell(R"({"event":"call_transferred","call":{"call_id":"r1"}})");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->ignored);
}

TEST(WebhookNormalize, TwilioSmsAndVoiceStatus) {
  auto form = decode_form("MessageSid=SM123&SmsStatus=received&From=%2B15551230004&To=%2B15559870000&Body=Hi+there");
  ASSERT_TRUE(form);
  auto sms = normalize_twilio("sms", *form);
  ASSERT_TRUE(sms && sms->message);
  EXPECT_EQ(sms->message->direction, "inbound");
  EXPECT_EQ(sms->message->body, "Hi there");
  EXPECT_EQ(sms->message->event_key, "SM123:received");
  auto vs = decode_form("CallSid=CA9&CallStatus=completed&Direction=inbound&From=%2B15551230004&To=%2B15559870000&CallDuration=42");
  auto v = normalize_twilio("voice-status", *vs);
  ASSERT_TRUE(v && v->call);
  EXPECT_EQ(v->call->stage, Stage::ended);
  EXPECT_EQ(v->call->duration_seconds, 42);
  EXPECT_EQ(v->call->event_key, "CA9:completed");
  EXPECT_FALSE(normalize_twilio("sms", {{"MessageSid", "SM1'; DROP"}}));
  EXPECT_FALSE(normalize_twilio("voice-status", {}));
}

TEST(WebhookNormalize, CostsKeepEveryDigitSentWhateverTheScale) {
  // An unconstrained numeric column: no scale limit, no rounding, exponents expanded exactly.
  auto vapi = [](const std::string& cost) {
    auto n = normalize_vapi(R"({"message":{"type":"end-of-call-report","cost":)" + cost +
                            R"(,"call":{"id":"c1"}}})");
    return n && n->call ? n->call->cost : std::optional<std::string>("(failed)");
  };
  EXPECT_EQ(vapi("0.12345678901234567890123"), "0.12345678901234567890123");
  EXPECT_EQ(vapi("123456789012345678901234.5"), "123456789012345678901234.5");
  EXPECT_EQ(vapi("1.5e-3"), "0.0015");
  EXPECT_EQ(vapi("2E2"), "200");
  EXPECT_EQ(vapi("\"0.0700\""), "0.0700");
  EXPECT_EQ(vapi("-0.5"), "-0.5");
  EXPECT_EQ(vapi("1e200"), std::nullopt); // beyond any sane cost: not stored rather than wrong
  EXPECT_EQ(vapi("\"12abc\""), std::nullopt);
  auto retell = [](const std::string& cents) {
    auto n = normalize_retell(R"({"event":"call_ended","call":{"call_id":"r1","call_cost":{"combined_cost":)" +
                              cents + "}}}");
    return n && n->call ? n->call->cost : std::optional<std::string>("(failed)");
  };
  EXPECT_EQ(retell("7"), "0.07");
  EXPECT_EQ(retell("1250"), "12.50");
  EXPECT_EQ(retell("0.123456789012345678901"), "0.00123456789012345678901");
  EXPECT_EQ(retell("1.5e1"), "0.15");
}

// Event keys, statuses and stored text stay valid UTF-8 whatever arrives: a key cut inside a
// character, or a form field's raw bytes, made the inbox row and the group commit's match differ
// (an event stored as processed but answered as a duplicate, never applied).
TEST(WebhookNormalize, KeysAndTextStayValidUtf8) {
  const std::string status = std::string(39, 'a') + "\xc3\xa9" + "zz"; // é straddles byte 40
  auto s = normalize_vapi(R"({"message":{"type":"status-update","status":")" + status +
                          R"(","call":{"id":"c7","type":"webCall"}}})");
  ASSERT_TRUE(s && s->call);
  EXPECT_EQ(s->call->event_key, "c7:status-update:" + std::string(39, 'a'));
  EXPECT_TRUE(is_valid_utf8(s->call->event_key));
  const std::string long_type = "\xe2\x9c\x93" + std::string(38, 'x') + "\xe2\x9c\x93"; // ✓...✓
  auto ig = normalize_vapi(R"({"message":{"type":")" + long_type + R"("}})");
  ASSERT_TRUE(ig && ig->ignored);
  EXPECT_TRUE(is_valid_utf8(ig->ignored->reason)) << ig->ignored->reason;

  auto form = decode_form("MessageSid=SM9&MessageStatus=%FF%FEsent%C3&From=%2B15551230004&To=%2B15559870000"
                          "&Body=caf%C3%A9+%E2%82+end");
  ASSERT_TRUE(form);
  auto sms = normalize_twilio("sms", *form);
  ASSERT_TRUE(sms && sms->message);
  EXPECT_TRUE(is_valid_utf8(sms->message->event_key)) << sms->message->event_key;
  EXPECT_TRUE(is_valid_utf8(sms->message->status));
  EXPECT_TRUE(is_valid_utf8(sms->message->body));
  EXPECT_EQ(sms->message->body, "caf\xc3\xa9 \xef\xbf\xbd end"); // valid text kept, the cut one marked
  EXPECT_FALSE(decode_form("Body=a%00b")); // NUL refused at the edge
  auto vs = decode_form("CallSid=CA7&CallStatus=" + std::string(31, 'b') + "%C3%A9&Direction=inbound");
  auto v = normalize_twilio("voice-status", *vs);
  ASSERT_TRUE(v && v->call);
  EXPECT_EQ(v->call->event_key, "CA7:" + std::string(31, 'b'));
}
