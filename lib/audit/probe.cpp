// The live probe: cross-tenant reads and writes as the application role, in transactions that
// are always rolled back, spread over db::fan_out workers.
#include "audit/audit.hpp"
#include "core/text.hpp"
#include "db/fan_out.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace crm::audit {
namespace {

// What the insert probe needs of a column.
struct Column {
  std::string name, type;
  bool has_default = false, generated = false, identity_always = false, in_unique = false;
};

constexpr const char* k_columns_sql = R"SQL(
SELECT a.attrelid::text AS oid, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
  (a.atthasdef OR a.attidentity <> '') AS has_default, a.attgenerated <> '' AS generated,
  a.attidentity = 'a' AS identity_always,
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
          AND a.attnum = ANY (i.indkey)) AS in_unique
FROM pg_attribute a
WHERE a.attrelid IN (SELECT jsonb_array_elements_text($1::jsonb)::oid)
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
)SQL";

// One table to probe.
struct Target {
  const db::TenantTableRls* table = nullptr;
  std::string q;    // quoted schema.table
  std::string name; // schema.table
  std::vector<Column> columns;
  std::vector<ProbeResult> results;
  bool has_rows = false;
};

// The error of a probe statement as an outcome: 42501 is a denial, anything else inconclusive.
Outcome outcome_of(const Error& e) {
  return e.sqlstate == "42501" ? Outcome::denied : Outcome::inconclusive;
}

std::string error_text(const Error& e) {
  return (e.sqlstate.empty() ? std::string() : e.sqlstate + " ") + e.message;
}

bool lost(const Error& e) {
  return e.kind == ErrorKind::db_unavailable;
}

class TableProbe {
public:
  TableProbe(db::Connection& conn, Target& t, const Config& cfg, const ProbeOptions& o,
             std::string app, std::string guc)
      : m_conn(conn), m_t(t), m_cfg(cfg), m_o(o), m_app(std::move(app)), m_guc(std::move(guc)) {}

  // Returns a db_unavailable error when the session went away; everything else is a result.
  Result<void> run() {
    const std::string col = db::quote_ident(m_t.table->tenant_column);
    const std::string type = m_t.table->tenant_column_type;
    // Tenants A and B, as the login role (which must see every tenant's rows).
    CRM_TRY(begin(false));
    auto pick =
        m_tx->exec("WITH a AS (SELECT " + col + " AS v FROM " + m_t.q + " WHERE " + col +
                   " IS NOT NULL LIMIT 1) SELECT (SELECT v::text FROM a) AS a, (SELECT x." + col +
                   "::text FROM " + m_t.q + " x, a WHERE x." + col + " <> a.v LIMIT 1) AS b");
    if (!pick) {
      if (lost(pick.error())) return pick.error();
      record("pick", Outcome::inconclusive,
             "could not read the tenants of the table: " + error_text(pick.error()));
      return {};
    }
    db::Value a = pick->opt(0, "a"), b = pick->opt(0, "b");
    m_t.has_rows = a.has_value();
    if (!a || !b) {
      record("pick", Outcome::skipped,
             a ? "rows of one tenant only (" + *a + "): nothing to cross"
               : "no rows visible to the login role");
      return {};
    }
    m_a = *a;
    m_b = *b;
    CRM_TRY(enter());
    const std::string typed = "CAST($1 AS " + type + ")";
    // Read B's rows as A.
    CRM_TRY(count_probe(
        "read", "SELECT count(*) AS n FROM " + m_t.q + " WHERE " + col + " = " + typed, {m_b},
        "PROBE_XTENANT_READ", who() + ": {n} row(s) of tenant " + m_b + " visible"));
    // The GUC emptied ('' is what current_setting returns after any SET in a pooled session).
    if (m_tx) {
      auto cleared = m_tx->exec("SELECT set_config($1, '', true)", {m_guc});
      if (!cleared) return fail_or_note("empty_guc", cleared.error());
      CRM_TRY(count_probe("empty_guc", "SELECT count(*) AS n FROM " + m_t.q, {}, "PROBE_UNSET_GUC",
                          "as " + m_app + " with " + m_guc + " = '': {n} row(s) visible"));
    }
    if (!m_o.writes) return {};
    CRM_TRY(restart());
    CRM_TRY(write_probe("insert", insert_sql(col, type), {m_a, m_b}, "PROBE_XTENANT_INSERT",
                        who() + ": inserted a row stamped " + m_b));
    CRM_TRY(write_probe(
        "update", "UPDATE " + m_t.q + " SET " + col + " = " + col + " WHERE " + col + " = " + typed,
        {m_b}, "PROBE_XTENANT_UPDATE", who() + ": updated {n} row(s) of tenant " + m_b));
    CRM_TRY(write_probe("delete", "DELETE FROM " + m_t.q + " WHERE " + col + " = " + typed, {m_b},
                        "PROBE_XTENANT_DELETE", who() + ": deleted {n} row(s) of tenant " + m_b));
    CRM_TRY(write_probe("move",
                        "UPDATE " + m_t.q + " SET " + col + " = CAST($2 AS " + type +
                            ") WHERE (tableoid, ctid) IN (SELECT tableoid, ctid FROM " + m_t.q +
                            " WHERE " + col + " = " + typed + " LIMIT 1)",
                        {m_a, m_b}, "PROBE_XTENANT_MOVE",
                        who() + ": moved a row of tenant " + m_a + " to " + m_b));
    return {};
  }

private:
  // "as crm_app with app.current_org_id = <A>".
  std::string who() const { return "as " + m_app + " with " + m_guc + " = " + m_a; }
  static std::string with_count(std::string text, long long n) {
    if (auto p = text.find("{n}"); p != std::string::npos) text.replace(p, 3, std::to_string(n));
    return text;
  }
  Result<void> begin(bool as_app) {
    m_tx.reset();
    db::TxMode mode{db::TxIsolation::read_committed,
                    m_o.writes ? db::TxAccess::read_write : db::TxAccess::read_only,
                    m_o.lock_timeout};
    auto tx = m_conn.admin(mode);
    if (!tx) return tx.error();
    m_tx = std::move(*tx);
    CRM_TRY(m_tx->exec_script("SET LOCAL statement_timeout = '" +
                              std::to_string(m_o.statement_timeout.count()) + "ms'"));
    if (as_app) CRM_TRY(enter());
    return {};
  }
  // As the application role with the GUC set to tenant A.
  Result<void> enter() {
    std::string value = m_cfg.probe_value;
    value.replace(value.find("{tenant}"), 8, m_a);
    CRM_TRY(m_tx->exec("SELECT set_config('role', $1, true), set_config($2, $3, true)",
                       {m_app, m_guc, value}));
    return {};
  }
  // A fresh transaction (after an error, which ends the transaction, or a write that went
  // through, whose effect must not leak into the next probe).
  Result<void> restart() {
    auto r = begin(true);
    if (!r) {
      if (lost(r.error())) return r;
      m_tx.reset();
      m_setup_error = error_text(r.error());
    }
    return {};
  }
  void record(const std::string& probe, Outcome o, const std::string& detail,
              const std::string& check = {}) {
    m_t.results.push_back({m_t.name, probe, o, detail});
    if (!check.empty()) m_t.results.back().detail = check + ": " + detail;
  }
  Result<void> fail_or_note(const std::string& probe, const Error& e) {
    if (lost(e)) return e;
    record(probe, outcome_of(e), error_text(e));
    return restart();
  }
  Result<void> count_probe(const std::string& probe, const std::string& sql,
                           const db::Params& params, const std::string& check,
                           const std::string& leak) {
    if (!m_tx) {
      record(probe, Outcome::inconclusive,
             "no transaction as the application role: " + m_setup_error);
      return {};
    }
    auto r = m_tx->exec(sql, params);
    if (!r) return fail_or_note(probe, r.error());
    long long n = std::stoll(r->get(0, "n"));
    if (n > 0)
      record(probe, Outcome::leak, with_count(leak, n), check);
    else
      record(probe, Outcome::denied, "0 rows");
    return {};
  }
  Result<void> write_probe(const std::string& probe, const std::string& sql,
                           const db::Params& params, const std::string& check,
                           const std::string& leak) {
    if (!m_tx) CRM_TRY(restart());
    if (!m_tx) {
      record(probe, Outcome::inconclusive,
             "no transaction as the application role: " + m_setup_error);
      return {};
    }
    auto r = m_tx->exec(sql, params);
    if (!r) {
      const Error& e = r.error();
      if (lost(e)) return e;
      // PostgreSQL checks a policy's WITH CHECK before NOT NULL, unique indexes and foreign
      // keys: such an error means the policy admitted the row, and a row with other values
      // would have gone in. A CHECK constraint may be an isolation guard of its own
      // (org_id_pinned): inconclusive.
      bool admitted = e.sqlstate.rfind("23", 0) == 0 && e.sqlstate != "23514";
      if (admitted && (probe == "insert" || probe == "move")) {
        record(probe, Outcome::leak,
               leak + " (the policy admitted it; then " + error_text(e) +
                   ", which a row with other values passes)",
               check);
        return restart();
      }
      record(probe, outcome_of(e), error_text(e));
      return restart();
    }
    if (r->affected > 0) {
      record(probe, Outcome::leak, with_count(leak, r->affected), check);
      return restart();
    }
    if (probe == "insert" || probe == "move")
      record(probe, Outcome::inconclusive,
             "tenant " + m_a + "'s own rows are not visible to " + m_app + ": nothing to copy");
    else
      record(probe, Outcome::denied, "0 rows");
    return {};
  }
  std::string insert_sql(const std::string& col, const std::string& type) const {
    std::string cols, vals;
    for (const auto& c : m_t.columns) {
      if (c.generated || c.identity_always) continue;
      if (c.name == m_t.table->tenant_column) {
        cols += (cols.empty() ? "" : ", ") + db::quote_ident(c.name);
        vals += (vals.empty() ? "" : ", ") + std::string("CAST($2 AS ") + type + ")";
        continue;
      }
      if (c.has_default && c.in_unique) continue; // a fresh key from the default
      std::string v = "x." + db::quote_ident(c.name);
      if (c.in_unique && (c.type == "text" || c.type.rfind("character varying", 0) == 0))
        v = "(" + v + " || '-crmctl-probe')";
      cols += (cols.empty() ? "" : ", ") + db::quote_ident(c.name);
      vals += (vals.empty() ? "" : ", ") + v;
    }
    return "INSERT INTO " + m_t.q + " (" + cols + ") SELECT " + vals + " FROM " + m_t.q +
           " x WHERE x." + col + " = CAST($1 AS " + type + ") LIMIT 1";
  }

  db::Connection& m_conn;
  Target& m_t;
  const Config& m_cfg;
  const ProbeOptions& m_o;
  std::string m_app, m_guc;
  std::unique_ptr<db::AdminTx> m_tx;
  std::string m_a, m_b, m_setup_error;
};

// A session that never set the GUC reads the table as the application role.
Result<void> unset_probe(db::Connection& conn, Target& t, const ProbeOptions& o,
                         const std::string& app, const std::string& guc) {
  auto tx = conn.admin({db::TxIsolation::read_committed, db::TxAccess::read_only, o.lock_timeout});
  if (!tx) return tx.error();
  auto setup = (*tx)->exec_script("SET LOCAL statement_timeout = '" +
                                  std::to_string(o.statement_timeout.count()) +
                                  "ms'; SET LOCAL ROLE " + db::quote_ident(app));
  Result<db::Rows> r =
      setup ? (*tx)->exec("SELECT count(*) AS n FROM " + t.q) : Result<db::Rows>(setup.error());
  if (!r) {
    if (lost(r.error())) return r.error();
    t.results.push_back({t.name, "unset_guc", outcome_of(r.error()), error_text(r.error())});
    return {};
  }
  long long n = std::stoll(r->get(0, "n"));
  if (n > 0)
    t.results.push_back({t.name, "unset_guc", Outcome::leak,
                         "PROBE_UNSET_GUC: as " + app + " on a session that never set " + guc +
                             ": " + std::to_string(n) + " row(s) visible"});
  else
    t.results.push_back({t.name, "unset_guc", Outcome::denied, "0 rows"});
  return {};
}

std::string check_of(const ProbeResult& r) {
  auto colon = r.detail.find(':');
  return colon == std::string::npos ? std::string() : r.detail.substr(0, colon);
}

} // namespace

Result<void> probe(Report& report, const Catalog& cat, const Config& cfg,
                   const ProbeOptions& options, db::ConnectionSource& source,
                   db::ConnectionSource& fresh, Clock& clock, const std::atomic<bool>& cancel,
                   const FanOutEventSink& events) {
  auto start = clock.steady_now();
  const std::string app = cfg.app_roles.value.front();
  auto can = cat.login_can_set_role.find(app);
  if (can == cat.login_can_set_role.end() || !can->second)
    return make_error(ErrorKind::config, "audit --probe: the login role " + cat.login_role +
                                             " cannot SET ROLE " + app + ": GRANT " + app + " TO " +
                                             cat.login_role +
                                             " (or run the probe as a login that can)");
  std::string guc;
  for (const auto& g : cfg.gucs.value)
    if (g.find('*') == std::string::npos) {
      guc = g;
      break;
    }
  if (guc.empty())
    return make_error(ErrorKind::config,
                      "audit --probe: every configured GUC is a pattern: list the exact GUC the "
                      "probe sets first in audit.gucs");

  std::vector<Target> targets;
  for (const auto& t : cat.tables) {
    if (t.global) continue;
    Target x;
    x.table = &t;
    x.q = db::quote_ident(t.schema) + "." + db::quote_ident(t.table);
    x.name = t.schema + "." + t.table;
    targets.push_back(std::move(x));
  }
  if (options.writes) {
    std::vector<std::string> oids;
    std::map<std::string, std::size_t> by_oid;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      oids.push_back(std::to_string(targets[i].table->oid));
      by_oid[oids.back()] = i;
    }
    CRM_TRY_ASSIGN(auto lease, source.acquire());
    CRM_TRY_ASSIGN(auto tx, lease->admin({db::TxIsolation::read_committed, db::TxAccess::read_only,
                                          options.lock_timeout}));
    CRM_TRY_ASSIGN(auto rows, tx->exec(k_columns_sql, {nlohmann::json(oids).dump()}));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      Column c;
      c.name = rows.get(i, "col");
      c.type = rows.get(i, "type");
      c.has_default = rows.get(i, "has_default") == "t";
      c.generated = rows.get(i, "generated") == "t";
      c.identity_always = rows.get(i, "identity_always") == "t";
      c.in_unique = rows.get(i, "in_unique") == "t";
      targets[by_oid[rows.get(i, "oid")]].columns.push_back(std::move(c));
    }
  }

  std::vector<db::FanOutTarget> ids; // one per table, by schema.table
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < targets.size(); ++i)
    index[targets[i].name] = i;
  for (std::size_t i = 0; i < targets.size(); ++i)
    ids.push_back({targets[i].name, ""});
  db::FanOutOptions fo;
  fo.jobs = options.jobs;
  fo.on_error = db::OnError::keep_going;
  fo.clock = &clock;
  fo.run_id = options.run_id;
  fo.run_name = "audit_probe";
  auto scoped = db::fan_out(
      ids, fo, source, cancel, events, [&](db::Connection& conn, const db::FanOutTarget& t) {
        Target& x = targets[index.at(t.id)];
        TableProbe p(conn, x, cfg, options, app, guc);
        auto r = p.run();
        if (!r) return db::ItemOutcome::from_error(r.error());
        return db::ItemOutcome::ok(std::to_string(x.results.size()) + " probes");
      });
  // Tables with rows, read again on sessions that never set the GUC.
  std::vector<db::FanOutTarget> with_rows;
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (targets[i].has_rows) with_rows.push_back(ids[i]);
  db::FanOutReport unset;
  if (scoped.status == db::FanOutStatus::ok || scoped.status == db::FanOutStatus::partial) {
    fo.run_id = options.run_id + "-unset";
    unset = db::fan_out(with_rows, fo, fresh, cancel, events,
                        [&](db::Connection& conn, const db::FanOutTarget& t) {
                          Target& x = targets[index.at(t.id)];
                          auto r = unset_probe(conn, x, options, app, guc);
                          if (!r) return db::ItemOutcome::from_error(r.error());
                          return db::ItemOutcome::ok();
                        });
  }

  ProbeSummary s;
  s.jobs = std::max(scoped.jobs, unset.jobs);
  s.writes = options.writes;
  for (auto& t : targets) {
    ++s.tables;
    std::string inconclusive;
    for (auto& r : t.results) {
      switch (r.outcome) {
      case Outcome::denied:
        ++s.denied;
        break;
      case Outcome::skipped:
        ++s.skipped;
        break;
      case Outcome::inconclusive:
        ++s.inconclusive;
        inconclusive += (inconclusive.empty() ? "" : "; ") + r.probe + ": " + r.detail;
        break;
      case Outcome::leak: {
        ++s.leaks;
        std::string check = check_of(r);
        Finding f;
        f.check = check;
        f.severity = Severity::critical;
        f.object = t.name;
        f.object_type = "table";
        f.message = t.name + ": " + r.detail.substr(check.size() + 2);
        f.fix = std::string(find_check(check)->fix);
        report.findings.push_back(std::move(f));
        break;
      }
      }
    }
    if (!inconclusive.empty()) {
      Finding f;
      f.check = "PROBE_INCONCLUSIVE";
      f.severity = find_check(f.check)->severity;
      f.object = t.name;
      f.object_type = "table";
      f.message = t.name + ": " + inconclusive;
      f.fix = std::string(find_check(f.check)->fix);
      report.findings.push_back(std::move(f));
    }
    for (auto& r : t.results)
      s.results.push_back(std::move(r));
  }
  s.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start);
  report.probe = std::move(s);
  report.families.insert(Family::probe);
  CRM_TRY(db::fan_out_result(scoped, "table"));
  return db::fan_out_result(unset, "table");
}

} // namespace crm::audit
