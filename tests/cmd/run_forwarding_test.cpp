// Running `forwarding codes`: no config, no database, no network; JSON shape, the table view and
// exit codes.
#include "cmd_harness.hpp"

using namespace crm;

namespace {

test::CliRun codes(test::Cli& cli, std::vector<std::string> extra) {
  std::vector<std::string> args = {"-o", "json", "forwarding", "codes"};
  args.insert(args.end(), extra.begin(), extra.end());
  return cli(args);
}

} // namespace

TEST(RunForwarding, SafetyNetJsonHasTheSeedCodes) {
  test::Cli cli;
  auto r = codes(cli, {"--carrier", "tmobile", "--mode", "safety_net", "--to", "+15550109999"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  test::expect_keys(j, {"carrier", "mode", "to", "ring_seconds", "activation_code",
                        "deactivation_code", "instructions", "notes"});
  EXPECT_EQ(j.size(), 8u) << j.dump();
  EXPECT_EQ(j["carrier"], "tmobile");
  EXPECT_EQ(j["mode"], "safety_net");
  EXPECT_EQ(j["to"], "+15550109999");
  EXPECT_EQ(j["ring_seconds"], 25);
  EXPECT_EQ(j["activation_code"], "**61*+15550109999*11*25#");
  EXPECT_EQ(j["deactivation_code"], "##61#");
  ASSERT_TRUE(j["instructions"].is_array());
  EXPECT_EQ(j["instructions"].size(), 5u);
  EXPECT_EQ(j["instructions"][1], "2. Dial: **61*+15550109999*11*25#");
  EXPECT_TRUE(j["notes"].is_array());
  EXPECT_EQ(cli.http_clients_made, 0);
}

TEST(RunForwarding, TotalAiHasNoRingTimeAndSaysWhenOneIsIgnored) {
  test::Cli cli;
  auto r = codes(cli, {"--carrier", "att", "--mode", "total_ai", "--to", "+15550109999"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_TRUE(j["ring_seconds"].is_null());
  EXPECT_EQ(j["activation_code"], "*21*+15550109999#");
  EXPECT_EQ(j["deactivation_code"], "#21#");
  EXPECT_TRUE(j["notes"].empty()) << j.dump();
  auto ring = codes(
      cli, {"--carrier", "att", "--mode", "total_ai", "--to", "+15550109999", "--ring", "30"});
  ASSERT_EQ(ring.code, 0) << ring;
  EXPECT_EQ(ring.json()["activation_code"], "*21*+15550109999#");
  EXPECT_NE(ring.json()["notes"].dump().find("ignored in total_ai mode"), std::string::npos)
      << ring;
}

TEST(RunForwarding, VerizonIgnoresTheRingTimeWithANote) {
  test::Cli cli;
  auto r = codes(cli, {"--carrier", "verizon", "--mode", "safety_net", "--to", "+15550109999",
                       "--ring", "15"});
  ASSERT_EQ(r.code, 0) << r;
  auto j = r.json();
  EXPECT_EQ(j["activation_code"], "*71+15550109999");
  EXPECT_EQ(j["deactivation_code"], "*73");
  EXPECT_TRUE(j["ring_seconds"].is_null());
  EXPECT_NE(j["notes"].dump().find("--ring 15 is ignored"), std::string::npos) << j.dump();
}

TEST(RunForwarding, RingIsRoundedAndBoundedToFiveToSixty) {
  test::Cli cli;
  auto at = [&](std::vector<std::string> ring) {
    std::vector<std::string> a = {"--carrier",  "att",  "--mode",
                                  "safety_net", "--to", "+15550109999"};
    a.insert(a.end(), ring.begin(), ring.end());
    return codes(cli, a);
  };
  for (int ok : {5, 60}) {
    auto r = at({"--ring", std::to_string(ok)});
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(r.json()["ring_seconds"], ok);
  }
  auto rounded = at({"--ring", "22"});
  ASSERT_EQ(rounded.code, 0) << rounded;
  EXPECT_EQ(rounded.json()["ring_seconds"], 20);
  EXPECT_EQ(rounded.json()["activation_code"], "*004*+15550109999*11*20#");
  EXPECT_NE(rounded.json()["notes"].dump().find("rounded to 20 s"), std::string::npos) << rounded;
  const std::vector<std::vector<std::string>> bad = {
      {"--ring", "4"}, {"--ring", "61"}, {"--ring", "0"}, {"--ring=-3"}};
  for (const auto& ring : bad) {
    auto r = at(ring);
    EXPECT_EQ(r.code, 2) << ring.back() << "\n" << r;
    EXPECT_TRUE(r.out.empty()) << r;
    EXPECT_EQ(r.error_json()["kind"], "usage");
    EXPECT_NE(r.err.find("5-60 seconds"), std::string::npos) << r;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
  }
}

TEST(RunForwarding, BadDestinationIsAUsageError) {
  test::Cli cli;
  for (const char* to : {"15550109999", "+1 555 010 9999", "+1555abc", "\x1b]0;x\x07"}) {
    auto r = codes(cli, {"--carrier", "tmobile", "--mode", "total_ai", "--to", to});
    EXPECT_EQ(r.code, 2) << to << "\n" << r;
    EXPECT_TRUE(r.out.empty()) << r;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "raw escape on stderr";
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
  }
}

TEST(RunForwarding, TableViewListsCodesStepsAndNotes) {
  test::Cli cli;
  cli.stdout_tty = true; // table is the default on a terminal
  auto r = cli({"forwarding", "codes", "--carrier", "verizon", "--mode", "safety_net", "--to",
                "+15550109999"});
  ASSERT_EQ(r.code, 0) << r;
  for (const char* s : {"activation_code", "*71+15550109999", "*73",
                        "Instructions:", "2. Dial: *71+15550109999", "Notes:", "ring time"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r;
  EXPECT_EQ(r.out.find("[\""), std::string::npos) << "a JSON array in the table\n" << r;
}

TEST(RunForwarding, NeedsNoConfigOrDatabaseAndWorksUnderReadOnly) {
  test::Cli cli;
  cli.env["CRMCTL_DATABASE_URL"] = "postgresql://127.0.0.1:1/nowhere";
  auto r = cli({"--read-only", "-o", "json", "forwarding", "codes", "--carrier", "other_gsm",
                "--mode", "total_ai", "--to", "+447700900123"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.json()["activation_code"], "**21*+447700900123#");
  auto help = cli({"forwarding", "codes", "--help"});
  EXPECT_EQ(help.code, 0) << help;
  EXPECT_NE(help.out.find("--carrier"), std::string::npos);
  EXPECT_NE(help.out.find("crmctl forwarding codes"), std::string::npos) << help.out;
}
