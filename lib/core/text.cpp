#include "core/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crm {

std::string to_lower(std::string_view s) {
  std::string o(s);
  for (auto& ch : o)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return o;
}

std::string to_upper(std::string_view s) {
  std::string o(s);
  for (auto& ch : o)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return o;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Result<std::vector<std::string>> split_list(std::string_view text, const std::string& what,
                                            char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(sep, start);
    std::string item = trim(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (item.empty())
      return make_error(ErrorKind::usage,
                        what + (text.empty() ? " is empty" : " has an empty entry") + ": give a " +
                            std::string(1, sep) + "-separated list of names");
    out.push_back(std::move(item));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string o;
  for (const auto& i : items) {
    if (!o.empty()) o += sep;
    o += i;
  }
  return o;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

std::string_view strip_utf8_bom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

Result<std::string> read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return make_error(ErrorKind::usage,
                      "cannot read " + what + " " + path + ": it is a directory, not a file");
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return make_error(ErrorKind::usage,
                      "cannot read " + what + " " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return make_error(ErrorKind::usage, "cannot read " + what + " " + path);
  return ss.str();
}

} // namespace crm
