// `tenant export`: every tenant table streamed row by row as JSONL from one snapshot, plus
// organization.json and, written last, manifest.json (rows, bytes and SHA-256 per file).
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crm::tenant {

/// One exported table file.
struct ExportedTable {
  std::string name; // table name
  std::string file; // "<table>.jsonl", relative to the export directory
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::string sha256; // lower-case hex of the file
};

/// What an export wrote; manifest.json and the command's JSON output are manifest_json() of it.
struct ExportManifest {
  TenantRef tenant;
  TimePoint exported_at;
  std::string schema_version;        // "" when the schema has no applied tenant migration
  std::vector<ExportedTable> tables; // by table name
};

/// The tenant track's schema version of `t`'s schema ("" when nothing is applied). Read it on an
/// admin transaction: crm.schema_migrations is not readable by the application role. Reading it in
/// the same REPEATABLE READ admin transaction the export then runs in (through db::scoped) makes
/// the version part of the export's snapshot; that is what `crmctl tenant export` does.
Result<std::string> export_schema_version(db::Tx& tx, const TenantRef& t);

/// Called with (table, rows written so far) every `batch_rows` rows and when a table is done;
/// an error stops the export.
using ExportProgress = std::function<Status(const std::string& table, std::uint64_t rows)>;

/// Where and how to write.
struct ExportOptions {
  std::string out_dir;           // created 0700 when missing
  TimePoint now;                 // exported_at
  std::string schema_version;    // from export_schema_version()
  std::size_t batch_rows = 1000; // rows per FETCH: what is held in memory at a time
  ExportProgress on_progress;    // optional
};

/// Streams organization.json and every tenant table of `t`'s schema (tenant_tables(), read in the
/// snapshot; files by table name; each row row_to_json, ordered by primary key) into
/// `<out_dir>/<table>.jsonl` through `tx`, a REPEATABLE READ (or SERIALIZABLE) transaction in
/// `t`'s scope that the caller opened and commits: Connection::tenant(scope_of(t, ...),
/// {.isolation = TxIsolation::repeatable_read, .access = TxAccess::read_only}), or db::scoped()
/// inside such an admin transaction. Every file comes from that one snapshot, and RLS keeps other
/// tenants out. A READ COMMITTED transaction, or one scoped to another tenant, is refused
/// (ErrorKind::unexpected) before anything is written. At most `batch_rows` rows are held in
/// memory. Files are 0600, written under temporary names and renamed into place only when every
/// table has streamed; manifest.json comes last, so its presence marks a complete export. Nothing
/// is audited here: the caller writes the audit row after committing.
Result<ExportManifest> export_to(db::TenantTx& tx, const TenantRef& t,
                                 const ExportOptions& options);

/// manifest.json: {format, tenant{id,slug,name,isolation}, exported_at, schema_version,
/// tables[{table,file,rows,bytes,sha256}]}.
nlohmann::json manifest_json(const ExportManifest& m);

} // namespace crm::tenant
