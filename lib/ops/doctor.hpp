// `crmctl doctor`: what is wrong with this installation, one check per line with a hint.
#pragma once
#include "core/config.hpp"
#include "core/env.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include <string>
#include <vector>

namespace crm::ops {

enum class CheckStatus { ok, warn, fail, skip };

struct Check {
  std::string name;
  CheckStatus status = CheckStatus::ok;
  std::string detail;
  std::string hint;
  ErrorKind kind = ErrorKind::unexpected; // the exit class when status == fail
};

/// Inputs of a doctor run: resolved settings, a database session (or why there is none), the
/// migrations directory (for pending files; may be empty).
struct DoctorInput {
  const Settings* settings = nullptr;
  Result<db::Connection*> db = make_error(ErrorKind::config, "not connected");
  EnvLookup env;
  std::string migrations_dir;
};

/// Runs every check; never throws, never stops at the first failure.
std::vector<Check> run_doctor(DoctorInput& in);
/// The error a doctor run exits with (database first, then config, then findings); ok when clean.
Status doctor_outcome(const std::vector<Check>& checks);
std::string status_name(CheckStatus s);

} // namespace crm::ops
