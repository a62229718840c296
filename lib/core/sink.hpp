// Output sinks for large exports: a file written under a temporary name and renamed into place on
// commit (so a reader never sees half a file), counting rows and bytes and hashing as it goes, and
// NDJSON / CSV writers on top. Files are created 0600 and directories 0700: exports hold
// credential ciphertext and key hashes.
#pragma once
#include "core/crypto.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crm {

/// Creates `dir` and its missing parents with mode 0700. An existing directory keeps its mode
/// (the files written into it are 0600 regardless). Failure is a usage error naming the path.
Status make_private_dirs(const std::string& dir);

/// A file written atomically. Bytes go through a 64 KiB buffer into `.<name>.<random>.tmp` next to
/// the destination (created O_EXCL, mode 0600); commit() flushes, fsyncs, renames it onto the
/// destination and fsyncs the directory. Without a commit (an error, an early return, an
/// exception) the destructor removes the temporary file and the destination is untouched.
class FileSink {
public:
  /// Opens the temporary file for `path`; the directory must exist.
  static Result<FileSink> create(const std::string& path);
  ~FileSink();
  FileSink(FileSink&& other) noexcept;
  FileSink& operator=(FileSink&&) = delete;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  /// Appends bytes (hashed and counted in bytes()).
  Status write(std::string_view data);
  /// Marks the end of one row (rows() counts them; writers call it).
  void end_row() { ++m_rows; }
  /// Makes the file visible under its final name; afterwards nothing more can be written.
  Status commit();
  /// Closes and removes the temporary file now (what destruction does without a commit).
  void discard();

  /// Destination path.
  const std::string& path() const { return m_path; }
  /// Temporary path (exists until commit or discard).
  const std::string& temp_path() const { return m_tmp; }
  std::uint64_t rows() const { return m_rows; }
  std::uint64_t bytes() const { return m_bytes; }
  /// Lower-case hex SHA-256 of every byte written so far.
  std::string sha256_hex() const { return m_hash.hex_digest(); }
  bool committed() const { return m_state == State::committed; }

private:
  enum class State { open, committed, discarded };
  FileSink(std::string path, std::string tmp, int fd);
  Status flush();
  std::string m_path, m_tmp;
  int m_fd = -1;
  State m_state = State::open;
  std::string m_buf;
  std::uint64_t m_rows = 0, m_bytes = 0;
  crypto::Sha256 m_hash;
};

/// Newline-delimited JSON: one document per line, "\n" after each.
class NdjsonWriter {
public:
  explicit NdjsonWriter(FileSink& sink) : m_sink(sink) {}
  /// Writes one JSON document as a line and counts a row. A document containing a raw CR or LF
  /// (pretty-printed JSON) is refused: it would split the line.
  Status write(std::string_view json);

private:
  FileSink& m_sink;
};

/// Line ending of CSV records: CRLF is RFC 4180's (and the default); LF for Unix tools.
enum class LineEnding { crlf, lf };

/// Appends one RFC 4180 field: quoted when it contains `,` `"` CR or LF, with `"` doubled; any
/// other bytes (UTF-8 included) pass through unchanged. Line breaks inside a quoted field are
/// kept as they are.
void append_csv_field(std::string& out, std::string_view field);
/// One CSV record: fields joined by `,` plus the line ending (a lone empty field is written `""`,
/// so the record does not read as a blank line).
std::string csv_record(const std::vector<std::string_view>& fields,
                       LineEnding eol = LineEnding::crlf);

/// RFC 4180 CSV rows into a sink.
class CsvWriter {
public:
  explicit CsvWriter(FileSink& sink, LineEnding eol = LineEnding::crlf)
      : m_sink(sink), m_eol(eol) {}
  /// The header record (not counted as a row).
  Status write_header(const std::vector<std::string_view>& names);
  /// One data record; counts a row.
  Status write_row(const std::vector<std::string_view>& fields);
  Status write_row(const std::vector<std::string>& fields);

private:
  Status write_record(const std::vector<std::string_view>& fields);
  FileSink& m_sink;
  LineEnding m_eol;
  std::string m_line; // reused between records
};

} // namespace crm
