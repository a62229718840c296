#include "db/sql.hpp"

namespace crm::db {

namespace {
bool ident_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
         u >= 0x80;
}
} // namespace

SqlSpanAt sql_span_at(std::string_view sql, std::size_t i) {
  const std::size_t n = sql.size();
  if (i >= n) return {};
  const char c = sql[i];
  if (c == '\'' || c == '"') {
    // E'...' (a standalone E before the quote) reads backslash escapes
    const bool backslashes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                             (i < 2 || !ident_char(sql[i - 2]));
    std::size_t j = i + 1;
    while (j < n) {
      if (backslashes && sql[j] == '\\') {
        j += 2;
        continue;
      }
      if (sql[j] == c) {
        if (j + 1 < n && sql[j + 1] == c) {
          j += 2;
          continue;
        }
        break;
      }
      ++j;
    }
    return {SqlSpan::quoted, j < n ? j + 1 : n};
  }
  if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
    const std::size_t nl = sql.find('\n', i);
    return {SqlSpan::comment, nl == std::string_view::npos ? n : nl};
  }
  if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
    const std::size_t close = sql.find("*/", i + 2);
    return {SqlSpan::comment, close == std::string_view::npos ? n : close + 2};
  }
  if (c == '$' && !(i > 0 && ident_char(sql[i - 1])) &&
      !(i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9')) {
    std::size_t j = i + 1;
    while (j < n && ident_char(sql[j]))
      ++j;
    if (j < n && sql[j] == '$') {
      const std::string_view tag = sql.substr(i, j + 1 - i);
      const std::size_t close = sql.find(tag, j + 1);
      return {SqlSpan::dollar_quoted, close == std::string_view::npos ? n : close + tag.size()};
    }
  }
  return {};
}

} // namespace crm::db
