#include "tenant/export.hpp"

#include "core/sink.hpp"
#include "db/stream.hpp"
#include "tenant/catalog.hpp"

#include <algorithm>
#include <filesystem>

namespace crm::tenant {
namespace fs = std::filesystem;
namespace {

constexpr const char* k_format = "crmctl-tenant-export/1";

std::string schema_of(const TenantRef& t) {
  return t.isolation == db::Isolation::schema ? t.schema : "public";
}

// Refuses a transaction that cannot give one snapshot, or that is scoped to another tenant.
Status check_snapshot_tx(db::TenantTx& tx, const TenantRef& t) {
  if (tx.org_id() != t.id)
    return make_error(ErrorKind::unexpected, "export of tenant '" + t.slug +
                                                 "' through a transaction scoped to tenant " +
                                                 tx.org_id());
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT current_setting('transaction_isolation') AS iso"));
  const std::string iso = r.get(0, "iso");
  if (iso != "repeatable read" && iso != "serializable")
    return make_error(ErrorKind::unexpected,
                      "tenant export needs one snapshot but runs in a " + iso +
                          " transaction: open it with Connection::tenant(scope, "
                          "{.isolation = repeatable_read, .access = read_only})");
  return {};
}

// `ORDER BY` of a stable row order: the primary key, or the JSON text without one.
Result<std::string> order_by(db::TenantTx& tx, const std::string& qualified) {
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT a.attname AS col FROM pg_index i JOIN pg_attribute a "
                                 "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
                                 "WHERE i.indrelid = to_regclass($1) AND i.indisprimary "
                                 "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                                 {qualified}));
  if (r.empty()) return std::string("1");
  std::string cols;
  for (std::size_t i = 0; i < r.size(); ++i)
    cols += (i ? ", x." : "x.") + db::quote_ident(r.get(i, "col"));
  return cols;
}

Status progress(const ExportOptions& o, const std::string& table, std::uint64_t rows) {
  return o.on_progress ? o.on_progress(table, rows) : Status{};
}

} // namespace

Result<std::string> export_schema_version(db::Tx& tx, const TenantRef& t) {
  CRM_TRY_ASSIGN(auto ver,
                 tx.exec("SELECT coalesce(max(version), '') AS v FROM crm.schema_migrations "
                         "WHERE schema_name = $1 AND track = 'tenant' AND status = 'applied'",
                         {schema_of(t)}));
  return ver.get(0, "v");
}

Result<ExportManifest> export_to(db::TenantTx& tx, const TenantRef& t, const ExportOptions& o) {
  if (o.batch_rows == 0) return make_error(ErrorKind::unexpected, "export batch size must be > 0");
  CRM_TRY(check_snapshot_tx(tx, t));
  const std::string schema = schema_of(t);
  // The table list comes from the snapshot too.
  CRM_TRY_ASSIGN(auto tables, tenant_tables(tx, schema));
  std::sort(tables.begin(), tables.end());
  CRM_TRY(make_private_dirs(o.out_dir));
  const fs::path dir(o.out_dir);

  // Every sink stays a temporary file until all tables have streamed from the snapshot.
  std::vector<FileSink> sinks;
  sinks.reserve(tables.size() + 1);
  {
    CRM_TRY_ASSIGN(auto org, tx.exec("SELECT row_to_json(o)::text AS j FROM organizations o "
                                     "WHERE id = $1::uuid",
                                     {t.id}));
    CRM_TRY_ASSIGN(auto sink, FileSink::create((dir / "organization.json").string()));
    sinks.push_back(std::move(sink));
    CRM_TRY(NdjsonWriter(sinks.back()).write(org.empty() ? std::string("{}") : org.get(0, "j")));
  }
  ExportManifest m{t, o.now, o.schema_version, {}};
  for (const auto& tb : tables) {
    const std::string qualified = db::quote_ident(schema) + "." + db::quote_ident(tb);
    CRM_TRY_ASSIGN(auto order, order_by(tx, qualified));
    CRM_TRY_ASSIGN(auto sink, FileSink::create((dir / (tb + ".jsonl")).string()));
    sinks.push_back(std::move(sink));
    FileSink& file = sinks.back();
    NdjsonWriter out(file);
    auto st = db::stream(
        tx, "SELECT row_to_json(x)::text AS j FROM " + qualified + " x ORDER BY " + order, {},
        o.batch_rows, [&](const db::StreamRow& r) -> Status {
          CRM_TRY(out.write(r.text(0)));
          if (file.rows() % o.batch_rows == 0) CRM_TRY(progress(o, tb, file.rows()));
          return {};
        });
    if (!st) return std::move(st).error().with_context("exporting table " + tb);
    CRM_TRY(progress(o, tb, file.rows()));
    m.tables.push_back({tb, tb + ".jsonl", file.rows(), file.bytes(), file.sha256_hex()});
  }

  // A stale manifest must not vouch for the new files while they replace the old ones.
  std::error_code ec;
  fs::remove(dir / "manifest.json", ec);
  if (ec)
    return make_error(ErrorKind::unexpected,
                      "cannot remove " + (dir / "manifest.json").string() + ": " + ec.message());
  for (auto& s : sinks)
    CRM_TRY(s.commit());
  CRM_TRY_ASSIGN(auto manifest, FileSink::create((dir / "manifest.json").string()));
  CRM_TRY(manifest.write(manifest_json(m).dump(2) + "\n"));
  CRM_TRY(manifest.commit());
  return m;
}

nlohmann::json manifest_json(const ExportManifest& m) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : m.tables)
    tables.push_back({{"table", t.name},
                      {"file", t.file},
                      {"rows", t.rows},
                      {"bytes", t.bytes},
                      {"sha256", t.sha256}});
  return {{"format", k_format},
          {"tenant",
           {{"id", m.tenant.id},
            {"slug", m.tenant.slug},
            {"name", m.tenant.name},
            {"isolation", isolation_name(m.tenant.isolation)}}},
          {"exported_at", format_rfc3339(m.exported_at)},
          {"schema_version", m.schema_version},
          {"tables", tables}};
}

} // namespace crm::tenant
