// lib/db's own view of a transaction's libpq session, for what libpqxx 6.4 does not offer (the
// COPY reader, db/copy.cpp). Internal to lib/db: nothing outside this folder includes it.
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <string>

struct pg_conn;   // libpq's PGconn
struct pg_result; // libpq's PGresult

namespace crm::db {

struct RawAccess {
  /// The libpq session `tx` runs on; nullptr when the transaction is finished or the
  /// connection is offline.
  static pg_conn* session(Tx& tx);
  /// "host:port" of the server (for messages).
  static const std::string& target(Tx& tx);
};

/// A server error as db.cpp maps every other one: the kind from the SQLSTATE (conflict for
/// unique/lock/serialization/cancel, db_unavailable for class 08 and shutdowns), the first line
/// of the message, the SQLSTATE kept.
Error server_error(const std::string& sqlstate, const std::string& message);

/// The error of a failed statement's result `r` (nullptr: the session's message): db_unavailable
/// when the session is gone, else server_error of its SQLSTATE and message.
Error result_error(pg_conn* pg, const pg_result* r, const std::string& target);

} // namespace crm::db
