#include "db/db.hpp"

#include <pqxx/pqxx>

#include <random>
#include <stdexcept>
#include <thread>

namespace crm::db {
namespace {

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  while (!l.empty() && (l.back() == ' ' || l.back() == '\r'))
    l.pop_back();
  if (l.rfind("ERROR:  ", 0) == 0) l = l.substr(8);
  return l;
}

// libpqxx 6.4 leaves sqlstate() empty for some of the classes it maps; recover it from the type.
std::string sqlstate_of(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e)) return "42501";
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) return "23505";
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&e)) return "23503";
  if (dynamic_cast<const pqxx::check_violation*>(&e)) return "23514";
  if (dynamic_cast<const pqxx::not_null_violation*>(&e)) return "23502";
  if (dynamic_cast<const pqxx::restrict_violation*>(&e)) return "23001";
  if (dynamic_cast<const pqxx::undefined_table*>(&e)) return "42P01";
  if (dynamic_cast<const pqxx::undefined_column*>(&e)) return "42703";
  if (dynamic_cast<const pqxx::undefined_function*>(&e)) return "42883";
  if (dynamic_cast<const pqxx::syntax_error*>(&e)) return "42601";
  if (dynamic_cast<const pqxx::plpgsql_raise*>(&e)) return "P0001";
  if (dynamic_cast<const pqxx::invalid_cursor_state*>(&e)) return "24000";
  return "";
}

Error map_sql_error(const pqxx::sql_error& e) {
  const std::string st = sqlstate_of(e);
  ErrorKind k = ErrorKind::unexpected;
  if (st == "23505" || st == "55P03" || st == "40001" || st == "40P01" || st == "57014" ||
      st == "23503" || st == "23514")
    k = ErrorKind::conflict;
  else if (st.rfind("08", 0) == 0 || st == "57P01" || st == "57P02" || st == "57P03")
    k = ErrorKind::db_unavailable;
  Error err = make_error(k, first_line(e.what()));
  err.sqlstate = st;
  return err;
}

template <class F> auto guarded(const std::string& target, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::broken_connection& e) {
    return make_error(ErrorKind::db_unavailable,
                      "database connection to " + target + " lost: " + first_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    return map_sql_error(e);
  } catch (const pqxx::in_doubt_error& e) {
    return make_error(ErrorKind::db_unavailable,
                      "commit outcome unknown (connection lost during COMMIT): " +
                          first_line(e.what()));
  } catch (const pqxx::failure& e) {
    return make_error(ErrorKind::conflict, first_line(e.what()));
  } catch (const std::exception& e) {
    return make_error(ErrorKind::unexpected, first_line(e.what()));
  }
}

Rows to_rows(const pqxx::result& r) {
  Rows out;
  out.affected = static_cast<long long>(r.affected_rows());
  for (pqxx::row::size_type c = 0; c < r.columns(); ++c)
    out.columns.emplace_back(r.column_name(c));
  out.rows.reserve(r.size());
  for (const auto& row : r) {
    std::vector<Value> v;
    v.reserve(row.size());
    for (const auto& f : row)
      v.push_back(f.is_null() ? Value{} : Value{std::string(f.c_str(), f.size())});
    out.rows.push_back(std::move(v));
  }
  return out;
}

template <class T> pqxx::result run(T& t, const std::string& sql, const Params& params) {
  if (params.empty()) return t.exec(sql);
  std::vector<const char*> ptrs;
  ptrs.reserve(params.size());
  for (const auto& p : params)
    ptrs.push_back(p ? p->c_str() : nullptr);
  return t.exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
}

} // namespace

std::size_t Rows::col(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw std::out_of_range("no column " + name);
}
std::string Rows::get(std::size_t r, const std::string& name) const {
  const auto& v = rows.at(r).at(col(name));
  return v ? *v : std::string();
}
Value Rows::opt(std::size_t r, const std::string& name) const {
  return rows.at(r).at(col(name));
}

std::string quote_ident(const std::string& ident) {
  std::string o = "\"";
  for (char c : ident) {
    if (c == '"')
      o += "\"\"";
    else
      o.push_back(c);
  }
  return o + "\"";
}

std::string describe_target(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    std::string rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?"));
    auto at = rest.rfind('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
    if (rest.empty()) rest = "localhost";
    if (rest.find(':') == std::string::npos && rest.front() != '[') rest += ":5432";
    return rest;
  }
  auto kw = [&](const std::string& k) -> std::string {
    auto p = url.find(k + "=");
    if (p == std::string::npos) return "";
    auto v = url.substr(p + k.size() + 1);
    return v.substr(0, v.find(' '));
  };
  std::string h = kw("host"), p = kw("port");
  return (h.empty() ? "localhost" : h) + ":" + (p.empty() ? "5432" : p);
}

// ---- Connection ---------------------------------------------------------------------------

struct Connection::Impl {
  std::unique_ptr<pqxx::connection> conn;
};

Result<std::unique_ptr<Connection>> Connection::open(const std::string& url,
                                                     const std::string& application_name) {
  std::string target = describe_target(url);
  if (url.empty())
    return make_error(ErrorKind::config,
                      "no database configured: pass --db URL, set CRMCTL_DATABASE_URL, or add "
                      "database_url to your profile");
  std::unique_ptr<Connection> c(new Connection());
  c->m_target = target;
  c->m_impl = std::make_unique<Impl>();
  try {
    c->m_impl->conn = std::make_unique<pqxx::connection>(url);
    pqxx::nontransaction nt(*c->m_impl->conn);
    nt.exec_params("SELECT set_config('application_name', $1, false)", application_name);
  } catch (const std::exception& e) {
    std::string reason = first_line(e.what());
    if (reason.rfind("could not connect to server: ", 0) == 0) reason = reason.substr(29);
    if (reason.rfind("connection to server at", 0) == 0) {
      auto colon = reason.find("failed: ");
      if (colon != std::string::npos) reason = reason.substr(colon + 8);
    }
    return make_error(ErrorKind::db_unavailable,
                      "database unavailable at " + target + ": " + reason +
                          " (check that PostgreSQL is running and the URL is right; `crmctl "
                          "doctor` shows details)");
  }
  return c;
}

Connection::~Connection() = default;

Result<Rows> Connection::exec(const std::string& sql, const Params& params) {
  return guarded(m_target, [&]() -> Result<Rows> {
    pqxx::nontransaction nt(*m_impl->conn);
    return to_rows(run(nt, sql, params));
  });
}

Result<void> Connection::exec_script(const std::string& sql) {
  return guarded(m_target, [&]() -> Result<void> {
    pqxx::nontransaction nt(*m_impl->conn);
    nt.exec(sql);
    return {};
  });
}

int Connection::backend_pid() const {
  return m_impl->conn->backendpid();
}

Result<std::unique_ptr<AdminTx>> Connection::admin() {
  return guarded(m_target, [&]() -> Result<std::unique_ptr<AdminTx>> {
    return std::make_unique<AdminTx>(*this);
  });
}

Result<std::unique_ptr<TenantTx>> Connection::tenant(const TenantScope& scope) {
  if (scope.org_id.empty())
    return make_error(ErrorKind::unexpected, "tenant transaction without an org id");
  std::unique_ptr<TenantTx> tx;
  auto r = guarded(m_target, [&]() -> Result<void> {
    tx.reset(new TenantTx(*this, scope));
    return {};
  });
  if (!r) return std::move(r).error();
  CRM_TRY(enter_tenant(*tx, scope));
  return tx;
}

Result<void> enter_tenant(Tx& tx, const TenantScope& scope) {
  CRM_TRY(tx.exec("SET LOCAL ROLE " + quote_ident(scope.app_role)));
  std::string path = scope.isolation == Isolation::schema && !scope.schema.empty()
                         ? quote_ident(scope.schema) + ", public, crm"
                         : "public, crm";
  CRM_TRY(tx.exec("SELECT set_config($1, $2, true), set_config('search_path', $3, true)",
                  {scope.guc, scope.org_id, path}));
  return {};
}

Result<void> leave_tenant(Tx& tx, const TenantScope& scope) {
  CRM_TRY(tx.exec("RESET ROLE"));
  CRM_TRY(tx.exec("SELECT set_config($1, '', true), set_config('search_path', 'public, crm', true)",
                  {scope.guc}));
  return {};
}

// ---- Tx -----------------------------------------------------------------------------------

struct Tx::Impl {
  std::unique_ptr<pqxx::work> work;
};

Tx::Tx(Connection& c) : m_conn(c), m_impl(std::make_unique<Impl>()) {
  m_impl->work = std::make_unique<pqxx::work>(*c.m_impl->conn);
}

Tx::~Tx() {
  rollback();
}

Result<Rows> Tx::exec(const std::string& sql, const Params& params) {
  if (!m_impl->work) return make_error(ErrorKind::unexpected, "transaction already finished");
  return guarded(m_conn.target(),
                 [&]() -> Result<Rows> { return to_rows(run(*m_impl->work, sql, params)); });
}

Result<void> Tx::exec_script(const std::string& sql) {
  if (!m_impl->work) return make_error(ErrorKind::unexpected, "transaction already finished");
  return guarded(m_conn.target(), [&]() -> Result<void> {
    m_impl->work->exec(sql);
    return {};
  });
}

Result<void> Tx::commit() {
  if (!m_impl->work) return make_error(ErrorKind::unexpected, "transaction already finished");
  auto r = guarded(m_conn.target(), [&]() -> Result<void> {
    m_impl->work->commit();
    return {};
  });
  m_impl->work.reset();
  return r;
}

void Tx::rollback() {
  if (!m_impl || !m_impl->work) return;
  try {
    m_impl->work->abort();
  } catch (...) {
  }
  m_impl->work.reset();
}

// ---- advisory locks -----------------------------------------------------------------------

Result<bool> try_lock(Connection& c, const LockKey& key) {
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok",
                                {std::to_string(key.space), key.name}));
  return r.get(0, "ok") == "t";
}

Result<void> release_lock(Connection& c, const LockKey& key) {
  CRM_TRY(c.exec("SELECT pg_advisory_unlock($1::int, hashtext($2))",
                 {std::to_string(key.space), key.name}));
  return {};
}

Result<std::vector<LockHolder>> lock_holders(Connection& c, const LockKey& key) {
  CRM_TRY_ASSIGN(
      auto r,
      c.exec("SELECT a.pid, coalesce(a.application_name, '') AS app, "
             "       date_trunc('second', now() - coalesce(a.xact_start, a.backend_start))::text "
             "AS age "
             "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
             "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
             "  AND l.classid::bigint = ($1::int::bigint & 4294967295) "
             "  AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)",
             {std::to_string(key.space), key.name}));
  std::vector<LockHolder> out;
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({std::stoi(r.get(i, "pid")), r.get(i, "app"), r.get(i, "age")});
  return out;
}

Result<void> acquire_lock(Connection& c, const LockKey& key, std::chrono::milliseconds wait,
                          Clock& clock) {
  auto deadline = clock.steady_now() + wait;
  std::mt19937 rng(static_cast<unsigned>(c.backend_pid()));
  std::chrono::milliseconds step{50};
  for (;;) {
    CRM_TRY_ASSIGN(bool got, try_lock(c, key));
    if (got) return {};
    if (clock.steady_now() >= deadline) break;
    auto jitter = std::uniform_int_distribution<int>(0, static_cast<int>(step.count()))(rng);
    clock.sleep_for(std::chrono::milliseconds(step.count() / 2 + jitter));
    step = std::min(step * 2, std::chrono::milliseconds(1000));
  }
  std::string who = "another session";
  if (auto h = lock_holders(c, key); h && !h->empty())
    who = "pid " + std::to_string(h->front().pid) + " (" +
          (h->front().application_name.empty() ? "unknown application"
                                               : h->front().application_name) +
          ", running for " + h->front().age + ")";
  return make_error(ErrorKind::conflict, "lock '" + key.name + "' is held by " + who + "; waited " +
                                             std::to_string(wait.count()) +
                                             " ms: retry later or raise --lock-timeout");
}

} // namespace crm::db
