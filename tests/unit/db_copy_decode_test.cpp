// The COPY decoders of db::copy_out. Text format: delimiters, NULLs, every escape PostgreSQL
// writes or reads, and bytes that must pass through untouched. Binary format: rows split across
// messages at every byte, NULL vs '', and malformed streams refused.
#include "db/copy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
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

// ---- COPY's binary format ----------------------------------------------------------------------

namespace {

std::string be32s(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string be16s(std::uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string header(std::uint32_t flags = 0, const std::string& ext = "") {
  return std::string("PGCOPY\n\377\r\n\0", 11) + be32s(flags) +
         be32s(static_cast<std::uint32_t>(ext.size())) + ext;
}
// One row of the given values (nullopt: NULL).
std::string row(const std::vector<std::optional<std::string>>& vals) {
  std::string r = be16s(static_cast<std::uint16_t>(vals.size()));
  for (const auto& v : vals)
    r += v ? be32s(static_cast<std::uint32_t>(v->size())) + *v : be32s(0xffffffffu);
  return r;
}
const std::string k_end = be16s(0xffff);

struct Fed {
  std::vector<V> rows;
  Status status;
  bool finished = false;
};
// Feeds `stream` in pieces of `piece` bytes (0: whole).
Fed feed(const std::string& stream, std::size_t piece = 0) {
  Fed out;
  db::CopyBinaryDecoder d;
  auto on_row = [&](const std::vector<db::CopyField>& fields) -> Status {
    V r;
    for (const auto& f : fields)
      r.push_back(f.null ? std::string("<NULL>") : std::string(f.text));
    out.rows.push_back(std::move(r));
    return {};
  };
  const std::size_t step = piece ? piece : std::max<std::size_t>(stream.size(), 1);
  for (std::size_t at = 0; at < stream.size() && out.status; at += step) {
    const std::string part = stream.substr(at, step); // a copy: the decoder must not keep views
    out.status = d.feed(part.data(), part.size(), on_row);
  }
  out.finished = d.finished();
  return out;
}

} // namespace

TEST(DbCopyBinary, DecodesRowsNullsAndEmptyValuesInAnyChunking) {
  const std::string big(70000, 'z');
  const std::string stream = header(0, "ext!") + row({"a", std::nullopt, ""}) +
                             row({std::string("tab\tnl\n\\N\0x", 10), big, "\xc3\xa9"}) +
                             row({}) + k_end;
  const std::vector<V> want = {{"a", "<NULL>", ""},
                               {std::string("tab\tnl\n\\N\0x", 10), big, "\xc3\xa9"},
                               {}};
  for (std::size_t piece : {0, 1, 2, 3, 7, 19, 20, 64, 4096}) {
    auto f = feed(stream, piece);
    ASSERT_TRUE(f.status) << piece << ": " << f.status.error().message;
    EXPECT_EQ(f.rows, want) << "piece " << piece;
    EXPECT_TRUE(f.finished) << piece;
  }
}

TEST(DbCopyBinary, AnEmptyResultIsTheHeaderAndTheEndMarker) {
  auto f = feed(header() + k_end);
  ASSERT_TRUE(f.status);
  EXPECT_TRUE(f.rows.empty());
  EXPECT_TRUE(f.finished);
  auto cut = feed(header() + row({"a"}).substr(0, 5)); // the stream stops mid-row
  ASSERT_TRUE(cut.status);
  EXPECT_TRUE(cut.rows.empty());
  EXPECT_FALSE(cut.finished);
  EXPECT_FALSE(feed(header() + row({"a"})).finished); // no end marker
}

TEST(DbCopyBinary, RefusesMalformedStreams) {
  auto fails = [](const std::string& stream, const std::string& what) {
    auto f = feed(stream);
    EXPECT_FALSE(f.status) << what;
    if (!f.status) {
      EXPECT_NE(f.status.error().message.find("malformed binary COPY"), std::string::npos);
    }
  };
  fails("PGCOPY\n\377\r\nX" + std::string(8, '\0') + k_end, "bad signature");
  fails(std::string(19, 'a'), "text, not binary");
  fails(header(1u << 16) + k_end, "OIDs flag");
  fails(header(1u << 31) + k_end, "reserved critical flag");
  fails(header() + be16s(1) + be32s(0xfffffffeu) + k_end, "length -2");
  fails(header() + be16s(0x8000) + k_end, "negative field count");
  fails(header() + k_end + row({"late"}), "a row after the end marker");
  EXPECT_TRUE(feed(header(0x0000ffffu) + k_end).status); // non-critical flags are ignored
}

TEST(DbCopyBinary, ACallbackErrorStopsTheDecoding) {
  db::CopyBinaryDecoder d;
  const std::string stream = header() + row({"1"}) + row({"2"}) + row({"3"}) + k_end;
  int seen = 0;
  Status st = d.feed(stream.data(), stream.size(), [&](const std::vector<db::CopyField>&) -> Status {
    if (++seen == 2) return make_error(ErrorKind::interrupted, "stop");
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::interrupted);
  EXPECT_EQ(seen, 2);
}
