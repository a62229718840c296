#include "core/exit_codes.hpp"

namespace crm {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::unexpected:
    return 1;
  case ErrorKind::usage:
    return 2;
  case ErrorKind::not_found:
    return 3;
  case ErrorKind::conflict:
    return 4;
  case ErrorKind::findings:
    return 5;
  case ErrorKind::upstream:
  case ErrorKind::outcome_unknown:
    return 6;
  case ErrorKind::db_unavailable:
    return 7;
  case ErrorKind::partial:
    return 8;
  case ErrorKind::config:
    return 10;
  case ErrorKind::interrupted:
    return 130;
  }
  return 1;
}

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::unexpected:
    return "unexpected";
  case ErrorKind::usage:
    return "usage";
  case ErrorKind::not_found:
    return "not_found";
  case ErrorKind::conflict:
    return "conflict";
  case ErrorKind::findings:
    return "findings";
  case ErrorKind::upstream:
    return "upstream";
  case ErrorKind::outcome_unknown:
    return "outcome_unknown";
  case ErrorKind::db_unavailable:
    return "db_unavailable";
  case ErrorKind::partial:
    return "partial";
  case ErrorKind::config:
    return "config";
  case ErrorKind::interrupted:
    return "interrupted";
  }
  return "unexpected";
}

} // namespace crm
