// SQL fragments shared by the domain modules (text only; values are always bound parameters).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace crm::db {

/// `col` as RFC 3339 UTC text ("2026-11-21T09:10:00Z"), '' for NULL.
inline std::string rfc3339_sql(const std::string& col) {
  return "coalesce(to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')";
}

/// A span of SQL text that can hide `;`, `$n` and `--` inside it.
enum class SqlSpan { none, quoted, comment, dollar_quoted };
struct SqlSpanAt {
  SqlSpan kind = SqlSpan::none;
  std::size_t end = 0; // one past the span (the text's end when it is not closed)
};
/// What starts at sql[i]: a 'literal' ('' doubled; E'...' with backslash escapes too), a "quoted
/// identifier", a -- comment (up to the line break, not included), a /* comment */, or a
/// $tag$ ... $tag$ string (a '$' that does not continue an identifier, then a tag that does not
/// start with a digit — `$1` is a parameter). The one SQL scanner of the migration splitter and
/// the COPY parameter inliner.
SqlSpanAt sql_span_at(std::string_view sql, std::size_t i);

} // namespace crm::db
