#include "db/stream.hpp"

#include "core/crypto.hpp"

namespace crm::db {

const std::string& StreamRow::text(std::size_t col) const {
  static const std::string k_empty;
  const Value& v = at(col);
  return v ? *v : k_empty;
}

Result<StreamStats> stream(Tx& tx, const std::string& sql, const Params& params,
                           std::size_t batch_rows, const RowCallback& on_row) {
  if (batch_rows == 0) return make_error(ErrorKind::unexpected, "stream batch size must be > 0");
  // Unique per call, so a callback may itself stream from the same transaction.
  const std::string cursor = "crm_stream_" + crypto::hex(crypto::random_bytes(8));
  CRM_TRY(tx.exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + sql, params));
  const std::string fetch = "FETCH FORWARD " + std::to_string(batch_rows) + " FROM " + cursor;
  StreamStats stats;
  for (;;) {
    auto batch = tx.exec(fetch);
    if (!batch) return std::move(batch).error(); // the transaction is aborted; nothing to close
    ++stats.batches;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      if (auto st = on_row(StreamRow(*batch, i)); !st) {
        (void)tx.exec("CLOSE " + cursor);
        return std::move(st).error();
      }
      ++stats.rows;
    }
    if (batch->size() < batch_rows) break;
  }
  CRM_TRY(tx.exec("CLOSE " + cursor));
  return stats;
}

} // namespace crm::db
