// A call's conversation as turns (who spoke, when, what): the one function every transcript
// consumer uses, whatever the provider delivered (lib/README.md "Transcripts").
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::transcripts {

/// Who spoke. `unknown` only for text before any speaker label in a free-text transcript.
enum class Role { agent, caller, unknown };

/// "agent", "caller", "unknown".
const char* role_name(Role r);
/// "Agent", "Caller", "Unknown" (the txt export's labels).
const char* role_label(Role r);

/// One turn of a conversation.
struct Turn {
  Role role = Role::unknown;
  /// Seconds from the start of the call; nullopt when the source carries no time.
  std::optional<double> offset_s;
  std::string text;
  bool operator==(const Turn&) const = default;
};

/// A turn whose text is borrowed: from the transcript given to call_turns_into(), or from the
/// TurnBuffer that holds it.
struct TurnView {
  Role role = Role::unknown;
  std::optional<double> offset_s;
  std::string_view text;
};

/// Reusable storage for call_turns_into(): once warm, a free-text transcript is split into turns
/// without allocating (texts are views into the transcript where its lines are contiguous).
class TurnBuffer {
public:
  /// The turns of the last call_turns_into(); valid until the next one with this buffer and while
  /// the transcript it read lives.
  const std::vector<TurnView>& turns() const { return m_turns; }

private:
  friend void call_turns_into(std::string_view, std::string_view, TurnBuffer&);
  friend void parse_transcript_into(std::string_view, TurnBuffer&);
  std::vector<TurnView> m_turns;
  std::string m_joined;      // texts of turns whose lines are not contiguous in the transcript
  std::vector<Turn> m_owned; // turns read from metadata JSON
};

/// The turns of one call, from its stored columns. Preference order:
///  1. `metadata.turns`: [{"role": "agent"|"caller", "text": "...", "t": seconds}] — the key the
///     webhook daemon and `calls import` write (role also accepts the provider spellings below);
///  2. `metadata.transcript` as an array: ElevenLabs [{role: agent|user, message,
///     time_in_call_secs}];
///  3. `metadata.artifact.messages`: Vapi [{role: bot|assistant|user, message, secondsFromStart}]
///     (system and tool messages skipped);
///  4. otherwise the `transcript` text, parsed by parse_transcript_text().
/// `metadata_json` may be empty or any JSON; a malformed or differently shaped metadata value
/// falls through to the next source, never fails. Items without text are skipped.
std::vector<Turn> call_turns(std::string_view transcript, std::string_view metadata_json);

/// call_turns() into `out` (same turns, same order), reusing its storage.
void call_turns_into(std::string_view transcript, std::string_view metadata_json, TurnBuffer& out);

/// Parses a free-text transcript: one turn per line that starts with a speaker label
/// (`AI:`, `Agent:`, `Assistant:`, `Bot:` → agent; `User:`, `Caller:`, `Customer:` → caller;
/// case-insensitive), optionally after a time `[mm:ss]` or `[h:mm:ss]` (the txt export's own
/// format, so an export parses back). Any other line continues the previous turn (joined with
/// "\n"; up to two leading spaces of indentation removed); blank lines between turns are dropped;
/// CRLF is read as LF. Text before the first label becomes one `unknown` turn.
std::vector<Turn> parse_transcript_text(std::string_view text);
/// parse_transcript_text() into `out`, reusing its storage.
void parse_transcript_into(std::string_view text, TurnBuffer& out);

/// `[mm:ss]` of an offset (minutes may exceed 59: `[75:02]`), `[--:--]` without one.
std::string format_offset(std::optional<double> offset_s);

} // namespace crm::transcripts
