// Small text and file helpers shared by every layer (one copy each).
#pragma once
#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace crm {

/// ASCII lower-case copy (UTF-8 bytes above 0x7f unchanged).
std::string to_lower(std::string_view s);
/// ASCII upper-case copy.
std::string to_upper(std::string_view s);
/// `s` without leading and trailing spaces, tabs, CR and LF.
std::string trim(std::string_view s);
/// Splits a comma (or `sep`) list into trimmed items. An empty item ("a,,b", "a,", "") is a usage
/// error naming `what` — an empty list never means "all".
Result<std::vector<std::string>> split_list(std::string_view text, const std::string& what,
                                            char sep = ',');
/// Joins items with `sep`.
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// Levenshtein distance between two byte strings (for "did you mean ...?" suggestions).
std::size_t edit_distance(std::string_view a, std::string_view b);
/// Number of UTF-8 code points (continuation bytes not counted).
std::size_t utf8_length(std::string_view s);
/// `s` without a leading UTF-8 byte order mark (EF BB BF), as spreadsheet exports write it.
std::string_view strip_utf8_bom(std::string_view s);
/// Reads a whole file; a missing or unreadable file is a usage error naming it.
Result<std::string> read_file(const std::string& path, const std::string& what = "file");

} // namespace crm
