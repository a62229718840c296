// Incremental SHA-256, RFC 4180 CSV quoting and the atomic file sink.
#include "core/crypto.hpp"
#include "core/sink.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace crm;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// A fresh private directory under the system temp dir, removed afterwards.
class SinkTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("crm-sink-" + crypto::hex(crypto::random_bytes(6)));
    ASSERT_TRUE(make_private_dirs(dir.string()));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
  }
  fs::path dir;
};

} // namespace

TEST(Sha256Incremental, EqualsOneShotOnChunkedInput) {
  std::string data;
  for (int i = 0; i < 100000; ++i)
    data.push_back(static_cast<char>(i * 31 + i / 7));
  for (std::size_t chunk : {1u, 3u, 64u, 65u, 4096u, 100000u}) {
    crypto::Sha256 h;
    for (std::size_t at = 0; at < data.size(); at += chunk)
      h.update(std::string_view(data).substr(at, chunk));
    EXPECT_EQ(h.digest(), crypto::sha256(data)) << "chunk " << chunk;
  }
}

TEST(Sha256Incremental, EmptyAndKnownAnswers) {
  crypto::Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  empty.update("");
  EXPECT_EQ(empty.hex_digest(), crypto::hex(crypto::sha256("")));
  crypto::Sha256 abc;
  abc.update("a");
  abc.update("");
  abc.update("bc");
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Reading the digest does not end the hash.
  abc.update("d");
  EXPECT_EQ(abc.digest(), crypto::sha256("abcd"));
  crypto::Sha256 moved(std::move(abc));
  EXPECT_EQ(moved.digest(), crypto::sha256("abcd"));
}

TEST(Csv, QuotesOnlyWhatRfc4180Requires) {
  auto field = [](std::string_view f) {
    std::string out;
    append_csv_field(out, f);
    return out;
  };
  EXPECT_EQ(field("plain"), "plain");
  EXPECT_EQ(field(""), "");
  EXPECT_EQ(field("a,b"), "\"a,b\"");
  EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(field("\""), "\"\"\"\"");
  EXPECT_EQ(field("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(field("crlf\r\n"), "\"crlf\r\n\"");
  EXPECT_EQ(field(" leading and trailing "), " leading and trailing ");
  EXPECT_EQ(field("Zoë, 東京 ☎"), "\"Zoë, 東京 ☎\"");
  EXPECT_EQ(field("Zoë 東京"), "Zoë 東京");
}

TEST(Csv, RecordsEndWithTheChosenLineEnding) {
  EXPECT_EQ(csv_record({"a", "b,c", ""}), "a,\"b,c\",\r\n");
  EXPECT_EQ(csv_record({"a", "b"}, LineEnding::lf), "a,b\n");
  EXPECT_EQ(csv_record({""}), "\"\"\r\n"); // not a blank line
  EXPECT_EQ(csv_record({}), "\r\n");
}

TEST_F(SinkTest, CsvWriterWritesHeaderAndRows) {
  auto sink = FileSink::create((dir / "users.csv").string());
  ASSERT_TRUE(sink) << sink.error().message;
  CsvWriter w(*sink);
  ASSERT_TRUE(w.write_header({"email", "name"}));
  ASSERT_TRUE(w.write_row(std::vector<std::string>{"ana@x.example", "Ana \"Nana\" Lee"}));
  ASSERT_TRUE(w.write_row(std::vector<std::string_view>{"bo@x.example", "Bo,\nJr"}));
  ASSERT_TRUE(sink->commit());
  const std::string want = "email,name\r\nana@x.example,\"Ana \"\"Nana\"\" Lee\"\r\n"
                           "bo@x.example,\"Bo,\nJr\"\r\n";
  EXPECT_EQ(read_file(dir / "users.csv"), want);
  EXPECT_EQ(sink->rows(), 2u);
  EXPECT_EQ(sink->bytes(), want.size());
  EXPECT_EQ(sink->sha256_hex(), crypto::hex(crypto::sha256(want)));
}

TEST_F(SinkTest, RenamesOnCommitWithMode0600AndCountsHashes) {
  const fs::path dst = dir / "calls.jsonl";
  auto sink = FileSink::create(dst.string());
  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_TRUE(fs::exists(sink->temp_path()));
  EXPECT_EQ(mode_of(sink->temp_path()), 0600u);
  NdjsonWriter w(*sink);
  std::string want;
  const std::string big(3000, 'x'); // 200 x 3 KB crosses the 64 KiB buffer many times
  for (int i = 0; i < 200; ++i) {
    std::string doc = "{\"i\":" + std::to_string(i) + ",\"t\":\"" + big + "\"}";
    ASSERT_TRUE(w.write(doc));
    want += doc + "\n";
  }
  ASSERT_TRUE(w.write(std::string(200000, 'y'))); // one write larger than the buffer
  want += std::string(200000, 'y') + "\n";
  EXPECT_FALSE(fs::exists(dst)) << "visible before commit";
  ASSERT_TRUE(sink->commit());
  EXPECT_TRUE(sink->committed());
  EXPECT_FALSE(fs::exists(sink->temp_path()));
  EXPECT_EQ(read_file(dst), want);
  EXPECT_EQ(mode_of(dst), 0600u);
  EXPECT_EQ(sink->rows(), 201u);
  EXPECT_EQ(sink->bytes(), want.size());
  EXPECT_EQ(sink->sha256_hex(), crypto::hex(crypto::sha256(want)));
  EXPECT_FALSE(sink->write("more")) << "write after commit";
  EXPECT_EQ(entries(), 1u);
}

TEST_F(SinkTest, TempRemovedOnFailureAndDestructionAndOldFileKept) {
  const fs::path dst = dir / "keep.jsonl";
  std::ofstream(dst) << "old\n";
  std::string tmp;
  {
    auto sink = FileSink::create(dst.string());
    ASSERT_TRUE(sink);
    tmp = sink->temp_path();
    NdjsonWriter w(*sink);
    ASSERT_TRUE(w.write("{\"a\":1}"));
    // A pretty-printed document would split the line: refused, and the caller gives up.
    EXPECT_FALSE(w.write("{\n\"a\": 1\n}"));
    EXPECT_TRUE(fs::exists(tmp));
  } // destroyed without commit
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(read_file(dst), "old\n");
  {
    auto sink = FileSink::create(dst.string());
    ASSERT_TRUE(sink);
    tmp = sink->temp_path();
    ASSERT_TRUE(sink->write("partial"));
    sink->discard();
    EXPECT_FALSE(fs::exists(tmp));
    EXPECT_FALSE(sink->commit());
  }
  EXPECT_EQ(read_file(dst), "old\n");
  EXPECT_EQ(entries(), 1u);
  // Moving a sink hands over the temporary file; the moved-from one removes nothing.
  auto a = FileSink::create(dst.string());
  ASSERT_TRUE(a);
  FileSink b(std::move(*a));
  ASSERT_TRUE(b.write("new\n"));
  ASSERT_TRUE(b.commit());
  EXPECT_EQ(read_file(dst), "new\n");
}

TEST_F(SinkTest, DirectoriesAre0700AndNotADirectoryIsAnError) {
  const fs::path nested = dir / "a" / "b";
  ASSERT_TRUE(make_private_dirs(nested.string()));
  EXPECT_EQ(mode_of(dir / "a"), 0700u);
  EXPECT_EQ(mode_of(nested), 0700u);
  EXPECT_TRUE(make_private_dirs(nested.string())) << "existing directory is fine";
  std::ofstream(dir / "file") << "x";
  auto r = make_private_dirs((dir / "file" / "sub").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_FALSE(FileSink::create((dir / "missing" / "x.jsonl").string()));
}
