// Provider webhook payloads (already verified) normalised into one call or message event, per the
// column mapping of seed 002 and shared/docs/providers.md. Pure and defensive: any field may be
// missing or of the wrong type; money is kept as its JSON token text (never a double).
#pragma once
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::webhook {

/// How far a call's lifecycle an event reaches: a later stage never loses to an earlier one.
enum class Stage { none = 0, started = 1, ended = 2, analyzed = 3 };

/// One call event. Optional fields absent from the payload stay empty: an upsert must keep what
/// an earlier (or later) event already stored.
struct CallEvent {
  std::string provider;   // vapi | elevenlabs | retell | twilio
  std::string event_key;  // the provider's event identity (dedupe), e.g. "<call id>:call_ended"
  std::string event_type; // as the provider named it
  Stage stage = Stage::none;
  std::string external_call_id;
  std::string agent_external_id; // Vapi assistantId, ElevenLabs/Retell agent_id
  std::string phone_number_id;   // Vapi phoneNumberId
  std::string call_type = "phone"; // phone | web
  std::optional<std::string> direction, from_number, to_number, caller_name;
  std::optional<std::string> started_at, ended_at; // RFC 3339 UTC
  std::optional<long long> duration_seconds;
  std::optional<std::string> cost; // exact decimal text (Retell's cents converted to dollars)
  std::optional<std::string> transcript, summary, recording_url, sentiment, ended_reason,
      transfer_to, status;
  std::optional<std::string> sentiment_score; // exact decimal text
  nlohmann::json turns = nlohmann::json::array(); // [{"role":"agent"|"caller","text","t"}]
};

/// One SMS (Twilio inbound message or status callback).
struct MessageEvent {
  std::string provider = "twilio";
  std::string event_key; // "<MessageSid>:<status>"
  std::string external_id, direction, from, to, body, status;
};

/// A verified payload the daemon acknowledges without storing a call (a tool-calls request, a
/// transcript fragment): the reason is logged.
struct Ignored {
  std::string reason;
};

struct Normalized {
  std::optional<CallEvent> call;
  std::optional<MessageEvent> message;
  std::optional<Ignored> ignored;
};

/// Vapi server message `{"message":{...}}`: end-of-call-report, status-update; others ignored.
Result<Normalized> normalize_vapi(std::string_view body);
/// ElevenLabs post_call_transcription.
Result<Normalized> normalize_elevenlabs(std::string_view body);
/// Retell call_started / call_ended / call_analyzed.
Result<Normalized> normalize_retell(std::string_view body);
/// Twilio form posts: `sms` (inbound message or message status) or `voice-status`.
Result<Normalized> normalize_twilio(std::string_view route,
                                    const std::vector<std::pair<std::string, std::string>>& form);

} // namespace crm::webhook
