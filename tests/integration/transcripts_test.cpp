// `transcripts export` and recording share links against a real PostgreSQL: every format parsed
// back and compared with call_turns() of the stored calls, unicode and line breaks inside turns,
// a call without transcript, another tenant's call id, hostile call data and planted symlinks,
// an interrupted export resumed (byte-identical to an uninterrupted one), a killed crmctl
// resumed, and the messages/audit trail of a share. Calls are inserted directly as the fixture's
// superuser (`calls import` is not needed).
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "support/tenant_fixture.hpp"
#include "transcripts/export.hpp"
#include "transcripts/recordings.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <set>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace crm;
using namespace crm::transcripts;
namespace fs = std::filesystem;

namespace {

constexpr db::TxMode k_snapshot{.isolation = db::TxIsolation::repeatable_read,
                                .access = db::TxAccess::read_only};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// A small RFC 4180 reader: records of fields (quoted fields may hold , " CR LF).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      ++i;
    } else {
      EXPECT_NE(c, '\n') << "bare LF outside quotes at byte " << i;
      field += c;
      any = true;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "last record not terminated by CRLF";
  (void)any;
  return rows;
}

class TranscriptsTest : public test::TenantFixture {
protected:
  void SetUp() override {
    test::TenantFixture::SetUp();
    root = fs::temp_directory_path() / ("crmctl-transcripts-" + uuid_v4());
    fs::create_directories(root);
    auto r = PhiRedactor::create();
    ASSERT_TRUE(r);
    redactor = std::make_unique<PhiRedactor>(*r);
  }
  void TearDown() override { fs::remove_all(root); }

  // Inserts one call as the superuser; returns its id.
  std::string insert_call(const tenant::TenantRef& t, const std::string& ext,
                          const db::Value& transcript, const std::string& metadata = "{}",
                          const std::string& started = "2026-03-10 14:05:09+00",
                          const db::Value& summary = std::nullopt,
                          const db::Value& recording_url = std::nullopt,
                          const db::Value& recording_status = std::nullopt) {
    auto r = c->exec("INSERT INTO " + tenant::table_of(t, "calls") +
                         " (org_id, provider, external_call_id, direction, from_number, to_number, "
                         "caller_name, started_at, duration_seconds, transcript, summary, metadata, "
                         "recording_url, recording_status) VALUES ($1::uuid, 'vapi', $2, "
                         "'inbound', '+14155550123', '+14155550199', 'Jane Roe', "
                         "$3::timestamptz, 185, $4, $5, $6::jsonb, $7, $8) RETURNING id::text",
                     {t.id, ext, started, transcript, summary, metadata, recording_url,
                      recording_status});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->get(0, "id") : "";
  }
  // `n` calls with ~2 KB of labelled transcript each, started one minute apart.
  void seed_many(const tenant::TenantRef& t, int n, const std::string& prefix = "bulk-") {
    auto r = c->exec(
        "INSERT INTO " + tenant::table_of(t, "calls") +
            " (org_id, provider, external_call_id, direction, from_number, started_at, "
            "duration_seconds, transcript) SELECT $1::uuid, 'vapi', $2 || g, 'inbound', "
            "'+14155550100', timestamptz '2026-01-01 00:00+00' + g * interval '1 minute', 60, "
            "repeat('AI: Thanks for calling, how can I help? ' || E'\\n' || 'User: My number is "
            "415-555-' || lpad((g % 10000)::text, 4, '0') || ' and I need a cleaning.' || E'\\n', "
            "16) FROM generate_series(1, $3::int) g",
        {t.id, prefix, std::to_string(n)});
    ASSERT_TRUE(r) << r.error().message;
  }

  Result<ExportResult> run(const tenant::TenantRef& t, ExportOptions o) {
    CRM_TRY_ASSIGN(auto tx, c->tenant(tenant::scope_of(t, tenancy), k_snapshot));
    o.now = clock.now();
    if (!o.redactor) o.redactor = redactor.get();
    CRM_TRY_ASSIGN(auto r, export_transcripts(*tx, t, o));
    CRM_TRY(tx->commit());
    return r;
  }
  ExportOptions opts(Format f, const std::string& dir, Redaction red = Redaction::on) {
    ExportOptions o;
    o.format = f;
    o.out_dir = (root / dir).string();
    o.redaction = red;
    return o;
  }
  // What an export must contain for a call: its turns, redacted.
  std::vector<Turn> expected_turns(const std::string& transcript, const std::string& meta,
                                   Redaction red = Redaction::on) {
    auto turns = call_turns(transcript, meta);
    if (red == Redaction::on)
      for (auto& t : turns)
        t.text = redactor->redact(t.text);
    return turns;
  }
  // Every regular file under `dir`, by name.
  std::vector<std::string> names(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // The manifest's files exist with its sizes and SHA-256, mode 0600, and nothing else is there
  // but the manifest and the journal.
  nlohmann::json check_manifest(const fs::path& dir) {
    auto m = nlohmann::json::parse(slurp(dir / "manifest.json"));
    std::set<std::string> listed;
    for (const auto& f : m["files"]) {
      const fs::path p = dir / f["file"].get<std::string>();
      const std::string text = slurp(p);
      EXPECT_EQ(f["bytes"].get<std::size_t>(), text.size()) << p;
      EXPECT_EQ(f["sha256"], crypto::hex(crypto::sha256(text))) << p;
      EXPECT_EQ(mode_of(p), 0600u) << p;
      listed.insert(f["file"].get<std::string>());
    }
    for (const auto& n : names(dir))
      EXPECT_TRUE(listed.count(n) || n == "manifest.json" || n == ".transcripts-export.journal")
          << "unexpected file " << n;
    EXPECT_EQ(mode_of(dir), 0700u);
    return m;
  }

  fs::path root;
  std::unique_ptr<PhiRedactor> redactor;
};

// A call with structured turns (unicode, line breaks, quotes, commas, PHI), one with a labelled
// text transcript, one without any transcript.
struct Seeded {
  std::string rich, text, empty;
  std::string rich_meta, text_transcript;
};

Seeded seed_three(TranscriptsTest& t, const tenant::TenantRef& ten,
                  std::function<std::string(const tenant::TenantRef&, const std::string&,
                                            const db::Value&, const std::string&,
                                            const std::string&, const db::Value&)>
                      insert) {
  Seeded s;
  s.rich_meta = nlohmann::json{
      {"turns",
       {{{"role", "agent"}, {"text", "Bonjour 👋, this is Zoë at Café Dentaire — \"how\", may I help?"}, {"t", 0}},
        {{"role", "caller"},
         {"text", "My SSN is 123-45-6789,\nand my cell is (415) 555-0132.\n\nThanks, 日本語 too"},
         {"t", 4.5}},
        {{"role", "agent"}, {"text", "Noted; I'll email jane@example.com, ok?"}, {"t", 75.25}}}}}
                    .dump();
  (void)t;
  s.rich = insert(ten, "rich", std::nullopt, s.rich_meta, "2026-03-10 14:05:09+00",
                  std::string("Caller Jane (jane@example.com) booked a cleaning."));
  s.text_transcript = "AI: Hello, Bright Smile.\nUser: I was born 03/15/1985,\ncan I book?\nAI: Sure.";
  s.text = insert(ten, "text", s.text_transcript, "{}", "2026-03-11 09:00:00+00", std::nullopt);
  s.empty = insert(ten, "empty", std::nullopt, "{}", "2026-03-12 09:00:00+00", std::nullopt);
  return s;
}

} // namespace

TEST_F(TranscriptsTest, JsonlParsesBackToTheRedactedTurnsOfEveryCall) {
  auto t = create(spec("Jsonl Clinic"));
  auto other = create(spec("Jsonl Neighbour"));
  auto ins = [&](auto&&... a) { return insert_call(a...); };
  auto s = seed_three(*this, t, ins);
  insert_call(other, "neighbour", std::string("AI: not yours"));
  auto r = run(t, opts(Format::jsonl, "j"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->calls, 3u);
  EXPECT_EQ(r->no_transcript, 1u);
  EXPECT_EQ(r->timezone, "Europe/London");
  auto m = check_manifest(root / "j");
  ASSERT_EQ(m["files"].size(), 1u);
  EXPECT_EQ(m["totals"]["calls"], 3);
  EXPECT_EQ(m["export"]["redaction"], "on");
  std::istringstream lines(slurp(root / "j" / "transcripts-000001.jsonl"));
  std::vector<nlohmann::json> docs;
  for (std::string l; std::getline(lines, l);)
    docs.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(docs.size(), 3u);
  // Ordered by started_at: rich, text, empty.
  EXPECT_EQ(docs[0]["call_id"], s.rich);
  EXPECT_EQ(docs[1]["call_id"], s.text);
  EXPECT_EQ(docs[2]["call_id"], s.empty);
  EXPECT_EQ(docs[0]["tenant"], t.slug);
  EXPECT_EQ(docs[0]["started_at"], "2026-03-10T14:05:09Z");
  EXPECT_EQ(docs[0]["started_at_local"], "2026-03-10T14:05:09+00:00");
  EXPECT_EQ(docs[0]["timezone"], "Europe/London");
  EXPECT_EQ(docs[0]["caller_name"], "[REDACTED:name]");
  EXPECT_EQ(docs[0]["from_number"], "[REDACTED:phone]");
  EXPECT_EQ(docs[0]["to_number"], "+14155550199");
  EXPECT_EQ(docs[0]["duration_seconds"], 185);
  EXPECT_EQ(docs[0]["summary"], "Caller Jane ([REDACTED:email]) booked a cleaning.");
  EXPECT_EQ(docs[0]["redacted"], true);
  EXPECT_TRUE(docs[2]["turns"].empty());
  EXPECT_TRUE(docs[2]["summary"].is_null());
  auto compare = [&](const nlohmann::json& doc, const std::vector<Turn>& want) {
    ASSERT_EQ(doc["turns"].size(), want.size()) << doc.dump();
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(doc["turns"][i]["role"], role_name(want[i].role));
      EXPECT_EQ(doc["turns"][i]["text"], want[i].text);
      if (want[i].offset_s) {
        EXPECT_EQ(doc["turns"][i]["t"].get<double>(), *want[i].offset_s);
      } else {
        EXPECT_TRUE(doc["turns"][i]["t"].is_null());
      }
    }
  };
  compare(docs[0], expected_turns("", s.rich_meta));
  compare(docs[1], expected_turns(s.text_transcript, "{}"));
  EXPECT_EQ(docs[0]["turns"][0]["text"],
            "Bonjour 👋, this is Zoë at Café Dentaire — \"how\", may I help?");
  EXPECT_EQ(docs[0]["turns"][1]["text"],
            "My SSN is [REDACTED:ssn],\nand my cell is [REDACTED:phone].\n\nThanks, 日本語 too");
  EXPECT_EQ(docs[1]["turns"][1]["text"], "I was born [REDACTED:dob],\ncan I book?");
  EXPECT_EQ(m["totals"]["redactions"]["ssn"], 1);
  EXPECT_EQ(m["totals"]["redactions"]["dob"], 1);
  // No PHI anywhere in the directory, nothing of the neighbour.
  for (const auto& n : names(root / "j")) {
    std::string text = slurp(root / "j" / n);
    for (const char* phi : {"123-45-6789", "555-0132", "jane@example.com", "03/15/1985",
                            "Jane Roe", "not yours"})
      EXPECT_EQ(text.find(phi), std::string::npos) << phi << " in " << n;
  }
}

TEST_F(TranscriptsTest, CsvIsRfc4180WithOneRowPerTurnAndUnredactedWhenAsked) {
  auto t = create(spec("Csv Clinic"));
  auto ins = [&](auto&&... a) { return insert_call(a...); };
  auto s = seed_three(*this, t, ins);
  auto o = opts(Format::csv, "c", Redaction::off);
  o.reason = "court order 17";
  auto r = run(t, o);
  ASSERT_TRUE(r) << r.error().message;
  auto m = check_manifest(root / "c");
  EXPECT_EQ(m["export"]["redaction"], "off");
  EXPECT_EQ(m["export"]["reason"], "court order 17");
  auto rows = parse_csv(slurp(root / "c" / "transcripts-000001.csv"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"call_id", "started_at", "turn", "t", "role", "text"}));
  std::vector<std::vector<std::string>> want;
  auto add = [&](const std::string& id, const std::string& started, const std::vector<Turn>& ts) {
    for (std::size_t i = 0; i < ts.size(); ++i) {
      std::string tt;
      if (ts[i].offset_s) {
        std::ostringstream os;
        os << *ts[i].offset_s;
        tt = os.str();
      }
      want.push_back({id, started, std::to_string(i + 1), tt, role_name(ts[i].role), ts[i].text});
    }
  };
  add(s.rich, "2026-03-10T14:05:09Z", expected_turns("", s.rich_meta, Redaction::off));
  add(s.text, "2026-03-11T09:00:00Z", expected_turns(s.text_transcript, "{}", Redaction::off));
  ASSERT_EQ(rows.size(), want.size() + 1) << "no row for the call without transcript";
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(rows[i + 1], want[i]) << "row " << i + 1;
  EXPECT_NE(slurp(root / "c" / "transcripts-000001.csv").find("123-45-6789"), std::string::npos);
  EXPECT_EQ(r->turns, want.size());
}

TEST_F(TranscriptsTest, TxtHasOneFilePerCallWithHeaderAndParsesBack) {
  auto t = create(spec("Txt Clinic"));
  auto ins = [&](auto&&... a) { return insert_call(a...); };
  auto s = seed_three(*this, t, ins);
  auto r = run(t, opts(Format::txt, "t"));
  ASSERT_TRUE(r) << r.error().message;
  auto m = check_manifest(root / "t");
  EXPECT_EQ(m["files"].size(), 3u);
  std::vector<std::string> want_names = {".transcripts-export.journal", s.rich + ".txt",
                                         s.text + ".txt", s.empty + ".txt", "manifest.json"};
  std::sort(want_names.begin(), want_names.end());
  EXPECT_EQ(names(root / "t"), want_names);
  for (const auto& [id, transcript, meta] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {s.rich, "", s.rich_meta}, {s.text, s.text_transcript, "{}"}, {s.empty, "", "{}"}}) {
    std::string doc = slurp(root / "t" / (id + ".txt"));
    EXPECT_EQ(doc.rfind("Call ID:  " + id + "\nTenant:   Txt Clinic (" + t.slug + ")\n", 0), 0u)
        << doc;
    std::size_t body = doc.find("\n\n");
    ASSERT_NE(body, std::string::npos);
    auto parsed = parse_transcript_text(doc.substr(body + 2));
    auto want = expected_turns(transcript, meta);
    if (want.empty()) {
      EXPECT_NE(doc.find("(no transcript)"), std::string::npos);
      continue;
    }
    ASSERT_EQ(parsed.size(), want.size()) << doc;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(parsed[i].role, want[i].role) << doc;
      EXPECT_EQ(parsed[i].text, want[i].text) << doc;
      if (want[i].offset_s) {
        EXPECT_EQ(parsed[i].offset_s, std::floor(*want[i].offset_s)) << doc;
      }
    }
  }
  std::string rich = slurp(root / "t" / (s.rich + ".txt"));
  EXPECT_NE(rich.find("Started:  2026-03-10 14:05:09 +00:00 (Europe/London)\n"), std::string::npos)
      << rich;
  EXPECT_NE(rich.find("Caller:   [REDACTED:name] [REDACTED:phone]\n"), std::string::npos) << rich;
  EXPECT_NE(rich.find("Duration: 03:05\n"), std::string::npos) << rich;
  EXPECT_NE(rich.find("[01:15] Agent: Noted; I'll email [REDACTED:email], ok?"), std::string::npos)
      << rich;
  EXPECT_NE(rich.find("[00:04] Caller: My SSN is [REDACTED:ssn],\n  and my cell"), std::string::npos)
      << rich;
}

TEST_F(TranscriptsTest, SummerTimeAndFiltersUseTheTenantsTimezone) {
  auto t = create(spec("Tz Clinic")); // Europe/London
  std::string before = insert_call(t, "b", std::string("AI: b"), "{}", "2026-07-01 22:30:00+00");
  std::string after = insert_call(t, "a", std::string("AI: a"), "{}", "2026-07-01 23:30:00+00");
  // 2026-07-02 in London starts at 23:00 UTC (BST).
  auto o = opts(Format::jsonl, "tz");
  o.filter.since = "2026-07-02";
  auto r = run(t, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->calls, 1u);
  auto doc = nlohmann::json::parse(slurp(root / "tz" / "transcripts-000001.jsonl"));
  EXPECT_EQ(doc["call_id"], after);
  EXPECT_EQ(doc["started_at_local"], "2026-07-02T00:30:00+01:00");
  auto u = opts(Format::jsonl, "tz2");
  u.filter.until = "2026-07-01T23:00:00Z";
  auto r2 = run(t, u);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->calls, 1u);
  EXPECT_NE(slurp(root / "tz2" / "transcripts-000001.jsonl").find(before), std::string::npos);
}

TEST_F(TranscriptsTest, AnotherTenantsCallIdIsNotFoundAndNothingIsWritten) {
  auto a = create(spec("Own Clinic"));
  auto b = create(spec("Other Clinic"));
  std::string theirs = insert_call(b, "theirs", std::string("AI: secret of b"));
  insert_call(a, "mine", std::string("AI: mine"));
  auto o = opts(Format::txt, "x");
  o.filter.call_id = theirs;
  auto r = run(a, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_FALSE(fs::exists(root / "x"));
  // The whole tenant: only its own call.
  auto all = run(a, opts(Format::txt, "all"));
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->calls, 1u);
  EXPECT_FALSE(fs::exists(root / "all" / (theirs + ".txt")));
  // A malformed --call is a usage error before anything runs.
  auto bad = opts(Format::txt, "bad");
  bad.filter.call_id = "../../etc/passwd";
  auto rb = run(a, bad);
  ASSERT_FALSE(rb);
  EXPECT_EQ(rb.error().kind, ErrorKind::usage);
  EXPECT_FALSE(fs::exists(root / "bad"));
}

TEST_F(TranscriptsTest, HostileCallDataNeverNamesAFileAndPlantedSymlinksAreNotFollowed) {
  auto t = create(spec("Hostile Clinic"));
  // Call data that would escape the directory if it named a file.
  auto id = insert_call(t, "../../../../tmp/evil", std::string("AI: ../../x\nUser: /etc/passwd"));
  (void)c->exec("UPDATE " + tenant::table_of(t, "calls") +
              " SET caller_name = '../../owned', summary = E'\\x1b[2J' WHERE id = $1::uuid",
          {id});
  // A symlink planted where the call's file goes, pointing outside.
  fs::create_directories(root / "h");
  const fs::path victim = root / "victim.txt";
  std::ofstream(victim) << "untouched";
  fs::create_symlink(victim, root / "h" / (id + ".txt"));
  auto r = run(t, opts(Format::txt, "h"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(slurp(victim), "untouched");
  EXPECT_FALSE(fs::is_symlink(root / "h" / (id + ".txt")));
  for (const auto& n : names(root / "h"))
    EXPECT_TRUE(n == id + ".txt" || n == "manifest.json" || n == ".transcripts-export.journal")
        << n;
  EXPECT_FALSE(fs::exists("/tmp/evil"));
  // A journal planted as a symlink is refused, not followed.
  fs::create_directories(root / "j");
  fs::create_symlink(victim, root / "j" / ".transcripts-export.journal");
  auto rj = run(t, opts(Format::txt, "j"));
  ASSERT_FALSE(rj);
  EXPECT_EQ(slurp(victim), "untouched");
}

TEST_F(TranscriptsTest, AnInterruptedExportResumesToTheSameBytes) {
  auto t = create(spec("Resume Clinic"));
  seed_many(t, 620);
  // The reference: one uninterrupted run.
  auto ref = opts(Format::jsonl, "ref");
  ref.calls_per_file = 100;
  ASSERT_TRUE(run(t, ref));
  // Interrupted after 500 calls (progress is reported every 250): five complete parts.
  auto o = opts(Format::jsonl, "res");
  o.calls_per_file = 100;
  o.on_progress = [](std::uint64_t done, std::uint64_t) -> Status {
    if (done >= 500) return make_error(ErrorKind::interrupted, "stop");
    return {};
  };
  auto first = run(t, o);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::interrupted);
  EXPECT_FALSE(fs::exists(root / "res" / "manifest.json"));
  EXPECT_TRUE(fs::exists(root / "res" / "transcripts-000005.jsonl"));
  EXPECT_FALSE(fs::exists(root / "res" / "transcripts-000006.jsonl"));
  // A temporary file a killed run would leave, and a call created after the first run (not part
  // of this export: the set is fixed by the first run).
  std::ofstream(root / "res" / ".transcripts-000006.jsonl.0123456789ab.tmp") << "partial";
  clock.advance(std::chrono::minutes(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  insert_call(t, "late", std::string("AI: late"), "{}", "2025-01-01 00:00:00+00");
  o.on_progress = {};
  std::uint64_t last_done = 0;
  o.on_progress = [&](std::uint64_t done, std::uint64_t) -> Status {
    last_done = done;
    return {};
  };
  auto second = run(t, o);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->calls_skipped, 500u);
  EXPECT_EQ(second->files_written, 2u);
  EXPECT_EQ(second->calls, 620u);
  EXPECT_EQ(last_done, 620u);
  auto m = check_manifest(root / "res");
  auto mref = check_manifest(root / "ref");
  EXPECT_EQ(m["files"], mref["files"]); // same names, counts and SHA-256
  EXPECT_EQ(m["totals"], mref["totals"]);
  // Run again: complete, nothing written.
  auto third = run(t, o);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->files_written, 0u);
  EXPECT_EQ(third->calls, 620u);
  // Other flags into the same directory: a conflict, not a mix.
  auto other = opts(Format::jsonl, "res", Redaction::off);
  other.reason = "x";
  auto conflict = run(t, other);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind, ErrorKind::conflict);
}

TEST_F(TranscriptsTest, AKilledCrmctlExportResumes) {
  auto t = create(spec("Killed Clinic"));
  seed_many(t, 3000);
  const fs::path dir = root / "killed";
  auto argv_for = [&](const fs::path& out) {
    return std::vector<std::string>{CRMCTL_BINARY, "--db", db.url(), "-o", "json", "-q",
                                    "transcripts", "export", "--tenant", t.slug, "--format",
                                    "jsonl", "--calls-per-file", "20", "--out", out.string()};
  };
  auto spawn = [&](const std::vector<std::string>& args) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> av;
      for (const auto& a : args)
        av.push_back(const_cast<char*>(a.c_str()));
      av.push_back(nullptr);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::execv(av[0], av.data());
      ::_exit(127);
    }
    return pid;
  };
  pid_t pid = spawn(argv_for(dir));
  ASSERT_GT(pid, 0);
  // Kill it once some files are complete.
  const fs::path journal = dir / ".transcripts-export.journal";
  auto lines = [&] {
    std::ifstream f(journal);
    return std::count(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>(), '\n');
  };
  for (int i = 0; i < 2000 && lines() < 10; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the export finished before it could be killed";
  EXPECT_FALSE(fs::exists(dir / "manifest.json"));
  // Resume with the same command.
  pid = spawn(argv_for(dir));
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto m = check_manifest(dir);
  EXPECT_EQ(m["totals"]["calls"], 3000);
  EXPECT_EQ(m["files"].size(), 150u);
  // No temporaries left, every call exactly once: the same as one uninterrupted run.
  pid = spawn(argv_for(root / "clean"));
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto clean = check_manifest(root / "clean");
  EXPECT_EQ(m["files"], clean["files"]);
  // The audit trail: one row per completed run (the killed one wrote none), the resumed one
  // says so.
  auto rows = c->exec("SELECT arguments FROM audit_events WHERE org_id = $1::uuid AND action = "
                      "'transcripts.export' AND outcome = 'ok' ORDER BY id",
                      {t.id});
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  auto args = nlohmann::json::parse(rows->get(0, "arguments"));
  EXPECT_EQ(args["resumed"], true);
  EXPECT_GT(args["calls_skipped"].get<int>(), 0);
  EXPECT_EQ(args["calls"], 3000);
  EXPECT_EQ(args["redaction"], "on");
}

TEST_F(TranscriptsTest, ShareRecordsMessageAndAuditAndRefusesWhatItMustNot) {
  auto a = create(spec("Share Clinic"));
  auto b = create(spec("Share Neighbour"));
  std::string rec = insert_call(a, "rec", std::string("AI: hi"), "{}", "2026-03-10 14:05:09+00",
                                std::nullopt, std::string("https://storage.example/rec.mp3"),
                                std::string("completed"));
  std::string none = insert_call(a, "none", std::string("AI: hi"));
  std::string pending = insert_call(a, "pending", std::string("AI: hi"), "{}",
                                    "2026-03-10 14:05:09+00", std::nullopt,
                                    std::string("https://storage.example/p.mp3"),
                                    std::string("processing"));
  std::string theirs = insert_call(b, "theirs", std::string("AI: hi"), "{}",
                                   "2026-03-10 14:05:09+00", std::nullopt,
                                   std::string("https://storage.example/b.mp3"),
                                   std::string("completed"));
  ShareRequest req;
  req.ttl = std::chrono::hours(24);
  req.secret = "0123456789abcdef0123456789abcdef";
  req.base_url = "https://app.example.com/r";
  req.now = clock.now();
  req.actor = actor;
  req.recipient = "lead@clinic.example";
  auto share = [&](const std::string& call, DryRun dry = DryRun::no) {
    req.call_id = call;
    req.dry_run = dry;
    return in_tenant(a, [&](db::TenantTx& tx) { return share_recording(tx, a, req); });
  };
  auto messages = [&] {
    return count("SELECT count(*) FROM " + tenant::table_of(a, "messages") +
                 " WHERE provider = 'crmctl'");
  };
  auto audits = [&] {
    return count("SELECT count(*) FROM audit_events WHERE action = 'recordings.share'");
  };
  auto r = share(rec);
  ASSERT_TRUE(r) << r.error().message;
  auto check = verify_share_url(r->url, req.secret, clock.now(), a.id);
  EXPECT_EQ(check.status, LinkStatus::valid) << r->url;
  EXPECT_EQ(check.call_id, rec);
  EXPECT_EQ(messages(), 1);
  EXPECT_EQ(audits(), 1);
  auto row = c->exec("SELECT channel, direction, recipient, status, body FROM " +
                     tenant::table_of(a, "messages") + " WHERE provider = 'crmctl'");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->get(0, "channel"), "email");
  EXPECT_EQ(row->get(0, "recipient"), "lead@clinic.example");
  EXPECT_EQ(row->get(0, "status"), "link_created");
  EXPECT_NE(row->get(0, "body").find(rec), std::string::npos);
  // The link is a bearer credential: stored nowhere.
  std::string sig = r->url.substr(r->url.find("sig=") + 4);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE strpos(arguments::text, $1) > 0", {sig}),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM " + tenant::table_of(a, "messages") +
                      " WHERE strpos(body, $1) > 0",
                  {sig}),
            0);
  auto au = c->exec("SELECT org_id::text AS o, target, arguments FROM audit_events WHERE action = "
                    "'recordings.share'");
  ASSERT_TRUE(au);
  EXPECT_EQ(au->get(0, "o"), a.id);
  EXPECT_EQ(au->get(0, "target"), rec);
  EXPECT_EQ(nlohmann::json::parse(au->get(0, "arguments"))["ttl_seconds"], 86400);

  // Refusals, none of which records anything.
  auto other = share(theirs);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::not_found);
  auto no_rec = share(none);
  ASSERT_FALSE(no_rec);
  EXPECT_EQ(no_rec.error().kind, ErrorKind::conflict);
  auto not_ready = share(pending);
  ASSERT_FALSE(not_ready);
  EXPECT_EQ(not_ready.error().kind, ErrorKind::conflict);
  req.ttl = std::chrono::hours(24 * 31);
  auto too_long = share(rec);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::usage);
  req.ttl = std::chrono::hours(1);
  auto dry = share(rec, DryRun::yes);
  ASSERT_TRUE(dry);
  EXPECT_TRUE(dry->url.empty());
  EXPECT_EQ(messages(), 1);
  EXPECT_EQ(audits(), 1);
}
