// RFC 4180 reading: quoted fields, doubled quotes, line breaks inside quotes, CRLF or LF.
#pragma once
#include "core/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace crm {

/// The records of a CSV text, each with the (1-based) line it starts on. Blank lines are skipped.
struct CsvRecords {
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> lines;
};

/// Parses `text` (a UTF-8 byte order mark is skipped). An unterminated quoted field is a usage
/// error naming the line it starts on.
Result<CsvRecords> parse_csv(std::string_view text);

} // namespace crm
