// `creds rotate-key` reads the new master key from a file only, checks that file before anything
// is rotated, and says where the new key lives and what to set next.
#include "cmd_harness.hpp"

#include <sys/stat.h>

using namespace crm;
using test::Cli;
using test::ScratchDir;

namespace {

const std::string k_sid = "AC0123456789abcdef0123456789abcdef";
const std::string k_token = "0123456789abcdef0123456789abcdef";

// A key file with `mode` holding base64 of 32 bytes of `fill`.
std::string key_file(const ScratchDir& dir, const std::string& name, char fill, mode_t mode) {
  auto p = dir.write(name, test::master_key_b64(fill) + "\n");
  ::chmod(p.c_str(), mode);
  return p;
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

// --- without a database: the flag and the file are checked first ----------------------------

TEST(RotateKey, MissingFlagIsAUsageError) {
  Cli cli;
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('a');
  auto r = cli({"--db", "postgresql://127.0.0.1:1/nowhere", "creds", "rotate-key", "--yes"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "--new-key-file PATH is required")) << r;
  EXPECT_TRUE(contains(r.err, "openssl rand -base64 32 > PATH")) << r;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
}

TEST(RotateKey, KeyOnlyInTheEnvironmentIsRefused) {
  Cli cli;
  cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('a');
  cli.env["CRMCTL_NEW_MASTER_KEY"] = test::master_key_b64('b');
  auto r = cli(
      {"--db", "postgresql://127.0.0.1:1/nowhere", "-o", "json", "creds", "rotate-key", "--yes"});
  EXPECT_EQ(r.code, 10) << r;
  auto e = r.error_json();
  EXPECT_EQ(e["kind"], "config");
  std::string m = e["message"].get<std::string>();
  EXPECT_TRUE(contains(m, "CRMCTL_NEW_MASTER_KEY is not read")) << m;
  EXPECT_TRUE(contains(m, "Write the key to a file first")) << m;
  EXPECT_TRUE(contains(m, "--new-key-file PATH")) << m;
  EXPECT_FALSE(contains(r.err, test::master_key_b64('b'))) << r;
}

TEST(RotateKey, UnsafeKeyFilesExit10BeforeAnythingElse) {
  // No current key, no database and no --yes: the file is checked first, so each of these is
  // the file's problem (exit 10), not a missing key, a connection failure or a prompt.
  Cli cli;
  ScratchDir dir;
  auto loose = key_file(dir, "loose.key", 'b', 0644);
  auto r = cli(
      {"--db", "postgresql://127.0.0.1:1/nowhere", "creds", "rotate-key", "--new-key-file", loose});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, loose + " has mode 0644")) << r;
  EXPECT_TRUE(contains(r.err, "chmod 600 " + loose)) << r;
  EXPECT_TRUE(contains(r.err, "nothing was rotated")) << r;

  auto group = key_file(dir, "group.key", 'b', 0640);
  r = cli({"creds", "rotate-key", "--new-key-file", group});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, "mode 0640")) << r;

  r = cli({"creds", "rotate-key", "--new-key-file", dir.file("missing.key")});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, "does not exist")) << r;
  EXPECT_TRUE(contains(r.err, "umask 077")) << r;

  r = cli({"creds", "rotate-key", "--new-key-file", dir.path.string()});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, "is not a regular file")) << r;

  if (::geteuid() != 0) { // root reads anything
    auto unreadable = key_file(dir, "unreadable.key", 'b', 0200);
    r = cli({"creds", "rotate-key", "--new-key-file", unreadable});
    EXPECT_EQ(r.code, 10) << r;
    EXPECT_TRUE(contains(r.err, "cannot read --new-key-file")) << r;
  }

  auto garbage = dir.write("garbage.key", "not a key\n");
  r = cli({"creds", "rotate-key", "--new-key-file", garbage});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, "not base64 of 32 bytes")) << r;
}

TEST(RotateKey, HelpShowsTheFileFirstWorkflow) {
  Cli cli;
  auto r = cli({"creds", "rotate-key", "--help"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_FALSE(contains(r.out, "CRMCTL_NEW_MASTER_KEY=")) << r.out;
  EXPECT_TRUE(contains(r.out, "umask 077; openssl rand -base64 32 >")) << r.out;
  EXPECT_TRUE(contains(r.out, "--new-key-file")) << r.out;
  EXPECT_TRUE(contains(r.out, "master_key: file:PATH")) << r.out;
}

// --- with a database ---------------------------------------------------------------------------

class RotateKeyDb : public test::DbTest {
protected:
  // A tenant with Twilio credentials under key 'a'; returns its slug.
  std::string tenant_with_credentials() {
    cli.env["CRMCTL_MASTER_KEY"] = test::master_key_b64('a');
    auto slug = make_tenant("Rotate Clinic");
    auto set = run({"creds", "set", "--tenant", slug, "twilio", "--from-stdin"},
                   "account_sid=" + k_sid + "\nauth_token=" + k_token + "\n");
    EXPECT_EQ(set.code, 0) << set;
    return slug;
  }
  std::string key_ids() {
    return scalar("SELECT coalesce(string_agg(DISTINCT key_id, ','), '') FROM org_credentials");
  }
  ScratchDir dir;
};

TEST_F(RotateKeyDb, LooseKeyFileRotatesNothing) {
  tenant_with_credentials();
  std::string before = key_ids();
  ASSERT_FALSE(before.empty());
  auto snap = snapshot();
  auto loose = key_file(dir, "new.key", 'b', 0644);
  auto r = run({"creds", "rotate-key", "--new-key-file", loose, "--yes"});
  EXPECT_EQ(r.code, 10) << r;
  EXPECT_TRUE(contains(r.err, "chmod 600 " + loose)) << r;
  EXPECT_EQ(key_ids(), before);
  EXPECT_TRUE(test::diff(snap, snapshot()).empty());
}

TEST_F(RotateKeyDb, PrivateKeyFileRotatesAndSaysWhatToSetNext) {
  auto slug = tenant_with_credentials();
  auto path = key_file(dir, "new.key", 'b', 0600);
  std::string before = key_ids();
  // A dry run changes nothing and already says where the key lives.
  auto dry = run({"creds", "rotate-key", "--new-key-file", path, "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_TRUE(contains(dry.err, "dry run")) << dry;
  EXPECT_TRUE(contains(dry.err, "master_key: file:" + path)) << dry;
  EXPECT_EQ(key_ids(), before);

  auto r = run({"creds", "rotate-key", "--new-key-file", path, "--yes"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_GE(j["rotated"].get<long>(), 1) << j.dump();
  EXPECT_EQ(j["new_key_file"], path) << j.dump();
  EXPECT_EQ(key_ids(), j["to_key"].get<std::string>());
  EXPECT_TRUE(contains(r.err, "master_key: file:" + path)) << r;
  EXPECT_TRUE(contains(r.err, "CRMCTL_MASTER_KEY_FILE=" + path)) << r;
  // The current key came from CRMCTL_MASTER_KEY, which wins over the file: say to unset it.
  EXPECT_TRUE(contains(r.err, "unset CRMCTL_MASTER_KEY")) << r;
  EXPECT_FALSE(contains(r.err, test::master_key_b64('b'))) << r;

  // Following the advice works: the vault opens with the file.
  cli.env.erase("CRMCTL_MASTER_KEY");
  cli.env["CRMCTL_MASTER_KEY_FILE"] = path;
  auto again = run({"creds", "set", "--tenant", slug, "twilio", "--from-stdin"},
                   "account_sid=" + k_sid + "\nauth_token=" + k_token + "\n");
  EXPECT_EQ(again.code, 0) << again;

  // A read-only (0400) key file is fine too: rotate on from the file just set up.
  auto third = key_file(dir, "third.key", 'c', 0400);
  auto next = run({"creds", "rotate-key", "--new-key-file", third, "--yes"});
  ASSERT_EQ(next.code, 0) << next;
  EXPECT_EQ(key_ids(), next.json()["to_key"].get<std::string>());
  EXPECT_FALSE(contains(next.err, "unset CRMCTL_MASTER_KEY")) << next;
}
