// `transcripts export`: a tenant's calls as txt (one file per call), JSONL (one object per call)
// or CSV (one RFC 4180 row per turn), streamed by one COPY (SELECT ...) TO STDOUT in the caller's
// snapshot, redacted by default, written under temporary names and renamed, listed in
// manifest.json with counts and SHA-256, and resumable after a crash (lib/README.md
// "Transcripts").
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"
#include "transcripts/redact.hpp"
#include "transcripts/turns.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace crm::transcripts {

/// Output format.
enum class Format { txt, jsonl, csv };
/// Parses "txt", "jsonl", "csv" (usage error otherwise).
Result<Format> parse_format(std::string_view s);
const char* format_name(Format f);

/// Whether PHI is redacted.
enum class Redaction { on, off };

/// Which calls: all of the tenant's, one call, or a range of started_at. `since` / `until` are
/// ISO 8601 dates or date-times ("2026-01-25", "2026-01-25T09:00", "2026-01-25T09:00:00Z",
/// "...+01:00"); without an offset they are read in the tenant's timezone. since <= started_at <
/// until.
struct CallFilter {
  std::string call_id;
  std::string since, until;
};
/// Refuses a malformed --since/--until value (usage error naming `flag`).
Status check_timestamp(std::string_view value, const std::string& flag);

/// How many of `t`'s calls `f` selects, in `tx` (which it switches to the tenant's timezone).
Result<std::uint64_t> count_calls(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const CallFilter& f);

/// Where and how to write.
struct ExportOptions {
  Format format = Format::jsonl;
  /// Directory (created 0700) for the files, manifest.json and the resume journal; "" to write
  /// everything to `stream` instead (no files, no manifest, no resume).
  std::string out_dir;
  std::ostream* stream = nullptr;
  /// The stream is a terminal: control characters are escaped (files get the data as is).
  bool stream_is_tty = false;
  CallFilter filter;
  Redaction redaction = Redaction::on;
  /// Required when redaction is on.
  const PhiRedactor* redactor = nullptr;
  /// Why redaction is off (recorded in the manifest; the cmd layer requires it).
  std::string reason;
  TimePoint now;                   // exported_at
  std::size_t calls_per_file = 10000; // jsonl and csv: calls per part file
  /// Count the matching calls first (for a progress bar's ETA).
  bool count_first = false;
  /// Called with (calls done, total or 0) every few hundred calls and at the end; an error
  /// (e.g. interrupted) stops the export, leaving the completed files for a resume.
  std::function<Status(std::uint64_t done, std::uint64_t total)> on_progress;
};

/// What one run did (totals cover earlier runs of a resumed export too).
struct ExportResult {
  std::uint64_t calls = 0;         // calls exported (all runs)
  std::uint64_t turns = 0;         // turns exported (all runs)
  std::uint64_t no_transcript = 0; // calls without any turn
  std::uint64_t files = 0;         // files listed in the manifest
  std::uint64_t files_written = 0; // written by this run
  std::uint64_t calls_skipped = 0; // already exported by an earlier run (resume)
  std::uint64_t bytes = 0;         // bytes of every file (or of the stream)
  bool resumed = false;
  std::string as_of;    // the creation-time cut that makes a resumed export the same set
  std::string timezone; // the tenant's
  std::vector<std::string> labels;
  RedactionCounts redactions;
  std::string manifest; // path of manifest.json ("" for a stream)
};

/// Exports `t`'s calls through `tx`: a REPEATABLE READ transaction in `t`'s scope (RLS keeps
/// every other tenant out; a READ COMMITTED one is refused). File names come from call UUIDs and
/// part numbers only, never from call data, and nothing is written outside `out_dir`. A call id
/// that is not the tenant's is not_found. A directory holding a different export (other tenant,
/// format, filters or redaction) is a conflict; one holding the same export, interrupted,
/// resumes after its last complete file, and one holding it complete is left as it is. Nothing
/// is audited here: the caller writes the audit row.
Result<ExportResult> export_transcripts(db::TenantTx& tx, const tenant::TenantRef& t,
                                        const ExportOptions& o);

/// The audit row's arguments (no transcript content): format, filters, redaction mode and
/// reason, out, counts.
nlohmann::json audit_arguments(const ExportOptions& o, const ExportResult& r,
                               const std::string& out);

/// The progress line: "export [#####...] 1200/5000 calls 850 calls/s ETA 4s".
std::string progress_line(std::uint64_t done, std::uint64_t total,
                          std::chrono::milliseconds elapsed);

} // namespace crm::transcripts
