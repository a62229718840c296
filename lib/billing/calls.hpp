// `calls import` / `calls list`: legacy or single-tenant call history brought into a tenant
// (the white-label seed's "migrate current data to the first organization").
//
// Format (shared/docs/cli.md): one call per JSONL line or CSV record with the fields provider,
// external_call_id, call_type (phone|web|test), direction, from_number, to_number, caller_name,
// started_at, ended_at or duration_seconds, cost (a decimal string; a JSON number is read from
// its token text, never through a double), transcript, summary, recording_url.
#pragma once
#include "core/money.hpp"
#include "core/options.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crm::billing {

enum class CallFormat { jsonl, csv };
/// The format of a file by its name (.jsonl/.ndjson/.json, .csv); `flag` ("jsonl"|"csv") wins.
Result<CallFormat> call_format_of(const std::string& path, const std::string& flag);

struct CallInput {
  std::size_t line = 0;
  std::string provider, external_call_id, call_type = "phone", direction, from_number, to_number,
      caller_name, started_at, ended_at;
  long long duration_seconds = 0; // from duration_seconds, else ended_at - started_at
  std::optional<Decimal> cost;
  std::string transcript, summary, recording_url;
};

/// A row that failed validation: its line and what is wrong with which field.
struct RowError {
  std::size_t line = 0;
  std::string message;
};

struct ParsedCalls {
  std::vector<CallInput> rows;
  std::vector<RowError> errors;
};

/// Parses and validates every row (all errors collected, none stops the others). A structural
/// problem (unterminated CSV quote, no header) is an error of the whole file.
Result<ParsedCalls> parse_calls(const std::string& text, CallFormat format);

/// The one-line error for a file with bad rows (usage, exit 2): the count and the first few.
Error row_errors(const std::vector<RowError>& errors, const std::string& file);

struct ImportResult {
  std::size_t rows = 0, imported = 0, already_present = 0, duplicates_in_file = 0;
  bool dry_run = false;
};

/// Inserts the rows into the tenant's calls in the caller's transaction, idempotent on
/// (provider, external_call_id): present calls are left as they are and counted. Audited.
Result<ImportResult> import_calls(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const std::vector<CallInput>& rows, const std::string& file,
                                  const tenant::Actor& actor, DryRun dry_run);

struct CallFilter {
  std::string since, until; // RFC 3339 ("" = open)
  int limit = 100;
};
/// The tenant's calls, newest first, as JSON rows for the renderer (no transcript text).
Result<nlohmann::json> list_calls(db::TenantTx& tx, const CallFilter& f);

} // namespace crm::billing
