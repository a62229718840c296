// Running `transcripts export` and `recordings share | verify` against the suite's migrated
// database with the fake clock: the audit row of every export (filters, redaction mode and
// reason, counts), --no-redact without a reason, stdout on a terminal, share links across the
// expiry boundary, tampered and other-tenant links, refusals and dry runs.
#include "cmd_harness.hpp"

#include <filesystem>
#include <fstream>

using namespace crm;
namespace fs = std::filesystem;

namespace {
const char* k_secret = "test-recordings-secret-0123456789";
} // namespace

class RunTranscripts : public test::DbTest {
protected:
  void SetUp() override {
    DbTest::SetUp();
    slug = make_tenant("Transcript Clinic", {"--timezone", "America/New_York"});
    ASSERT_FALSE(slug.empty());
    cli.env["CRMCTL_RECORDINGS_SIGNING_SECRET"] = k_secret;
    cli.env["CRMCTL_RECORDINGS_BASE_URL"] = "https://app.example.com/r/";
  }
  std::string add_call(const std::string& tenant_slug, const std::string& ext,
                       const std::string& transcript, const db::Value& recording = std::nullopt,
                       const db::Value& summary = std::nullopt) {
    auto r = m_conn->exec(
        "INSERT INTO calls (org_id, provider, external_call_id, direction, from_number, "
        "started_at, duration_seconds, transcript, summary, recording_url, recording_status) "
        "SELECT id, 'vapi', $2, 'inbound', '+14155550123', '2026-03-10 14:05:09+00', 61, $3, $5, "
        "$4, CASE WHEN $4::text IS NULL THEN NULL ELSE 'completed' END FROM organizations "
        "WHERE slug = $1 RETURNING id::text",
        {tenant_slug, ext, transcript, recording, summary});
    EXPECT_TRUE(r) << r.error().message;
    return r && !r->empty() ? r->get(0, "id") : "";
  }
  nlohmann::json last_audit(const std::string& action) {
    auto a = scalar("SELECT json_build_object('arguments', arguments, 'outcome', outcome, "
                    "'target', target, 'error', error)::text FROM audit_events WHERE org_id = "
                    "$1::uuid AND action = $2 ORDER BY id DESC LIMIT 1",
                    {tenant_id(slug), action});
    return a.empty() ? nlohmann::json() : nlohmann::json::parse(a);
  }
  std::string slug;
  test::ScratchDir dir;
};

TEST_F(RunTranscripts, ExportWritesFilesAndAnAuditRowWithFiltersModeAndCounts) {
  add_call(slug, "a", "AI: Hello\nUser: my SSN is 123-45-6789");
  add_call(slug, "b", "AI: Hi again");
  const std::string out = dir.file("exp");
  auto r = run({"--tenant", slug, "transcripts", "export", "--format", "jsonl", "--out", out,
                "--since", "2026-03-01"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"tenant", "format", "out", "manifest", "calls", "turns", "files",
                        "files_written", "calls_skipped", "resumed", "redaction", "redactions",
                        "timezone", "calls_without_transcript"});
  EXPECT_EQ(j["calls"], 2);
  EXPECT_EQ(j["turns"], 3);
  EXPECT_EQ(j["redaction"], "on");
  EXPECT_EQ(j["redactions"]["ssn"], 1);
  EXPECT_EQ(j["timezone"], "America/New_York");
  EXPECT_TRUE(fs::exists(fs::path(out) / "manifest.json"));
  auto a = last_audit("transcripts.export");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a["outcome"], "ok");
  EXPECT_EQ(a["target"], out);
  EXPECT_EQ(a["arguments"]["redaction"], "on");
  EXPECT_EQ(a["arguments"]["filters"]["since"], "2026-03-01");
  EXPECT_EQ(a["arguments"]["calls"], 2);
  EXPECT_EQ(a["arguments"]["format"], "jsonl");
  EXPECT_FALSE(a["arguments"].contains("reason"));
  // The audit row holds no transcript text.
  EXPECT_EQ(a.dump().find("123-45-6789"), std::string::npos);
}

TEST_F(RunTranscripts, NoRedactNeedsAReasonAndIsRecordedAsSuch) {
  add_call(slug, "a", "AI: Hello\nUser: my SSN is 123-45-6789");
  auto before = count("SELECT count(*) FROM audit_events WHERE action = 'transcripts.export'");
  auto refused = run({"--tenant", slug, "transcripts", "export", "--format", "csv", "--out",
                      dir.file("raw"), "--no-redact"});
  EXPECT_EQ(refused.code, 2) << refused;
  EXPECT_TRUE(refused.mentions("--reason")) << refused;
  EXPECT_FALSE(fs::exists(dir.file("raw")));
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'transcripts.export'"),
            before);
  auto r = run({"--tenant", slug, "transcripts", "export", "--format", "csv", "--out",
                dir.file("raw"), "--no-redact", "--reason", "subpoena 2026-114"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["redaction"], "off");
  EXPECT_TRUE(r.mentions("redaction was OFF"));
  auto a = last_audit("transcripts.export");
  EXPECT_EQ(a["arguments"]["redaction"], "off");
  EXPECT_EQ(a["arguments"]["reason"], "subpoena 2026-114");
  std::ifstream f(fs::path(dir.file("raw")) / "transcripts-000001.csv");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("123-45-6789"), std::string::npos);
  // A reason without --no-redact is a mistake, not silently ignored.
  EXPECT_EQ(run({"--tenant", slug, "transcripts", "export", "--format", "csv", "--out",
                 dir.file("x"), "--reason", "why"})
                .code,
            2);
}

TEST_F(RunTranscripts, StdoutStreamsTheDataAndEscapesControlsOnATerminal) {
  add_call(slug, "a", "AI: Hello \x1b[2Jthere\nUser: ok", std::nullopt,
           std::string("summary \x1b]0;title\x07"));
  auto piped = run_raw({"--tenant", slug, "transcripts", "export", "--format", "txt", "--out",
                        "-"});
  ASSERT_EQ(piped.code, 0) << piped;
  EXPECT_NE(piped.out.find("[--:--] Agent: Hello \x1b[2Jthere"), std::string::npos) << piped.out;
  cli.stdout_tty = true;
  auto tty = run_raw({"--tenant", slug, "transcripts", "export", "--format", "txt", "--out", "-"});
  ASSERT_EQ(tty.code, 0) << tty;
  EXPECT_EQ(tty.out.find('\x1b'), std::string::npos) << tty.out;
  EXPECT_EQ(tty.out.find('\x07'), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("Hello \\x1b[2Jthere"), std::string::npos) << tty.out;
  auto jsonl = run_raw({"--tenant", slug, "transcripts", "export", "--format", "jsonl", "--out",
                        "-"});
  ASSERT_EQ(jsonl.code, 0);
  auto doc = nlohmann::json::parse(jsonl.out);
  EXPECT_EQ(doc["turns"][0]["text"], "Hello \x1b[2Jthere");
  auto a = last_audit("transcripts.export");
  EXPECT_EQ(a["target"], "-");
}

TEST_F(RunTranscripts, ExportRefusesOtherTenantsCallsAndBadFlags) {
  std::string other = make_tenant("Other Transcript Clinic");
  std::string theirs = add_call(other, "theirs", "AI: private");
  auto r = run({"--tenant", slug, "transcripts", "export", "--format", "txt", "--out",
                dir.file("o"), "--call", theirs});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_FALSE(fs::exists(dir.file("o")));
  auto a = last_audit("transcripts.export");
  EXPECT_EQ(a["outcome"], "error"); // a refused export is in the trail too
  EXPECT_EQ(run({"--tenant", slug, "transcripts", "export", "--format", "txt", "--out",
                 dir.file("o"), "--since", "last tuesday"})
                .code,
            2);
  EXPECT_EQ(run({"--tenant", slug, "transcripts", "export", "--format", "txt", "--out",
                 dir.file("o"), "--call", "../../etc/passwd"})
                .code,
            2);
  auto dry = run({"--dry-run", "--tenant", slug, "transcripts", "export", "--format", "txt",
                  "--out", dir.file("dry")});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_FALSE(fs::exists(dir.file("dry")));
}

TEST_F(RunTranscripts, ShareLinkIsValidUntilItsExpiryAndRecorded) {
  std::string call = add_call(slug, "rec", "AI: hi", std::string("https://storage.example/x.mp3"));
  auto r = run({"--tenant", slug, "recordings", "share", call, "--ttl", "1h", "--email",
                "qa@clinic.example"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"tenant", "call_id", "share_id", "url", "expires_at", "ttl_seconds",
                        "recipient", "recording_status", "dry_run"});
  EXPECT_EQ(j["ttl_seconds"], 3600);
  EXPECT_TRUE(test::is_rfc3339_utc(j["expires_at"]));
  const std::string url = j["url"];
  EXPECT_EQ(url.rfind("https://app.example.com/r/" + call + "?tenant=", 0), 0u) << url;
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE org_id = $1::uuid AND status = "
                  "'link_created' AND recipient = 'qa@clinic.example'",
                  {tenant_id(slug)}),
            1);
  auto a = last_audit("recordings.share");
  EXPECT_EQ(a["target"], call);
  EXPECT_EQ(a["arguments"]["ttl_seconds"], 3600);
  EXPECT_EQ(a.dump().find("sig="), std::string::npos);
  EXPECT_FALSE(r.err.find(k_secret) != std::string::npos);

  // One second before the expiry: valid; at the expiry: expired (exit 5).
  cli.clock.advance(std::chrono::seconds(3599));
  auto v = run({"recordings", "verify", url});
  EXPECT_EQ(v.code, 0) << v;
  EXPECT_EQ(v.json()["status"], "valid");
  cli.clock.advance(std::chrono::seconds(1));
  auto e = run({"recordings", "verify", url});
  EXPECT_EQ(e.code, 5) << e;
  EXPECT_EQ(e.json()["status"], "expired");
  cli.clock.advance(-std::chrono::seconds(1800));
  // Tampered: a later expiry written into the link.
  std::string later = url;
  auto p = later.find("&sig=") - 1; // the last digit of the expiry
  later[p] = later[p] == '9' ? '8' : static_cast<char>(later[p] + 1);
  auto t = run({"recordings", "verify", later});
  EXPECT_EQ(t.code, 5) << t;
  EXPECT_EQ(t.json()["status"], "tampered");
  // Another tenant checking the link: wrong_tenant.
  std::string other = make_tenant("Other Share Clinic");
  auto w = run({"--tenant", other, "recordings", "verify", url});
  EXPECT_EQ(w.code, 5) << w;
  EXPECT_EQ(w.json()["status"], "wrong_tenant");
  EXPECT_EQ(run({"--tenant", slug, "recordings", "verify", url}).code, 0);
  // Another secret: every link is tampered.
  cli.env["CRMCTL_RECORDINGS_SIGNING_SECRET"] = "a-completely-different-secret-value";
  EXPECT_EQ(run({"recordings", "verify", url}).json()["status"], "tampered");
}

TEST_F(RunTranscripts, ShareRefusesWhatItMustAndDryRunRecordsNothing) {
  std::string other = make_tenant("Other Recording Clinic");
  std::string theirs = add_call(other, "theirs", "AI: hi", std::string("https://s.example/t.mp3"));
  std::string none = add_call(slug, "none", "AI: hi");
  std::string mine = add_call(slug, "mine", "AI: hi", std::string("https://s.example/m.mp3"));
  auto messages = [&] {
    return count("SELECT count(*) FROM messages WHERE provider = 'crmctl'");
  };
  long before = messages();
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", theirs}).code, 3);
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", none}).code, 4);
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", mine, "--ttl", "31d"}).code, 2);
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", mine, "--ttl", "soon"}).code, 2);
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", "not-a-uuid"}).code, 2);
  auto dry = run({"--dry-run", "--tenant", slug, "recordings", "share", mine});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_TRUE(dry.json()["url"].is_null());
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_EQ(messages(), before);
  cli.env.erase("CRMCTL_RECORDINGS_SIGNING_SECRET");
  auto nosecret = run({"--tenant", slug, "recordings", "share", mine});
  EXPECT_EQ(nosecret.code, 10) << nosecret;
  EXPECT_TRUE(nosecret.mentions("signing_secret")) << nosecret;
  cli.env["CRMCTL_RECORDINGS_SIGNING_SECRET"] = "short";
  EXPECT_EQ(run({"--tenant", slug, "recordings", "share", mine}).code, 10);
  EXPECT_EQ(messages(), before);
}
