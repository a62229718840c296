// The COPY text-format decoder of db::copy_out: delimiters, NULLs, every escape PostgreSQL writes
// or reads, and bytes that must pass through untouched.
#include "db/copy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace crm;

namespace {

// Decodes a copy of `line`; NULL fields read as "<NULL>".
std::vector<std::string> decode(std::string line) {
  std::vector<db::CopyField> fields;
  db::decode_copy_line(line.data(), line.size(), fields);
  std::vector<std::string> out;
  for (const auto& f : fields)
    out.push_back(f.null ? std::string("<NULL>") : std::string(f.text));
  return out;
}

using V = std::vector<std::string>;

} // namespace

TEST(DbCopyDecode, SplitsAtTabsAndDropsTheLineEnd) {
  EXPECT_EQ(decode("a\tbc\tdef\n"), (V{"a", "bc", "def"}));
  EXPECT_EQ(decode("a\tbc"), (V{"a", "bc"}));
  EXPECT_EQ(decode("\t\t\n"), (V{"", "", ""}));
  EXPECT_EQ(decode("\n"), (V{""}));
  EXPECT_EQ(decode("only"), (V{"only"}));
}

TEST(DbCopyDecode, NullIsAWholeBackslashNField) {
  EXPECT_EQ(decode("\\N\tx\t\\N\n"), (V{"<NULL>", "x", "<NULL>"}));
  EXPECT_EQ(decode("\\N"), (V{"<NULL>"}));
  // "\N" inside text, and an escaped backslash before N, are text
  EXPECT_EQ(decode("a\\Nb\t\\\\N\n"), (V{"aNb", "\\N"}));
  EXPECT_EQ(decode("\\Nx"), (V{"Nx"}));
}

TEST(DbCopyDecode, ResolvesTheEscapesPostgresWrites) {
  EXPECT_EQ(decode("line one\\nline two\\r\\n\tcol\\tumn\tback\\\\slash\n"),
            (V{"line one\nline two\r\n", "col\tumn", "back\\slash"}));
  EXPECT_EQ(decode("\\b\\f\\v"), (V{"\b\f\v"}));
  EXPECT_EQ(decode("\\\\\\\\\t\\\\n"), (V{"\\\\", "\\n"}));
}

TEST(DbCopyDecode, ResolvesOctalHexAndOtherEscapesItReads) {
  EXPECT_EQ(decode("\\101\\1012\\7x"), (V{"AA2\ax"}));
  EXPECT_EQ(decode("\\x41\\x4g\\xZ"), (V{std::string("A\x04g") + "xZ"}));
  EXPECT_EQ(decode("\\q\\.\\\""), (V{"q.\""}));
  EXPECT_EQ(decode(std::string("nul\\000byte", 11)), (V{std::string("nul\0byte", 8)}));
  // a backslash before a raw tab makes the tab data; a lone backslash at the end stays
  EXPECT_EQ(decode("a\\\tb\tc"), (V{"a\tb", "c"}));
  EXPECT_EQ(decode("end\\"), (V{"end\\"}));
}

TEST(DbCopyDecode, PassesUtf8AndLongFieldsThrough) {
  EXPECT_EQ(decode("h\xc3\xa9llo \xe2\x9c\x93\t\xf0\x9f\x98\x80\\n\n"),
            (V{"h\xc3\xa9llo \xe2\x9c\x93", "\xf0\x9f\x98\x80\n"}));
  std::string lon(5000, 'x'), esc;
  for (int i = 0; i < 200; ++i)
    esc += "turn " + std::to_string(i) + "\\n";
  std::string want;
  for (int i = 0; i < 200; ++i)
    want += "turn " + std::to_string(i) + "\n";
  EXPECT_EQ(decode(lon + "\t" + esc + "\t\\N\n"), (V{lon, want, "<NULL>"}));
}
