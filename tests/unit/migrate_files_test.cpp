#include "migrate/migrate.hpp"

#include "db/sql.hpp"

#include <gtest/gtest.h>

using namespace crm;
using namespace crm::migrate;

TEST(MigrationFiles, ChecksumIgnoresCrlfAndBom) {
  std::string lf = "CREATE TABLE a (x int);\nSELECT 1;\n";
  std::string crlf = "\xEF\xBB\xBF"
                     "CREATE TABLE a (x int);\r\nSELECT 1;\r\n";
  EXPECT_EQ(checksum(lf), checksum(crlf));
  EXPECT_NE(checksum(lf), checksum(lf + "-- edit\n"));
}

TEST(MigrationFiles, ParsesNameDirectivesAndDownPart) {
  auto m = parse_migration(
      "20260102030405_add_x.sql",
      "-- crmctl:tx=none\n-- crmctl:lock_timeout=5s\nCREATE INDEX CONCURRENTLY i ON t (x);\n"
      "-- crmctl:down\nDROP INDEX i;\n",
      Track::tenant);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->version, "20260102030405");
  EXPECT_EQ(m->name, "add_x");
  EXPECT_EQ(m->tx, TxMode::none);
  EXPECT_EQ(m->lock_timeout.count(), 5000);
  EXPECT_EQ(m->up_sql, "CREATE INDEX CONCURRENTLY i ON t (x);\n");
  EXPECT_EQ(m->down_sql, "DROP INDEX i;\n");
  auto r = parse_migration("R__views.sql", "CREATE VIEW v AS SELECT 1;", Track::global);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->repeatable);
}

TEST(MigrationFiles, RejectsBadNamesAndDirectives) {
  auto bad = parse_migration("2026_add.sql", "", Track::global);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("YYYYMMDDHHMMSS_name.sql"), std::string::npos);
  EXPECT_FALSE(parse_migration("20260101000000_Upper.sql", "", Track::global));
  EXPECT_FALSE(parse_migration("20260101000000_x.sql", "-- crmctl:bogus=1\n", Track::global));
  EXPECT_FALSE(
      parse_migration("20260101000000_x.sql", "-- crmctl:lock_timeout=soon\n", Track::global));
}

TEST(MigrationFiles, SplitsStatementsRespectingQuotes) {
  auto s = split_statements(
      "SELECT ';'; -- a;comment\nCREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ "
      "LANGUAGE sql; /* x; */ SELECT \"a;b\" FROM t;");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "SELECT ';'");
  EXPECT_NE(s[1].find("$fn$ SELECT 1; $fn$"), std::string::npos);
  EXPECT_EQ(s[2], "SELECT \"a;b\" FROM t");
}

TEST(MigrationFiles, SplitsAroundEscapedQuotesAndDollarSigns) {
  // E'...' reads backslash escapes (\' does not end it); a '$' inside an identifier or before a
  // digit starts no dollar quote; a date'...' literal is not an E string.
  auto s = split_statements("INSERT INTO t VALUES (E'it\\'s; fine'); SELECT a$b$c FROM t; "
                            "SELECT $1, date'2026-01-01'; SELECT $q$;$q$");
  ASSERT_EQ(s.size(), 4u) << ::testing::PrintToString(s);
  EXPECT_EQ(s[0], "INSERT INTO t VALUES (E'it\\'s; fine')");
  EXPECT_EQ(s[1], "SELECT a$b$c FROM t");
  EXPECT_EQ(s[2], "SELECT $1, date'2026-01-01'");
  EXPECT_EQ(s[3], "SELECT $q$;$q$");
}

TEST(SqlSpan, FindsTheEndOfLiteralsCommentsAndDollarQuotes) {
  using db::SqlSpan;
  auto at = [](std::string_view sql, std::size_t i) { return db::sql_span_at(sql, i); };
  EXPECT_EQ(at("'a''b' x", 0).end, 6u);
  EXPECT_EQ(at("E'a\\'b' x", 1).end, 7u);           // E'a\'b': escaped quote inside
  EXPECT_EQ(at("x'a\\'b' x", 1).end, 5u);           // not an E string: ends at the 2nd quote
  EXPECT_EQ(at("\"a\"\"b\" x", 0).end, 6u);        // "a""b"
  EXPECT_EQ(at("-- c\nx", 0).kind, SqlSpan::comment);
  EXPECT_EQ(at("-- c\nx", 0).end, 4u);               // the line break stays
  EXPECT_EQ(at("/* c */x", 0).end, 7u);
  EXPECT_EQ(at("$t$ a $ b $t$x", 0).kind, SqlSpan::dollar_quoted);
  EXPECT_EQ(at("$t$ a $ b $t$x", 0).end, 13u);
  EXPECT_EQ(at("$$x$$y", 0).end, 5u);
  EXPECT_EQ(at("$1 + $2", 0).kind, SqlSpan::none);   // a parameter
  EXPECT_EQ(at("a$b$", 1).kind, SqlSpan::none);      // inside an identifier
  EXPECT_EQ(at("'open", 0).end, 5u);                 // unterminated: to the end
  EXPECT_EQ(at("x", 0).kind, SqlSpan::none);
  EXPECT_EQ(at("x", 5).kind, SqlSpan::none);
}

TEST(MigrationFiles, LintFindsTenantInvariantGaps) {
  auto m = parse_migration(
      "20260101000000_x.sql",
      "CREATE TABLE notes (id uuid PRIMARY KEY, body text);\n"
      "CREATE TABLE tags (org_id uuid NOT NULL, id uuid, PRIMARY KEY (org_id, id));\n"
      "CREATE TABLE ok_t (org_id uuid NOT NULL);\nSELECT crm.enable_tenant_rls('ok_t');\n"
      "CREATE INDEX calls_x ON calls (org_id);\n"
      "ALTER TABLE calls ADD COLUMN y int NOT NULL;\nDROP TABLE old_stuff;\n",
      Track::tenant);
  ASSERT_TRUE(m);
  auto f = lint(*m);
  auto count = [&](const std::string& code) {
    return std::count_if(f.begin(), f.end(), [&](const LintFinding& x) { return x.code == code; });
  };
  EXPECT_EQ(count("TENANT_TABLE_NO_ORG_ID"), 1);
  EXPECT_EQ(count("TENANT_TABLE_NO_RLS"), 1);
  EXPECT_EQ(count("TENANT_TABLE_RLS_NOT_FORCED"), 1);
  EXPECT_EQ(count("TENANT_TABLE_NO_POLICY"), 1);
  EXPECT_EQ(count("INDEX_WITHOUT_CONCURRENTLY"), 1);
  EXPECT_EQ(count("NOT_NULL_WITHOUT_DEFAULT"), 1);
  EXPECT_EQ(count("DROP"), 1);
}

TEST(MigrationFiles, BundledTemplatesLoadAndLintClean) {
  auto set = load_migrations(std::string(CRM_SOURCE_DIR) + "/templates/migrations");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_GE(set->global.size(), 2u);
  EXPECT_GE(set->tenant.size(), 2u);
  for (const auto* list : {&set->global, &set->tenant})
    for (const auto& m : *list)
      for (const auto& f : lint(m))
        EXPECT_NE(f.severity, "high") << m.file << ": " << f.message;
}

TEST(MigrationFiles, MissingDirectoryIsConfigError) {
  auto r = load_migrations("/nonexistent/migrations");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::config);
}
