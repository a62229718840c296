#include "core/sink.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace crm {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t k_buffer_bytes = 64 * 1024;

std::string errno_text() {
  return std::strerror(errno);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::unexpected, "cannot write " + path + ": " + errno_text());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Makes a rename in `dir` durable.
Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::unexpected, "cannot open " + dir + ": " + errno_text());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0)
    return make_error(ErrorKind::unexpected, "cannot fsync " + dir + ": " + std::strerror(saved));
  return {};
}

} // namespace

Status make_private_dirs(const std::string& dir) {
  if (dir.empty()) return make_error(ErrorKind::usage, "no output directory given");
  fs::path p = fs::path(dir).lexically_normal();
  fs::path cur;
  for (const auto& part : p) {
    cur /= part;
    if (part.empty() || part == "/" || part == ".") continue;
    if (::mkdir(cur.c_str(), 0700) == 0) {
      if (::chmod(cur.c_str(), 0700) != 0) // exact, whatever the umask
        return make_error(ErrorKind::usage,
                          "cannot set mode 0700 on " + cur.string() + ": " + errno_text());
      continue;
    }
    if (errno != EEXIST)
      return make_error(ErrorKind::usage, "cannot create " + cur.string() + ": " + errno_text());
    std::error_code ec;
    if (!fs::is_directory(cur, ec))
      return make_error(ErrorKind::usage, "cannot create " + dir + ": " + cur.string() +
                                              " exists and is not a directory");
  }
  return {};
}

// ---- FileSink -----------------------------------------------------------------------------

Result<FileSink> FileSink::create(const std::string& path) {
  fs::path dst(path);
  fs::path dir = dst.has_parent_path() ? dst.parent_path() : fs::path(".");
  for (int attempt = 0;; ++attempt) {
    std::string tmp = (dir / ("." + dst.filename().string() + "." +
                              crypto::hex(crypto::random_bytes(6)) + ".tmp"))
                          .string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST && attempt < 3) continue;
      return make_error(ErrorKind::unexpected, "cannot create " + tmp + ": " + errno_text());
    }
    if (::fchmod(fd, 0600) != 0) { // exact, whatever the umask
      std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(ErrorKind::unexpected, "cannot set mode 0600 on " + tmp + ": " + why);
    }
    return FileSink(path, tmp, fd);
  }
}

FileSink::FileSink(std::string path, std::string tmp, int fd)
    : m_path(std::move(path)), m_tmp(std::move(tmp)), m_fd(fd) {
  m_buf.reserve(k_buffer_bytes);
}

FileSink::FileSink(FileSink&& other) noexcept
    : m_path(std::move(other.m_path)), m_tmp(std::move(other.m_tmp)), m_fd(other.m_fd),
      m_state(other.m_state), m_buf(std::move(other.m_buf)), m_rows(other.m_rows),
      m_bytes(other.m_bytes), m_hash(std::move(other.m_hash)) {
  other.m_fd = -1;
  other.m_state = State::discarded; // the moved-from sink owns nothing
}

FileSink::~FileSink() {
  discard();
}

Status FileSink::write(std::string_view data) {
  if (m_state != State::open)
    return make_error(ErrorKind::unexpected, "write to " + m_path + " after commit or discard");
  m_hash.update(data);
  m_bytes += data.size();
  if (m_buf.size() + data.size() <= k_buffer_bytes) {
    m_buf.append(data);
    return {};
  }
  CRM_TRY(flush());
  if (data.size() >= k_buffer_bytes) return write_all(m_fd, data, m_tmp);
  m_buf.append(data);
  return {};
}

Status FileSink::flush() {
  if (m_buf.empty()) return {};
  auto st = write_all(m_fd, m_buf, m_tmp);
  m_buf.clear();
  return st;
}

Status FileSink::commit() {
  if (m_state != State::open)
    return make_error(ErrorKind::unexpected, "commit of " + m_path + " after commit or discard");
  CRM_TRY(flush());
  if (::fsync(m_fd) != 0)
    return make_error(ErrorKind::unexpected, "cannot fsync " + m_tmp + ": " + errno_text());
  int rc = ::close(m_fd);
  m_fd = -1;
  if (rc != 0)
    return make_error(ErrorKind::unexpected, "cannot close " + m_tmp + ": " + errno_text());
  if (::rename(m_tmp.c_str(), m_path.c_str()) != 0)
    return make_error(ErrorKind::unexpected,
                      "cannot rename " + m_tmp + " to " + m_path + ": " + errno_text());
  m_state = State::committed;
  fs::path dst(m_path);
  return fsync_dir(dst.has_parent_path() ? dst.parent_path().string() : ".");
}

void FileSink::discard() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  if (m_state == State::open) ::unlink(m_tmp.c_str());
  if (m_state != State::committed) m_state = State::discarded;
  m_buf.clear();
}

// ---- writers ------------------------------------------------------------------------------

Status NdjsonWriter::write(std::string_view json) {
  if (json.find_first_of("\r\n") != std::string_view::npos)
    return make_error(ErrorKind::unexpected,
                      "NDJSON document for " + m_sink.path() + " contains a line break");
  CRM_TRY(m_sink.write(json));
  CRM_TRY(m_sink.write("\n"));
  m_sink.end_row();
  return {};
}

void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

namespace {
void append_record(std::string& out, const std::vector<std::string_view>& fields, LineEnding eol) {
  if (fields.size() == 1 && fields[0].empty()) {
    out += "\"\""; // a lone empty field would read as a blank line
  } else {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out.push_back(',');
      append_csv_field(out, fields[i]);
    }
  }
  out += eol == LineEnding::crlf ? "\r\n" : "\n";
}
} // namespace

std::string csv_record(const std::vector<std::string_view>& fields, LineEnding eol) {
  std::string out;
  append_record(out, fields, eol);
  return out;
}

Status CsvWriter::write_record(const std::vector<std::string_view>& fields) {
  m_line.clear();
  append_record(m_line, fields, m_eol);
  return m_sink.write(m_line);
}

Status CsvWriter::write_header(const std::vector<std::string_view>& names) {
  return write_record(names);
}

Status CsvWriter::write_row(const std::vector<std::string_view>& fields) {
  CRM_TRY(write_record(fields));
  m_sink.end_row();
  return {};
}

Status CsvWriter::write_row(const std::vector<std::string>& fields) {
  std::vector<std::string_view> views(fields.begin(), fields.end());
  return write_row(views);
}

} // namespace crm
