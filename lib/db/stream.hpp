// Streaming reads: a query's rows delivered in batches through a server-side cursor inside an open
// transaction, so memory stays flat however large the result is.
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace crm::db {

/// One row of a streamed result; valid only during the callback that receives it.
class StreamRow {
public:
  StreamRow(const Rows& batch, std::size_t row) : m_batch(batch), m_row(row) {}
  /// Column names, in the query's order.
  const std::vector<std::string>& columns() const { return m_batch.columns; }
  std::size_t size() const { return m_batch.columns.size(); }
  /// Field value by position (nullopt for NULL).
  const Value& at(std::size_t col) const { return m_batch.rows[m_row][col]; }
  /// Field text by position ("" for NULL).
  const std::string& text(std::size_t col) const;
  /// Field text by name ("" for NULL); throws std::out_of_range for an unknown column.
  const std::string& get(const std::string& name) const { return text(m_batch.col(name)); }

private:
  const Rows& m_batch;
  std::size_t m_row;
};

/// What one stream() call did.
struct StreamStats {
  std::size_t rows = 0;    // rows delivered to the callback
  std::size_t batches = 0; // FETCH round trips (the last one may be empty)
};

/// Receives one row; an error stops the stream and is returned by stream().
using RowCallback = std::function<Status(const StreamRow&)>;

/// Runs `sql` (parameters bound, never spliced) as `DECLARE <unique> NO SCROLL CURSOR` in `tx` and
/// delivers its rows in order, `FETCH FORWARD batch_rows` at a time: at most one batch is held in
/// memory. Every row comes from the transaction's snapshot (open `tx` REPEATABLE READ to make
/// several streams agree). The callback may run other statements in `tx` between rows. The cursor
/// is closed on success and on a callback error.
Result<StreamStats> stream(Tx& tx, const std::string& sql, const Params& params,
                           std::size_t batch_rows, const RowCallback& on_row);

} // namespace crm::db
