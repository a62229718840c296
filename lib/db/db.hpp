// Database access: connections, AdminTx / TenantTx, query helpers, advisory locks.
// libpqxx stays inside lib/db/*.cpp; nothing above this layer includes it.
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crm::db {

/// A parameter or field value in text form; nullopt is SQL NULL.
using Value = std::optional<std::string>;
/// Positional parameters for $1, $2, ... (always bound, never spliced into SQL).
using Params = std::vector<Value>;

/// A fully-read result set.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  long long affected = 0;

  std::size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  /// Index of a column; throws std::out_of_range for a programming error.
  std::size_t col(const std::string& name) const;
  /// Field text ("" for NULL).
  std::string get(std::size_t row, const std::string& name) const;
  /// Field value (nullopt for NULL).
  Value opt(std::size_t row, const std::string& name) const;
};

/// Double-quotes an identifier for SQL ("org_1", with embedded quotes doubled).
std::string quote_ident(const std::string& ident);
/// Host and port of a URL or keyword connection string, for error messages (no password).
std::string describe_target(const std::string& url);

class Connection;
struct RawAccess; // lib/db's own access to the libpq session (db/raw.hpp)

/// A statement prepared once per database session and run by name afterwards: parsed, analysed
/// and (once PostgreSQL settles on a generic plan) planned once per session instead of on every
/// run. For statements a hot path runs thousands of times (the webhook daemon's per-event
/// statements); keep one instance per text (a function-local static). Its name is derived from
/// the text, so equal texts share one server-side statement.
class Statement {
public:
  explicit Statement(std::string sql);
  const std::string& sql() const { return m_sql; }
  /// "crm_" + 16 hex digits of the text's SHA-256.
  const std::string& name() const { return m_name; }

private:
  std::string m_sql, m_name;
};

/// A transaction: BEGIN on creation, ROLLBACK on destruction unless committed.
/// Domain functions take the transaction they run in (`Tx&` for admin work, `TenantTx&` for
/// tenant tables), so a command can commit several domain operations atomically.
class Tx {
public:
  virtual ~Tx();
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  /// Runs one parameterised statement.
  Result<Rows> exec(const std::string& sql, const Params& params = {});
  /// Runs a prepared statement (prepared on this session first if it is not yet). A server error
  /// aborts the whole transaction at once (rolled back: nothing can run in it afterwards).
  Result<Rows> exec(const Statement& st, const Params& params = {});
  /// Runs a script of several statements (simple query protocol, no parameters).
  Result<void> exec_script(const std::string& sql);
  /// Commits; afterwards the Tx is finished.
  Result<void> commit();
  /// Rolls back now (also what destruction does).
  void rollback();

  /// True until commit or rollback.
  bool active() const;

protected:
  explicit Tx(Connection& c);
  /// A view that runs inside `parent`'s transaction (see db::scoped()).
  explicit Tx(Tx& parent);
  /// A 55P03 (lock timeout) from `server_message` (the full text, CONTEXT included): rolls the
  /// transaction back and names the sessions holding a lock on the relation it waited for.
  Error lock_timeout_error(Error e, const std::string& server_message);
  Connection& m_conn;
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  friend class Connection;
  friend struct RawAccess;
};

/// The explicit cross-tenant path (superadmin, migrations, audits): runs as the login role.
class AdminTx final : public Tx {
public:
  explicit AdminTx(Connection& c) : Tx(c) {}
};

/// How a tenant's data is isolated.
enum class Isolation { row, schema };

/// What TenantTx needs to know about a tenant (resolved up front, UUID-first).
struct TenantScope {
  std::string org_id; // UUID
  Isolation isolation = Isolation::row;
  std::string schema; // org_<hex> for schema tenants; "" for row tenants
  std::string app_role = "crm_app";
  std::string guc = "app.current_org_id";
};

/// A tenant-scoped transaction: SET LOCAL ROLE to the application role (subject to RLS),
/// set_config(guc, org_id, true), and search_path for schema tenants. Either its own transaction
/// (Connection::tenant) or a scope borrowed inside an enclosing transaction (db::scoped), which
/// leaves the scope again when destroyed and commits only with its parent.
class TenantTx final : public Tx {
public:
  const std::string& org_id() const { return m_scope.org_id; }
  const TenantScope& scope() const { return m_scope; }
  /// True for a scope borrowed from an enclosing transaction.
  bool borrowed() const { return m_borrowed; }
  ~TenantTx() override;

private:
  TenantTx(Connection& c, TenantScope scope) : Tx(c), m_scope(std::move(scope)) {}
  TenantTx(Tx& parent, TenantScope scope)
      : Tx(parent), m_scope(std::move(scope)), m_borrowed(true) {}
  TenantScope m_scope;
  bool m_borrowed = false;
  friend class Connection;
  friend Result<std::unique_ptr<TenantTx>> scoped(Tx& parent, const TenantScope& scope);
};

/// Switches an open transaction into a tenant's scope for the lifetime of the returned TenantTx
/// (which must not outlive `parent`): provisioning writes global rows and then the tenant's rows
/// under RLS, all in one transaction. Committing the view is an error; commit the parent.
Result<std::unique_ptr<TenantTx>> scoped(Tx& parent, const TenantScope& scope);

/// Isolation level of a transaction (PostgreSQL's three distinct levels).
enum class TxIsolation { read_committed, repeatable_read, serializable };
/// Whether a transaction may write.
enum class TxAccess { read_write, read_only };
/// How long a transaction crmctl opens waits for a row or table lock before giving up.
inline constexpr std::chrono::milliseconds k_default_lock_timeout{5000};
/// How Connection::admin / Connection::tenant open their transaction. The default is the server's
/// READ COMMITTED READ WRITE; `{TxIsolation::repeatable_read, TxAccess::read_only}` gives one
/// consistent snapshot for every statement (exports, reports). Every transaction gets SET LOCAL
/// lock_timeout (0 leaves the server's setting): a lock wait never hangs, and its 55P03 comes back
/// as ErrorKind::conflict naming the session that held the lock, where PostgreSQL can tell.
struct TxMode {
  TxIsolation isolation = TxIsolation::read_committed;
  TxAccess access = TxAccess::read_write;
  std::chrono::milliseconds lock_timeout = k_default_lock_timeout;
};

/// One database session.
class Connection {
public:
  /// Connects; failure is ErrorKind::db_unavailable naming host and reason.
  static Result<std::unique_ptr<Connection>> open(const std::string& url,
                                                  const std::string& application_name = "crmctl");
  ~Connection();
  /// Autocommit statement outside any transaction.
  Result<Rows> exec(const std::string& sql, const Params& params = {});
  /// Autocommit script of several statements (e.g. CREATE INDEX CONCURRENTLY).
  Result<void> exec_script(const std::string& sql);
  /// Starts an admin transaction (SET TRANSACTION per `mode` before anything else runs).
  Result<std::unique_ptr<AdminTx>> admin(TxMode mode = {});
  /// Starts a tenant transaction for `scope` (SET TRANSACTION per `mode`, then the scope).
  Result<std::unique_ptr<TenantTx>> tenant(const TenantScope& scope, TxMode mode = {});
  /// DISCARD ALL: the session back to its state after connecting (settings, prepared
  /// statements, temporary tables, advisory locks), and the prepared statements forgotten here.
  Result<void> discard_session();
  /// Server backend pid of this session.
  int backend_pid() const;
  /// "host:port" of the server (for messages).
  const std::string& target() const { return m_target; }
  /// False once libpq knows the session is gone (server closed it, a send failed); a session the
  /// server dropped silently still reads true until a statement fails (pools check with SELECT 1).
  bool is_usable() const;
  /// A Connection that never connects (fake connection sources in tests): every statement fails
  /// with db_unavailable, is_usable() is false.
  static std::unique_ptr<Connection> offline(const std::string& target);

private:
  Connection() = default;
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::string m_target;
  friend class Tx;
  friend struct RawAccess;
};

/// Switches an open (admin) transaction into a tenant's scope — the same role, GUC and search_path
/// as a TenantTx — so one transaction can provision global rows and then write tenant rows under
/// RLS. leave_tenant returns to the login role.
Result<void> enter_tenant(Tx& tx, const TenantScope& scope);
Result<void> leave_tenant(Tx& tx, const TenantScope& scope);

/// Who holds an advisory lock (for "lock held" messages).
struct LockHolder {
  int pid = 0;
  std::string application_name;
  std::string age; // e.g. "00:00:12"
};

/// Session-level advisory lock key: (namespace, hashtext(name)) in PostgreSQL's two-int space.
struct LockKey {
  std::int32_t space;
  std::string name;
};

/// Tries pg_try_advisory_lock with jittered retries until `wait` expires; never blocks inside
/// PostgreSQL. On timeout: ErrorKind::conflict naming the holder's pid, application and age.
Result<void> acquire_lock(Connection& c, const LockKey& key, std::chrono::milliseconds wait,
                          Clock& clock);
/// Non-waiting attempt: true when acquired.
Result<bool> try_lock(Connection& c, const LockKey& key);
/// Releases a session-level lock taken by acquire_lock/try_lock.
Result<void> release_lock(Connection& c, const LockKey& key);
/// The sessions holding `key` (empty when free).
Result<std::vector<LockHolder>> lock_holders(Connection& c, const LockKey& key);

} // namespace crm::db
