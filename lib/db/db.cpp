#include "db/db.hpp"
#include "db/raw.hpp"

#include "core/crypto.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_set>

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
  return server_error(sqlstate_of(e), e.what());
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

// Runs f(); a server error's full text (with its CONTEXT lines) is kept in `out` on the way out.
template <class F> auto keep_message(std::string& out, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::sql_error& e) {
    out = e.what();
    throw;
  }
}

// What a lock timeout waited for, from the CONTEXT of its message:
// "while updating tuple (0,5) in relation "organizations"".
struct LockWait {
  std::string relation;
  std::string tuple;
};
LockWait lock_wait_of(const std::string& server_message) {
  LockWait w;
  auto rel = server_message.find("relation \"");
  if (rel != std::string::npos) {
    auto end = server_message.find('"', rel + 10);
    if (end != std::string::npos) w.relation = server_message.substr(rel + 10, end - rel - 10);
  }
  auto tup = server_message.find("tuple (");
  if (tup != std::string::npos) {
    auto end = server_message.find(')', tup);
    if (end != std::string::npos) w.tuple = server_message.substr(tup + 6, end - tup - 5);
  }
  return w;
}

// Sessions (other than this one) holding a lock on a relation of that name; for a row wait only
// those that lock or write rows (RowShareLock or stronger, a transaction id assigned). Oldest
// transaction first.
std::vector<LockHolder> holders_of(pqxx::nontransaction& nt, const LockWait& w) {
  auto r = nt.exec_params(
      "SELECT a.pid, coalesce(a.application_name, '') AS app, "
      "  date_trunc('second', now() - coalesce(a.xact_start, a.backend_start))::text AS age "
      "FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND a.pid IN ("
      "  SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
      "  WHERE l.locktype = 'relation' AND l.granted AND c.relname = $1 "
      "    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "    AND ($2 = '' OR l.mode <> 'AccessShareLock')) "
      "  AND ($2 = '' OR a.backend_xid IS NOT NULL) "
      "ORDER BY a.xact_start NULLS LAST, a.pid LIMIT 3",
      w.relation, w.tuple);
  std::vector<LockHolder> out;
  for (const auto& row : r)
    out.push_back({row[0].as<int>(), row[1].c_str(), row[2].c_str()});
  return out;
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

Error result_error(pg_conn* pg, const PGresult* r, const std::string& target) {
  if (PQstatus(pg) == CONNECTION_BAD)
    return make_error(ErrorKind::db_unavailable, "database connection to " + target +
                                                     " lost: " + first_line(PQerrorMessage(pg)));
  const char* st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* msg = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
  std::string m = msg && *msg ? msg : "statement failed";
  return server_error(st ? st : "", m);
}

Error server_error(const std::string& st, const std::string& message) {
  ErrorKind k = ErrorKind::unexpected;
  if (st == "23505" || st == "55P03" || st == "40001" || st == "40P01" || st == "57014" ||
      st == "23503" || st == "23514")
    k = ErrorKind::conflict;
  else if (st.rfind("08", 0) == 0 || st == "57P01" || st == "57P02" || st == "57P03")
    k = ErrorKind::db_unavailable;
  Error err = make_error(k, first_line(message));
  err.sqlstate = st;
  return err;
}

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

namespace {
// pqxx::connection plus libpq's handle of the session. libpqxx 6.4 gives the handle to its own
// classes only, but a connection policy is handed every handle the connection gets (connect,
// reconnect, drop); the COPY reader (db/copy.cpp) needs it for PQgetCopyData.
class HandlePolicy final : public pqxx::connect_direct {
public:
  explicit HandlePolicy(const std::string& opts) : pqxx::connect_direct(opts) {}
  handle do_startconnect(handle h) override { return m_handle = connect_direct::do_startconnect(h); }
  handle do_completeconnect(handle h) override {
    return m_handle = connect_direct::do_completeconnect(h);
  }
  handle do_dropconnect(handle h) noexcept override {
    return m_handle = connect_direct::do_dropconnect(h);
  }
  handle do_disconnect(handle h) noexcept override {
    return m_handle = connect_direct::do_disconnect(h);
  }
  handle current() const { return m_handle; }

private:
  handle m_handle = nullptr;
};

// What pqxx::connection (basic_connection_base<connect_direct>) is, with HandlePolicy.
class PgConnection final : public pqxx::connection_base {
public:
  explicit PgConnection(const std::string& opts)
      : pqxx::connection_base(m_policy), m_options(opts), m_policy(m_options) {
    init();
  }
  ~PgConnection() noexcept { close(); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  pg_conn* raw() const { return m_policy.current(); }

private:
  std::string m_options; // before m_policy, which keeps a reference to it
  HandlePolicy m_policy;
};
} // namespace

struct Connection::Impl {
  std::unique_ptr<PgConnection> conn;
  /// Statements prepared on the session (`prepared_on`, `prepared_pid`): a reconnect is a new
  /// session — a new handle, or PQreset of the same one (libpqxx retrying BEGIN) with a new
  /// backend pid — and the set starts empty again.
  std::unordered_set<std::string> prepared;
  pg_conn* prepared_on = nullptr;
  int prepared_pid = 0;
  /// A statement this session prepared went missing (26000), or one it never prepared was
  /// there already (42P05): the server side of this session changes under it (a
  /// transaction-mode pooler such as PgBouncer hands each transaction to some backend; a
  /// DEALLOCATE or PREPARE behind our back). From then on this session runs db::Statement as
  /// unnamed statements, as Tx::exec(sql) does: slower, never failing for this reason.
  bool unnamed_only = false;
  /// The session; an offline Connection (fakes) has none and fails like a lost connection.
  pqxx::connection_base& live() {
    if (!conn) throw pqxx::broken_connection("not connected (offline session)");
    return *conn;
  }
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
    c->m_impl->conn = std::make_unique<PgConnection>(url);
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
    pqxx::nontransaction nt(m_impl->live());
    return to_rows(run(nt, sql, params));
  });
}

Result<void> Connection::exec_script(const std::string& sql) {
  return guarded(m_target, [&]() -> Result<void> {
    pqxx::nontransaction nt(m_impl->live());
    nt.exec(sql);
    return {};
  });
}

Result<void> Connection::discard_session() {
  if (m_impl) m_impl->prepared.clear(); // gone on the server too, or the session is
  return exec_script("DISCARD ALL");
}

int Connection::backend_pid() const {
  return m_impl->conn ? m_impl->conn->backendpid() : 0;
}

// ---- pool support (is_usable, offline) ------------------------------------------------------

bool Connection::is_usable() const {
  // libpq's own status: CONNECTION_BAD after the server closed the session or a send failed.
  return m_impl && m_impl->conn && m_impl->conn->is_open();
}

std::unique_ptr<Connection> Connection::offline(const std::string& target) {
  std::unique_ptr<Connection> c(new Connection());
  c->m_target = target;
  c->m_impl = std::make_unique<Impl>();
  return c;
}

namespace {
// SET TRANSACTION for a non-default mode; "" for READ COMMITTED READ WRITE (nothing to send).
std::string set_transaction_sql(TxMode mode) {
  if (mode.isolation == TxIsolation::read_committed && mode.access == TxAccess::read_write)
    return "";
  std::string level = mode.isolation == TxIsolation::serializable      ? "SERIALIZABLE"
                      : mode.isolation == TxIsolation::repeatable_read ? "REPEATABLE READ"
                                                                       : "READ COMMITTED";
  return "SET TRANSACTION ISOLATION LEVEL " + level +
         (mode.access == TxAccess::read_only ? " READ ONLY" : " READ WRITE");
}

// What a transaction runs right after BEGIN: SET TRANSACTION (first, before any snapshot) and its
// lock_timeout, in one round trip. Neither statement takes a snapshot.
std::string begin_sql(TxMode mode) {
  std::string sql = set_transaction_sql(mode);
  if (mode.lock_timeout.count() > 0)
    sql += (sql.empty() ? "" : "; ") + std::string("SET LOCAL lock_timeout = '") +
           std::to_string(mode.lock_timeout.count()) + "ms'";
  return sql;
}
} // namespace

Result<std::unique_ptr<AdminTx>> Connection::admin(TxMode mode) {
  CRM_TRY_ASSIGN(auto tx, guarded(m_target, [&]() -> Result<std::unique_ptr<AdminTx>> {
                   return std::make_unique<AdminTx>(*this);
                 }));
  // Must be the transaction's first statement: the snapshot is taken by the first query.
  if (auto sql = begin_sql(mode); !sql.empty()) CRM_TRY(tx->exec_script(sql));
  return tx;
}

Result<std::unique_ptr<TenantTx>> Connection::tenant(const TenantScope& scope, TxMode mode) {
  if (scope.org_id.empty())
    return make_error(ErrorKind::unexpected, "tenant transaction without an org id");
  std::unique_ptr<TenantTx> tx;
  auto r = guarded(m_target, [&]() -> Result<void> {
    tx.reset(new TenantTx(*this, scope));
    return {};
  });
  if (!r) return std::move(r).error();
  if (auto sql = begin_sql(mode); !sql.empty()) CRM_TRY(tx->exec_script(sql));
  CRM_TRY(enter_tenant(*tx, scope));
  return tx;
}

// Entering and leaving a scope are one prepared statement each (they run twice per tenant per
// transaction, per webhook batch too): set_config('role', ...) is SET LOCAL ROLE (the same setting,
// the same membership check), set_config('role', 'none', ...) is SET LOCAL ROLE NONE.
Result<void> enter_tenant(Tx& tx, const TenantScope& scope) {
  static const Statement enter("SELECT set_config('role', $1, true), set_config($2, $3, true), "
                               "set_config('search_path', $4, true)");
  std::string path = scope.isolation == Isolation::schema && !scope.schema.empty()
                         ? quote_ident(scope.schema) + ", public, crm"
                         : "public, crm";
  CRM_TRY(tx.exec(enter, {scope.app_role, scope.guc, scope.org_id, path}));
  return {};
}

Result<void> leave_tenant(Tx& tx, const TenantScope& scope) {
  static const Statement leave("SELECT set_config('role', 'none', true), set_config($1, '', true), "
                               "set_config('search_path', 'public, crm', true)");
  CRM_TRY(tx.exec(leave, {scope.guc}));
  return {};
}

// ---- Tx -----------------------------------------------------------------------------------

// An owning Tx holds the pqxx transaction; a borrowed one (db::scoped) reaches its parent's.
struct Tx::Impl {
  std::unique_ptr<pqxx::work> own;
  Tx* parent = nullptr;
  bool left = false; // a borrowed scope that was left
  /// The live transaction, or nullptr once finished.
  pqxx::work* work() const {
    if (!parent) return own.get();
    return left ? nullptr : parent->m_impl->work();
  }
};

Tx::Tx(Connection& c) : m_conn(c), m_impl(std::make_unique<Impl>()) {
  m_impl->own = std::make_unique<pqxx::work>(c.m_impl->live());
}

Tx::Tx(Tx& parent) : m_conn(parent.m_conn), m_impl(std::make_unique<Impl>()) {
  m_impl->parent = &parent;
}

Tx::~Tx() {
  rollback();
}

bool Tx::active() const {
  return m_impl && m_impl->work() != nullptr;
}

Result<Rows> Tx::exec(const std::string& sql, const Params& params) {
  pqxx::work* w = m_impl->work();
  if (!w) return make_error(ErrorKind::unexpected, "transaction already finished");
  std::string server_message;
  auto r = guarded(m_conn.target(), [&]() -> Result<Rows> {
    return keep_message(server_message, [&] { return to_rows(run(*w, sql, params)); });
  });
  if (!r && r.error().sqlstate == "55P03")
    return lock_timeout_error(std::move(r).error(), server_message);
  return r;
}

Statement::Statement(std::string sql) : m_sql(std::move(sql)) {
  m_name = "crm_" + crypto::hex(crypto::sha256(m_sql)).substr(0, 16);
}

Result<Rows> Tx::exec(const Statement& st, const Params& params) {
  pqxx::work* w = m_impl->work();
  if (!w) return make_error(ErrorKind::unexpected, "transaction already finished");
  Connection::Impl& ci = *m_conn.m_impl;
  pg_conn* pg = ci.conn ? ci.conn->raw() : nullptr;
  if (!pg || PQstatus(pg) != CONNECTION_OK)
    return make_error(ErrorKind::db_unavailable,
                      "database connection to " + m_conn.target() + " lost");
  if (ci.prepared_on != pg || ci.prepared_pid != PQbackendPID(pg)) {
    ci.prepared.clear();
    ci.prepared_on = pg;
    ci.prepared_pid = PQbackendPID(pg);
    ci.unnamed_only = false;
  }
  using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;
  // A failed statement aborts the transaction on the server: end it here too, so nothing
  // (a COMMIT that would answer ROLLBACK) runs in it afterwards.
  auto fail = [&](const PGresult* r) -> Error {
    Error e = result_error(pg, r, m_conn.target());
    const std::string message = r ? PQresultErrorMessage(r) : "";
    if (e.sqlstate == "26000" || e.sqlstate == "42P05") ci.unnamed_only = true; // see Impl
    if (e.sqlstate == "55P03") return lock_timeout_error(std::move(e), message);
    Tx* root = this;
    while (root->m_impl->parent)
      root = root->m_impl->parent;
    root->rollback();
    return e;
  };
  if (!ci.unnamed_only && !ci.prepared.count(st.name())) {
    ResultPtr r(PQprepare(pg, st.name().c_str(), st.sql().c_str(), 0, nullptr), &PQclear);
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return fail(r.get());
    ci.prepared.insert(st.name());
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  const int n_values = static_cast<int>(values.size());
  ResultPtr r(ci.unnamed_only ? PQexecParams(pg, st.sql().c_str(), n_values, nullptr,
                                             values.data(), nullptr, nullptr, 0)
                              : PQexecPrepared(pg, st.name().c_str(), n_values, values.data(),
                                               nullptr, nullptr, 0),
              &PQclear);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return fail(r.get());
  Rows out;
  const char* affected = PQcmdTuples(r.get());
  out.affected = affected && *affected ? std::stoll(affected) : 0;
  const int cols = PQnfields(r.get()), n = PQntuples(r.get());
  for (int c = 0; c < cols; ++c)
    out.columns.emplace_back(PQfname(r.get(), c));
  out.rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    std::vector<Value> row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c)
      row.push_back(PQgetisnull(r.get(), i, c)
                        ? Value{}
                        : Value{std::string(PQgetvalue(r.get(), i, c),
                                            static_cast<std::size_t>(PQgetlength(r.get(), i, c)))});
    out.rows.push_back(std::move(row));
  }
  return out;
}

Result<void> Tx::exec_script(const std::string& sql) {
  pqxx::work* w = m_impl->work();
  if (!w) return make_error(ErrorKind::unexpected, "transaction already finished");
  std::string server_message;
  auto r = guarded(m_conn.target(), [&]() -> Result<void> {
    keep_message(server_message, [&] { return w->exec(sql); });
    return {};
  });
  if (!r && r.error().sqlstate == "55P03")
    return lock_timeout_error(std::move(r).error(), server_message);
  return r;
}

Error Tx::lock_timeout_error(Error e, const std::string& server_message) {
  // The transaction is aborted anyway (no savepoints): end it, so the session can look around.
  Tx* root = this;
  while (root->m_impl->parent)
    root = root->m_impl->parent;
  root->rollback();
  LockWait wait = lock_wait_of(server_message);
  std::string what = wait.relation.empty()
                         ? std::string("a lock")
                         : "a lock on " + wait.relation +
                               (wait.tuple.empty() ? std::string() : " (row " + wait.tuple + ")");
  std::vector<LockHolder> holders;
  if (!wait.relation.empty()) {
    auto h = guarded(m_conn.target(), [&]() -> Result<std::vector<LockHolder>> {
      pqxx::nontransaction nt(m_conn.m_impl->live());
      return holders_of(nt, wait);
    });
    if (h) holders = std::move(h).value();
  }
  std::string who;
  for (const auto& h : holders)
    who += (who.empty() ? "" : "; ") + std::string("pid ") + std::to_string(h.pid) + " (" +
           (h.application_name.empty() ? "unknown application" : h.application_name) +
           ", transaction open for " + h.age + ")";
  e.message = "lock timeout: gave up waiting for " + what +
              (who.empty() ? std::string(", held by another transaction") : ", held by " + who) +
              ": retry when that transaction has finished";
  e.kind = ErrorKind::conflict;
  return e;
}

Result<void> Tx::commit() {
  if (m_impl->parent)
    return make_error(ErrorKind::unexpected,
                      "a tenant scope inside another transaction commits with its parent");
  if (!m_impl->own) return make_error(ErrorKind::unexpected, "transaction already finished");
  auto r = guarded(m_conn.target(), [&]() -> Result<void> {
    m_impl->own->commit();
    return {};
  });
  m_impl->own.reset();
  return r;
}

void Tx::rollback() {
  if (!m_impl || !m_impl->own) return;
  try {
    m_impl->own->abort();
  } catch (...) {
  }
  m_impl->own.reset();
}

pg_conn* RawAccess::session(Tx& tx) {
  if (!tx.active() || !tx.m_conn.m_impl->conn) return nullptr;
  return tx.m_conn.m_impl->conn->raw();
}

const std::string& RawAccess::target(Tx& tx) {
  return tx.m_conn.target();
}

TenantTx::~TenantTx() {
  if (m_borrowed && active()) (void)leave_tenant(*this, m_scope);
  if (m_impl) m_impl->left = true;
}

Result<std::unique_ptr<TenantTx>> scoped(Tx& parent, const TenantScope& scope) {
  if (scope.org_id.empty())
    return make_error(ErrorKind::unexpected, "tenant scope without an org id");
  if (!parent.active()) return make_error(ErrorKind::unexpected, "transaction already finished");
  std::unique_ptr<TenantTx> tx(new TenantTx(parent, scope));
  CRM_TRY(enter_tenant(*tx, scope));
  return tx;
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
