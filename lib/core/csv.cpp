#include "core/csv.hpp"

#include "core/text.hpp"

namespace crm {

Result<CsvRecords> parse_csv(std::string_view input) {
  std::string_view text = strip_utf8_bom(input);
  CsvRecords out;
  std::vector<std::string> rec;
  std::string field;
  bool quoted = false, any = false;
  std::size_t line = 1, rec_line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      quoted = any = true;
    } else if (ch == ',') {
      rec.push_back(field);
      field.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        rec.push_back(field);
        out.records.push_back(rec);
        out.lines.push_back(rec_line);
      }
      rec.clear();
      field.clear();
      any = false;
      rec_line = ++line;
    } else {
      field.push_back(ch);
      any = true;
    }
  }
  if (quoted)
    return make_error(ErrorKind::usage, "CSV: unterminated quoted field starting on line " +
                                            std::to_string(rec_line));
  if (any || !field.empty()) {
    rec.push_back(field);
    out.records.push_back(rec);
    out.lines.push_back(rec_line);
  }
  return out;
}

} // namespace crm
