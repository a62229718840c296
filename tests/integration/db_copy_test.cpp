// db::copy_out against a real PostgreSQL: the same values as an ordinary query (NULLs, tabs,
// newlines, backslashes, UTF-8), parameters quoted by libpq, the transaction's snapshot, and the
// session left usable after a callback or server error.
#include "db/copy.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using namespace crm;

namespace {

using Row = std::vector<std::optional<std::string>>;

std::vector<Row> copy_rows(db::Tx& tx, const std::string& sql, const db::Params& params = {},
                           db::CopyFormat format = db::CopyFormat::text) {
  std::vector<Row> rows;
  auto n = db::copy_out(tx, sql, params, [&](const db::CopyRow& r) -> Status {
    Row row;
    for (std::size_t i = 0; i < r.size(); ++i)
      row.push_back(r.at(i) ? std::optional<std::string>(std::string(*r.at(i))) : std::nullopt);
    rows.push_back(std::move(row));
    return {};
  }, format);
  EXPECT_TRUE(n) << n.error().message;
  if (n) {
    EXPECT_EQ(*n, rows.size());
  }
  return rows;
}

std::vector<Row> query_rows(db::Tx& tx, const std::string& sql, const db::Params& params = {}) {
  auto r = tx.exec(sql, params);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->rows : std::vector<Row>{};
}

class DbCopyTest : public ::testing::Test {
protected:
  test::TempDatabase dbase;
  std::unique_ptr<db::Connection> c = dbase.connect();
};

// Four rows of awkward text (tabs, newlines, backslashes, "\N", UTF-8, control bytes, '' and
// NULL, a 100,000-byte value) as v(n, a, b, c), n an int and the others text.
constexpr const char* k_awkward_values =
    "(VALUES "
    "(1, 'plain', NULL::text, now()::date::text), "
    "(2, E'tab\\there\\nnew line\\r\\nCRLF', E'back\\\\slash \\\\N \\\\t', ''), "
    "(3, 'h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80', E'\\\\', E'ctl\\x01\\x1f\\b\\f\\v'), "
    "(4, '\\N', 'N', repeat('x', 100000))) v(n, a, b, c) ORDER BY n";

constexpr db::TxMode k_snapshot{.isolation = db::TxIsolation::repeatable_read,
                                .access = db::TxAccess::read_only};

} // namespace

TEST_F(DbCopyTest, DeliversTheSameValuesAsAQuery) {
  ASSERT_TRUE(c);
  auto tx = c->admin();
  ASSERT_TRUE(tx);
  const std::string sql = "SELECT * FROM " + std::string(k_awkward_values);
  auto want = query_rows(**tx, sql);
  ASSERT_EQ(want.size(), 4u);
  EXPECT_EQ(copy_rows(**tx, sql), want);
  EXPECT_FALSE(want[0][2]); // a NULL, not ""
  EXPECT_EQ(*want[3][1], "\\N");
}

TEST_F(DbCopyTest, QuotesParametersInsteadOfSplicingThem) {
  ASSERT_TRUE(c);
  auto tx = c->admin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE((*tx)->exec("CREATE TABLE t (id int, label text)"));
  ASSERT_TRUE((*tx)->exec("INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g"));
  const std::string hostile = "x'); DROP TABLE t; -- \\ \" $1 \xc3\xa9";
  // $1 and $2 bound as literals; '$2' in a string literal, "$2" as an identifier and a comment
  // mentioning $1 stay as they are.
  const std::string sql = "SELECT $1::text AS a, $2::text IS NULL AS b, '$2' AS c, "
                          "id AS \"$2\" /* $1 */ FROM t WHERE id > $3::int ORDER BY id -- $9";
  auto rows = copy_rows(**tx, sql, {hostile, std::nullopt, "7"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(*rows[0][0], hostile);
  EXPECT_EQ(*rows[0][1], "t");
  EXPECT_EQ(*rows[0][2], "$2");
  EXPECT_EQ(*rows[2][3], "10");
  EXPECT_EQ(query_rows(**tx, "SELECT count(*) FROM t")[0][0], "10"); // still there
  auto missing = db::copy_out(**tx, "SELECT $2::int", {"1"},
                              [](const db::CopyRow&) { return Status{}; });
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("$2"), std::string::npos);
}

TEST_F(DbCopyTest, ReadsTheTransactionsSnapshot) {
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->exec("CREATE TABLE s (id int)"));
  ASSERT_TRUE(c->exec("INSERT INTO s SELECT generate_series(1, 100)"));
  auto tx = c->admin(k_snapshot);
  ASSERT_TRUE(tx);
  EXPECT_EQ(query_rows(**tx, "SELECT count(*) FROM s")[0][0], "100"); // the snapshot is taken
  auto other = dbase.connect();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->exec("INSERT INTO s SELECT generate_series(101, 150)"));
  ASSERT_TRUE(other->exec("DELETE FROM s WHERE id <= 10"));
  auto rows = copy_rows(**tx, "SELECT id FROM s ORDER BY id");
  ASSERT_EQ(rows.size(), 100u);
  EXPECT_EQ(*rows.front()[0], "1");
  EXPECT_EQ(*rows.back()[0], "100");
  ASSERT_TRUE((*tx)->commit());
  auto after = c->admin();
  ASSERT_TRUE(after);
  EXPECT_EQ(copy_rows(**after, "SELECT id FROM s").size(), 140u);
}

TEST_F(DbCopyTest, StopsOnACallbackErrorAndTheSessionRollsBack) {
  ASSERT_TRUE(c);
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    std::size_t seen = 0;
    auto n = db::copy_out(**tx, "SELECT g, repeat('y', 2000) FROM generate_series(1, 200000) g",
                          {}, [&](const db::CopyRow& r) -> Status {
                            EXPECT_EQ(r.size(), 2u);
                            if (++seen == 15) return make_error(ErrorKind::interrupted, "stop");
                            return {};
                          });
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().kind, ErrorKind::interrupted);
    EXPECT_EQ(seen, 15u);
    (*tx)->rollback();
  }
  auto again = c->admin();
  ASSERT_TRUE(again);
  EXPECT_EQ(copy_rows(**again, "SELECT 42")[0][0], "42");
  EXPECT_TRUE(c->is_usable());
}

TEST_F(DbCopyTest, AServerErrorIsAnErrorAndTheSessionRollsBack) {
  ASSERT_TRUE(c);
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    std::size_t seen = 0;
    // Fails after some rows have been sent: division by zero at g = 5000.
    auto n = db::copy_out(**tx, "SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g", {},
                          [&](const db::CopyRow&) -> Status {
                            ++seen;
                            return {};
                          });
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().sqlstate, "22012");
    EXPECT_NE(n.error().message.find("division by zero"), std::string::npos);
    EXPECT_LT(seen, 5000u);
  }
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    auto bad = db::copy_out(**tx, "SELECT nope FROM nowhere", {},
                            [](const db::CopyRow&) { return Status{}; });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().sqlstate, "42P01");
  }
  auto again = c->admin();
  ASSERT_TRUE(again);
  EXPECT_EQ(copy_rows(**again, "SELECT 'ok'")[0][0], "ok");
}

TEST_F(DbCopyTest, BinaryFormatDeliversTextColumnsAsTheirBytes) {
  ASSERT_TRUE(c);
  auto tx = c->admin();
  ASSERT_TRUE(tx);
  // Every column text (the binary format's contract): tabs, newlines, backslashes, "\N", UTF-8,
  // control bytes, '' and NULL come through as the same values as an ordinary query's; the
  // 100,000-byte value spans more than one libpq read.
  const std::string sql = "SELECT n::text, a, b, c FROM " + std::string(k_awkward_values);
  auto want = query_rows(**tx, sql);
  ASSERT_EQ(want.size(), 4u);
  EXPECT_EQ(copy_rows(**tx, sql, {}, db::CopyFormat::binary), want);
  EXPECT_EQ(copy_rows(**tx, sql, {}, db::CopyFormat::binary), copy_rows(**tx, sql));
  EXPECT_FALSE(want[0][2]);
  EXPECT_EQ(want[3][3]->size(), 100000u);
  // no rows at all: the header and the end marker only
  EXPECT_TRUE(copy_rows(**tx, "SELECT 'x'::text WHERE false", {}, db::CopyFormat::binary).empty());
  // parameters are quoted the same way
  const std::string hostile = "x'); DROP TABLE t; -- \\ \" $1 \xc3\xa9";
  auto rows = copy_rows(**tx, "SELECT $1::text, $2::text", {hostile, std::nullopt},
                        db::CopyFormat::binary);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], hostile);
  EXPECT_FALSE(rows[0][1]);
}

TEST_F(DbCopyTest, BinaryFormatStreamsManyRowsAndStopsOnACallbackError) {
  ASSERT_TRUE(c);
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    std::uint64_t seen = 0, bytes = 0;
    auto n = db::copy_out(
        **tx, "SELECT g::text, repeat(chr(65 + g % 26), 2000 + g % 7) FROM generate_series(1, 20000) g",
        {},
        [&](const db::CopyRow& r) -> Status {
          ++seen;
          EXPECT_EQ(r.text(0), std::to_string(seen));
          bytes += r.text(1).size();
          return {};
        },
        db::CopyFormat::binary);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 20000u);
    EXPECT_EQ(seen, 20000u);
    std::uint64_t want = 0;
    for (int g = 1; g <= 20000; ++g)
      want += 2000 + g % 7;
    EXPECT_EQ(bytes, want);
  }
  {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    std::size_t seen = 0;
    auto n = db::copy_out(**tx, "SELECT repeat('y', 2000) FROM generate_series(1, 200000) g", {},
                          [&](const db::CopyRow&) -> Status {
                            if (++seen == 15) return make_error(ErrorKind::interrupted, "stop");
                            return {};
                          },
                          db::CopyFormat::binary);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().kind, ErrorKind::interrupted);
    (*tx)->rollback();
  }
  auto again = c->admin();
  ASSERT_TRUE(again);
  EXPECT_EQ(copy_rows(**again, "SELECT 'ok'", {}, db::CopyFormat::binary)[0][0], "ok");
}
