// Read-only views of migration state (status, plan, doctor) and one-step schema provisioning.
#include "migrate/migrate.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace crm::migrate {
namespace {

struct Row {
  std::string schema, track, version, status, error;
};

Result<std::vector<Row>> all_rows(db::Connection& c) {
  std::vector<Row> out;
  CRM_TRY_ASSIGN(auto e, c.exec("SELECT to_regclass('crm.schema_migrations') IS NOT NULL AS e"));
  if (e.get(0, "e") != "t") return out;
  CRM_TRY_ASSIGN(auto r,
                 c.exec("SELECT schema_name, track, version, status, coalesce(error, '') AS error "
                        "FROM crm.schema_migrations"));
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({r.get(i, "schema_name"), r.get(i, "track"), r.get(i, "version"),
                   r.get(i, "status"), r.get(i, "error")});
  return out;
}

std::string latest(const std::vector<Migration>& files) {
  std::string v;
  for (const auto& m : files)
    if (!m.repeatable) v = std::max(v, m.version);
  return v;
}

bool is_applied(const std::vector<Row>& rows, const std::string& schema, const std::string& track,
                const std::string& version) {
  return std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
    return r.schema == schema && r.track == track && r.version == version && r.status == "applied";
  });
}

} // namespace

Result<StatusReport> status(db::Connection& c, const MigrationSet& set) {
  StatusReport s;
  CRM_TRY_ASSIGN(auto rows, all_rows(c));
  for (const auto& r : rows)
    if (r.track == "global" && r.status == "applied" && r.version.rfind("R__", 0) != 0)
      s.global_version = std::max(s.global_version, r.version);
  for (const auto& m : set.global)
    if (!m.repeatable && !is_applied(rows, "public", "global", m.version)) {
      ++s.global_pending;
      s.global_pending_files.push_back(std::filesystem::path(m.file).filename().string());
    }
  s.latest_tenant_version = latest(set.tenant);
  CRM_TRY_ASSIGN(auto targets, tenant_targets(c));
  std::map<std::string, std::string> max_of;
  for (const auto& r : rows)
    if (r.track == "tenant" && r.status == "applied" && r.version.rfind("R__", 0) != 0)
      max_of[r.schema] = std::max(max_of[r.schema], r.version);
  for (const auto& t : targets) {
    std::string v = max_of.count(t.schema) ? max_of[t.schema] : "";
    ++s.tenant_histogram[v];
    ++s.tenant_schemas;
    bool behind = std::any_of(set.tenant.begin(), set.tenant.end(), [&](const Migration& m) {
      return !m.repeatable && !is_applied(rows, t.schema, "tenant", m.version);
    });
    if (behind) ++s.tenant_behind;
  }
  for (const auto& r : rows)
    if (r.status != "applied")
      s.failures.push_back({r.schema, r.version + " (" + r.status + "): " + r.error});
  return s;
}

Result<VersionSummary> schema_version_summary(db::Connection& c, const std::string& dir) {
  VersionSummary v;
  MigrationSet set;
  std::error_code ec;
  if (!dir.empty() && std::filesystem::is_directory(dir, ec)) {
    auto loaded = load_migrations(dir);
    if (loaded) set = std::move(loaded).value();
  }
  CRM_TRY_ASSIGN(auto s, status(c, set));
  v.applied_global = s.global_version;
  v.pending_global = s.global_pending;
  v.tenant_schemas = s.tenant_schemas;
  v.pending_tenant_schemas = s.tenant_behind;
  return v;
}

Result<Plan> plan(db::Connection& c, const MigrationSet& set) {
  Plan p;
  CRM_TRY_ASSIGN(auto rows, all_rows(c));
  CRM_TRY_ASSIGN(auto targets, tenant_targets(c));
  auto tx_name = [](const Migration& m) { return m.tx == TxMode::none ? "none" : "transaction"; };
  for (const auto& m : set.global)
    if (!is_applied(rows, "public", "global", m.version)) {
      p.items.push_back(
          {"global", m.version, std::filesystem::path(m.file).filename().string(), tx_name(m), 1});
      auto f = lint(m);
      p.findings.insert(p.findings.end(), f.begin(), f.end());
    }
  for (const auto& m : set.tenant) {
    std::size_t n = 0;
    for (const auto& t : targets)
      if (!is_applied(rows, t.schema, "tenant", m.version)) ++n;
    if (n == 0) continue;
    p.items.push_back(
        {"tenant", m.version, std::filesystem::path(m.file).filename().string(), tx_name(m), n});
    auto f = lint(m);
    p.findings.insert(p.findings.end(), f.begin(), f.end());
  }
  return p;
}

Result<void> provision_schema(db::Tx& tx, const MigrationSet& set, const std::string& schema) {
  static const std::regex k_concurrently(R"(\bconcurrently\b)", std::regex::icase);
  CRM_TRY(tx.exec("SELECT set_config('search_path', $1, true)",
                  {db::quote_ident(schema) + ", public, crm"}));
  CRM_TRY_ASSIGN(bool as_owner, can_run_as_owner(tx, schema));
  for (const auto& m : set.tenant) {
    std::string sql =
        m.tx == TxMode::none ? std::regex_replace(m.up_sql, k_concurrently, "") : m.up_sql;
    if (as_owner && !m.run_as_login) CRM_TRY(tx.exec("SET LOCAL ROLE crm_owner"));
    if (auto r = tx.exec_script(sql); !r)
      return std::move(r).error().with_context("provisioning schema " + schema + " with " +
                                               std::filesystem::path(m.file).filename().string());
    CRM_TRY(tx.exec("RESET ROLE"));
    CRM_TRY(
        tx.exec("INSERT INTO crm.schema_migrations (schema_name, track, version, name, checksum, "
                "status, applied_at, duration_ms, attempt, statements_done) "
                "VALUES ($1, 'tenant', $2, $3, $4, 'applied', now(), 0, 1, 0)",
                {schema, m.version, m.name, m.checksum}));
  }
  CRM_TRY(tx.exec("SELECT set_config('search_path', 'public, crm', true)"));
  return {};
}

} // namespace crm::migrate
