// SQL fragments shared by the domain modules (text only; values are always bound parameters).
#pragma once
#include <string>

namespace crm::db {

/// `col` as RFC 3339 UTC text ("2026-11-21T09:10:00Z"), '' for NULL.
inline std::string rfc3339_sql(const std::string& col) {
  return "coalesce(to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')";
}

} // namespace crm::db
