// COPY (SELECT ...) TO STDOUT inside an open transaction: a query's rows as one stream, with no
// round trip per batch (what `psql \copy` reads), decoded from PostgreSQL's COPY text format.
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::db {

/// One decoded field of a COPY row: a view into the row's buffer, or NULL.
struct CopyField {
  std::string_view text; // "" for NULL
  bool null = false;
};

/// Decodes one line of COPY text format (the default: tab-delimited, `\N` for NULL) in place:
/// splits `line` at tabs and resolves the escapes PostgreSQL writes (`\\` `\b` `\f` `\n` `\r`
/// `\t` `\v`) and those it reads (`\ooo` octal, `\xhh` hex, `\c` for any other c). A trailing
/// "\n" ends the line. `fields` is cleared and refilled with views into `line`, which is
/// overwritten by the decoded bytes. Bytes >= 0x80 (UTF-8) pass through unchanged.
void decode_copy_line(char* line, std::size_t size, std::vector<CopyField>& fields);

/// One row of a COPY stream; valid only during the callback that receives it.
class CopyRow {
public:
  explicit CopyRow(const std::vector<CopyField>& fields) : m_fields(fields) {}
  std::size_t size() const { return m_fields.size(); }
  bool is_null(std::size_t col) const { return m_fields[col].null; }
  /// Field text by position ("" for NULL).
  std::string_view text(std::size_t col) const { return m_fields[col].text; }
  /// Field text by position (nullopt for NULL).
  std::optional<std::string_view> at(std::size_t col) const {
    if (m_fields[col].null) return std::nullopt;
    return m_fields[col].text;
  }

private:
  const std::vector<CopyField>& m_fields;
};

/// Receives one row; an error stops the stream and is returned by copy_out().
using CopyCallback = std::function<Status(const CopyRow&)>;

/// How COPY sends the rows.
/// - `text`: COPY's default text format, decoded by decode_copy_line.
/// - `binary`: COPY's binary format, for queries whose every column is of type text (cast the
///   others in the query: `c.id::text`). A text value's binary form is its bytes, so the server
///   skips COPY's escaping and the client the decoding — about a third of the server's CPU for
///   rows of long texts. A column of another type would arrive in that type's binary form (4
///   bytes for an int4, ...), not as text: the caller's query must cast it.
enum class CopyFormat { text, binary };

/// Decoder of COPY's binary format (signature, flags, header extension, then rows of
/// int16 field count + per field int32 length (-1 for NULL) and bytes, then int16 -1), fed
/// with the stream's CopyData messages in order, whatever their boundaries (a row may span
/// messages; a message may hold several rows).
class CopyBinaryDecoder {
public:
  using RowFn = std::function<Status(const std::vector<CopyField>&)>;
  /// Decodes `data` (kept as is when every row in it is whole; a partial row is copied and
  /// completed by the next calls) and calls `on_row` for each complete row. A malformed stream
  /// (bad signature, critical flag, negative length, bytes after the end marker) is an error;
  /// so is `on_row`'s error, which stops the decoding.
  Status feed(const char* data, std::size_t size, const RowFn& on_row);
  /// The end marker was read and nothing is pending.
  bool finished() const { return m_ended && m_carry.empty(); }

private:
  // Decodes [p, end): how many bytes were consumed (whole header / rows / end marker).
  Result<std::size_t> decode(const char* p, const char* end, const RowFn& on_row);
  bool m_header = false;
  bool m_ended = false;
  std::string m_carry;
  std::vector<CopyField> m_fields;
};

/// Runs `COPY (<select_sql>) TO STDOUT` in `tx` and delivers its rows in order, one libpq
/// CopyData message at a time (memory: one row plus libpq's input buffer). The rows come from
/// `tx`'s snapshot, like any statement of it. COPY takes no bound parameters, so `$1`, `$2`, ...
/// outside quotes, quoted identifiers and comments in `select_sql` are replaced by `params`
/// quoted by libpq (PQescapeLiteral; NULL for nullopt) — values are never spliced by hand. The
/// callback must not run statements in `tx`. When the callback fails, the COPY is cancelled
/// and the transaction is left aborted: roll it back. Returns the number of rows delivered.
/// `format` chooses COPY's text (default) or binary format (see CopyFormat).
Result<std::uint64_t> copy_out(Tx& tx, const std::string& select_sql, const Params& params,
                               const CopyCallback& on_row, CopyFormat format = CopyFormat::text);

} // namespace crm::db
