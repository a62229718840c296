// call_turns(): structured metadata first (our `turns`, ElevenLabs `transcript[]`, Vapi
// `artifact.messages`), else the transcript text with its speaker labels; the txt export's own
// lines parse back; JSON string escaping and --since/--until checking of the export.
#include "core/json_text.hpp"
#include "transcripts/export.hpp"
#include "transcripts/turns.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace crm;
using namespace crm::transcripts;

TEST(TranscriptTurns, LabelledTextWithContinuationLines) {
  auto t = parse_transcript_text("AI: Hello, Bright Smile Dental.\nUser: Hi, I need a cleaning\n"
                                 "next week if possible.\r\n\nAssistant: Sure.\nCustomer: ok\n"
                                 "bot: bye\nCALLER: Bye!\n");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0], (Turn{Role::agent, std::nullopt, "Hello, Bright Smile Dental."}));
  EXPECT_EQ(t[1], (Turn{Role::caller, std::nullopt, "Hi, I need a cleaning\nnext week if possible."}));
  EXPECT_EQ(t[2].role, Role::agent);
  EXPECT_EQ(t[3].role, Role::caller);
  EXPECT_EQ(t[4].role, Role::agent);
  EXPECT_EQ(t[5], (Turn{Role::caller, std::nullopt, "Bye!"}));
}

TEST(TranscriptTurns, TextBeforeAnyLabelIsUnknownAndNoLabelsIsOneTurn) {
  auto t = parse_transcript_text("call started\nAgent: hi\n");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (Turn{Role::unknown, std::nullopt, "call started"}));
  auto free = parse_transcript_text("just some notes\nwith two lines");
  ASSERT_EQ(free.size(), 1u);
  EXPECT_EQ(free[0].text, "just some notes\nwith two lines");
  EXPECT_TRUE(parse_transcript_text("").empty());
  EXPECT_TRUE(parse_transcript_text("\n\n\r\n").empty());
  // "Note:" is not a speaker: a continuation.
  auto note = parse_transcript_text("Agent: see below\nNote: bring your card");
  ASSERT_EQ(note.size(), 1u);
  EXPECT_EQ(note[0].text, "see below\nNote: bring your card");
}

TEST(TranscriptTurns, TimedLinesOfTheTxtExportParseBack) {
  auto t = parse_transcript_text("[00:00] Agent: Hello\n[01:05] Caller: line one\n  line two\n"
                                 "  Caller: not a new turn\n  \n[75:02] Agent: late\n"
                                 "[1:02:03] Agent: later\n[--:--] Caller: no time\n");
  ASSERT_EQ(t.size(), 5u) << t.back().text;
  EXPECT_EQ(t[0], (Turn{Role::agent, 0.0, "Hello"}));
  EXPECT_EQ(t[1], (Turn{Role::caller, 65.0, "line one\nline two\nCaller: not a new turn\n"}));
  EXPECT_EQ(t[2].offset_s, 75 * 60 + 2.0);
  EXPECT_EQ(t[3].offset_s, 3723.0);
  EXPECT_EQ(t[4].offset_s, std::nullopt);
  EXPECT_EQ(t[4].text, "no time");
  EXPECT_EQ(format_offset(65.9), "[01:05]");
  EXPECT_EQ(format_offset(4502.0), "[75:02]");
  EXPECT_EQ(format_offset(std::nullopt), "[--:--]");
}

TEST(TranscriptTurns, StructuredMetadataWins) {
  auto meta = R"({"turns":[{"role":"agent","text":"Hi","t":0},{"role":"caller","text":"Yo\nthere","t":2.5},
                 {"role":"system","text":"skip"},{"role":"caller","text":""}]})";
  auto t = call_turns("AI: ignored", meta);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (Turn{Role::agent, 0.0, "Hi"}));
  EXPECT_EQ(t[1], (Turn{Role::caller, 2.5, "Yo\nthere"}));
}

TEST(TranscriptTurns, ProviderShapesInMetadata) {
  // ElevenLabs post_call_transcription data.transcript
  auto el = call_turns("", R"({"transcript":[{"role":"agent","message":"Hello","time_in_call_secs":0},
                                             {"role":"user","message":"Hi","time_in_call_secs":3}]})");
  ASSERT_EQ(el.size(), 2u);
  EXPECT_EQ(el[1], (Turn{Role::caller, 3.0, "Hi"}));
  // Vapi end-of-call-report artifact.messages
  auto vapi = call_turns("", R"({"artifact":{"messages":[{"role":"system","message":"prompt"},
      {"role":"bot","message":"Hi there","secondsFromStart":0.52},
      {"role":"user","message":"Hello","secondsFromStart":2.1},
      {"role":"tool_calls","message":"x"}]}})");
  ASSERT_EQ(vapi.size(), 2u);
  EXPECT_EQ(vapi[0], (Turn{Role::agent, 0.52, "Hi there"}));
  EXPECT_EQ(vapi[1].role, Role::caller);
  // A transcript that is a string in metadata (Retell) is not an array: the text column is used.
  auto retell = call_turns("Agent: from the column", R"({"transcript":"Agent: from metadata"})");
  ASSERT_EQ(retell.size(), 1u);
  EXPECT_EQ(retell[0].text, "from the column");
}

TEST(TranscriptTurns, MalformedMetadataFallsBackToText) {
  for (const char* meta : {"", "{}", "null", "[1,2]", "{\"turns\": 5}", "{\"turns\": [1, \"x\"]}",
                           "{not json \"turns\"", "{\"turns\":[{\"role\":\"agent\"}]}"}) {
    auto t = call_turns("User: hi", meta);
    ASSERT_EQ(t.size(), 1u) << meta;
    EXPECT_EQ(t[0].role, Role::caller) << meta;
  }
  EXPECT_TRUE(call_turns("", "{}").empty());
}

TEST(TranscriptExportText, JsonStringsParseBackExactly) {
  for (std::string s : {std::string("plain"), std::string("quote \" and \\ backslash"),
                        std::string("new\nline\r\ttab"), std::string("ctl \x01\x1f\x7f"),
                        std::string("unicode é 🦷 日本 \u202e"), std::string("")}) {
    std::string out;
    append_json_string(out, s);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j.get<std::string>(), s) << out;
    EXPECT_EQ(out.find('\n'), std::string::npos);
  }
}

TEST(TranscriptExportText, TimestampsAreCheckedBeforeTheDatabaseSeesThem) {
  for (const char* ok : {"2026-01-25", "2026-01-25T09:00", "2026-01-25 09:00:00",
                         "2026-01-25T09:00:00Z", "2026-01-25T09:00:00.123456+05:30",
                         "2026-12-31T23:59:59-08:00"})
    EXPECT_TRUE(check_timestamp(ok, "--since")) << ok;
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-01-32", "2026-01-25T25:00",
                          "2026-01-25T09:00:00+0530", "2026-01-25'; DROP TABLE calls; --",
                          "2026-01-25T09:00:00.1234567Z", "26-01-25"}) {
    auto st = check_timestamp(bad, "--until");
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().kind, ErrorKind::usage);
    EXPECT_NE(st.error().message.find("--until"), std::string::npos);
  }
}

TEST(TranscriptExportText, ProgressLineShowsRateAndEta) {
  auto l = progress_line(500, 2000, std::chrono::milliseconds(1000));
  EXPECT_NE(l.find("500/2000 calls"), std::string::npos) << l;
  EXPECT_NE(l.find("500 calls/s"), std::string::npos) << l;
  EXPECT_NE(l.find("ETA 3s"), std::string::npos) << l;
  EXPECT_NE(progress_line(0, 0, std::chrono::milliseconds(0)).find("ETA --"), std::string::npos);
  EXPECT_NE(progress_line(10, 10, std::chrono::milliseconds(5)).find("ETA 0s"), std::string::npos);
}

TEST(TranscriptExportText, FormatNames) {
  EXPECT_EQ(*parse_format("txt"), Format::txt);
  EXPECT_EQ(*parse_format("jsonl"), Format::jsonl);
  EXPECT_EQ(*parse_format("csv"), Format::csv);
  EXPECT_FALSE(parse_format("pdf"));
  EXPECT_STREQ(format_name(Format::csv), "csv");
}
