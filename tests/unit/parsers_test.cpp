// Pure parsers of core/: durations and sizes (core/units.hpp), comma lists and whole files
// (core/text.hpp). No database, no network. (The tenant parsers — users CSV, templates,
// credential text, rounding — live in crm_tenant, which this binary does not link; their unit
// tests are tests/cmd/parsers_tenant_test.cpp.)
#include "core/text.hpp"
#include "core/units.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace crm;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

std::string duration_error(const std::string& text) {
  auto r = parse_duration(text);
  EXPECT_FALSE(r) << "'" << text << "' parsed as " << (r ? r->count() : 0) << "ms";
  if (r) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::usage) << text;
  return r.error().message;
}

} // namespace

// --- parse_duration ---------------------------------------------------------------------------

TEST(ParserDuration, EveryUnit) {
  EXPECT_EQ(*parse_duration("500ms"), 500ms);
  EXPECT_EQ(*parse_duration("3s"), 3000ms);
  EXPECT_EQ(*parse_duration("2m"), 120'000ms);
  EXPECT_EQ(*parse_duration("24h"), 86'400'000ms);
  EXPECT_EQ(*parse_duration("90d"), std::chrono::milliseconds(90LL * 86'400'000));
  EXPECT_EQ(*parse_duration("0s"), 0ms);
  EXPECT_EQ(*parse_duration("007s"), 7000ms);
  // The longest accepted: 100 years of days (a time point further out would wrap around).
  EXPECT_EQ(*parse_duration("36600d"), std::chrono::milliseconds(36'600LL * 86'400'000));
}

TEST(ParserDuration, RejectsWhatIsNotANumberAndAUnit) {
  EXPECT_EQ(duration_error("1w"),
            "'1w' is not a duration: use a number with ms, s, m, h or d, e.g. 30s or 90d");
  for (const char* bad : {"", "s", "10", "1.5h", "-1s", "+1s", "10 s", " 3s", "3s ", "10S", "3sec",
                          "h1", "1d2h", "0x10s"})
    EXPECT_NE(duration_error(bad).find("is not a duration"), std::string::npos) << bad;
}

TEST(ParserDuration, ANumberTooLargeForMillisecondsIsRejected) {
  for (const char* big : {"10000000000000000000ms", "200000000000000d", "106751991168d", "36601d", "878401h"})
    EXPECT_EQ(duration_error(big), "'" + std::string(big) +
                                       "' is too long a duration: at most 100 years (36600d)");
}

TEST(ParserSize, UnitsAndErrors) {
  EXPECT_EQ(*parse_size("512"), 512u);
  EXPECT_EQ(*parse_size("1B"), 1u);
  EXPECT_EQ(*parse_size("1KiB"), 1024u);
  EXPECT_EQ(*parse_size("1MiB"), 1024u * 1024u);
  EXPECT_EQ(*parse_size("2GiB"), 2ull << 30);
  EXPECT_EQ(*parse_size("3KB"), 3000u);
  EXPECT_EQ(*parse_size("1MB"), 1'000'000u);
  EXPECT_EQ(*parse_size("1GB"), 1'000'000'000u);
  for (const char* bad : {"", "MiB", "1 MiB", "1mib", "1.5MiB", "-1"}) {
    auto r = parse_size(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_EQ(r.error().message,
              "'" + std::string(bad) + "' is not a size: use e.g. 512KiB or 1MiB");
  }
}

// --- split_list -------------------------------------------------------------------------------

TEST(ParserSplitList, ItemsAreTrimmed) {
  EXPECT_EQ(*split_list("a,b", "--scopes"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*split_list(" calls:read ,\tcontacts:read ", "--scopes"),
            (std::vector<std::string>{"calls:read", "contacts:read"}));
  EXPECT_EQ(*split_list("one", "--tenants"), (std::vector<std::string>{"one"}));
  EXPECT_EQ(*split_list("a;b c;d", "x", ';'), (std::vector<std::string>{"a", "b c", "d"}));
  // Duplicates are kept: deduplicating is the caller's decision.
  EXPECT_EQ(*split_list("a,a", "x"), (std::vector<std::string>{"a", "a"}));
}

TEST(ParserSplitList, AnEmptyListOrEntryIsAUsageError) {
  auto empty = split_list("", "--scopes");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::usage);
  EXPECT_EQ(empty.error().message, "--scopes is empty: give a ,-separated list of names");
  for (const char* bad : {"a,,b", "a,", ",a", " , ", ",", "   "}) {
    auto r = split_list(bad, "--scopes");
    ASSERT_FALSE(r) << "'" << bad << "'";
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_EQ(r.error().message, "--scopes has an empty entry: give a ,-separated list of names")
        << "'" << bad << "'";
  }
  auto semi = split_list("a;;b", "--x", ';');
  ASSERT_FALSE(semi);
  EXPECT_EQ(semi.error().message, "--x has an empty entry: give a ;-separated list of names");
}

// --- read_file --------------------------------------------------------------------------------

class ParserReadFile : public ::testing::Test {
protected:
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmctl-parsers-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(ParserReadFile, ReturnsTheBytesUnchanged) {
  const std::string bytes = "\xEF\xBB\xBF"
                            "a,b\r\nc\0d\n\xff"s; // BOM, CRLF, NUL, not UTF-8
  ASSERT_EQ(bytes.size(), 13u);
  auto p = (dir / "bytes.csv").string();
  std::ofstream(p, std::ios::binary) << bytes;
  auto r = read_file(p, "CSV file");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, bytes);
  auto e = (dir / "empty").string();
  std::ofstream{e};
  EXPECT_EQ(*read_file(e), "");
}

TEST_F(ParserReadFile, AMissingFileIsAUsageErrorNamingIt) {
  auto p = (dir / "missing.csv").string();
  auto r = read_file(p, "CSV file");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_EQ(r.error().message, "cannot read CSV file " + p + ": No such file or directory");
  auto d = read_file(p);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "cannot read file " + p + ": No such file or directory");
}

TEST_F(ParserReadFile, AnUnreadableFileIsAUsageError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  auto p = (dir / "secret.yaml").string();
  std::ofstream(p) << "x";
  std::filesystem::permissions(p, std::filesystem::perms::none);
  auto r = read_file(p, "settings file");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot read settings file " + p + ": Permission denied");
}

TEST_F(ParserReadFile, ADirectoryIsAUsageError) {
  auto r = read_file(dir.string(), "CSV file");
  ASSERT_FALSE(r) << "read a directory as '" << *r << "'";
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_NE(r.error().message.find("cannot read CSV file " + dir.string()), std::string::npos);
}
