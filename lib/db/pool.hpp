// Connection sources: where fan-out workers and (later) the daemon's requests borrow sessions.
// Pool is the bounded, thread-safe one; FactorySource opens a fresh session per lease.
#pragma once
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/db.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace crm {
class Metrics;
class Counter;
class Gauge;
} // namespace crm

namespace crm::db {

class ConnectionSource;

/// Whether a borrowed connection saw an error; an errored one is reset before anyone reuses it.
enum class LeaseHealth { clean, errored };

/// A borrowed connection: returns itself to its source when destroyed (or on release()).
class Lease {
public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  Connection& operator*() const { return *m_conn; }
  Connection* operator->() const { return m_conn.get(); }
  Connection* get() const { return m_conn.get(); }
  explicit operator bool() const { return m_conn != nullptr; }
  /// Flags the connection as having seen an error: the source checks and resets it (DISCARD ALL:
  /// session settings, advisory locks) before handing it out again, or closes it.
  void mark_errored() { m_health = LeaseHealth::errored; }
  /// Closes the connection instead of returning it.
  void discard();
  /// Returns the connection now (the lease is empty afterwards).
  void release();

private:
  friend class ConnectionSource;
  Lease(ConnectionSource& source, std::unique_ptr<Connection> conn)
      : m_source(&source), m_conn(std::move(conn)) {}
  ConnectionSource* m_source = nullptr;
  std::unique_ptr<Connection> m_conn;
  LeaseHealth m_health = LeaseHealth::clean;
};

/// Where connections are borrowed from. Implementations are thread-safe and outlive their leases.
class ConnectionSource {
public:
  virtual ~ConnectionSource() = default;
  /// Borrows a connection. Failure is ErrorKind::db_unavailable (exit 7) saying whether the source
  /// is exhausted or the server is down (host:port and reason).
  virtual Result<Lease> acquire() = 0;
  /// How many more leases could be had right now without waiting; nullopt when unbounded.
  virtual std::optional<std::size_t> spare() const = 0;

protected:
  /// Takes back a lease's connection (nullptr when the lease discarded it).
  virtual void give_back(std::unique_ptr<Connection> conn, LeaseHealth health) = 0;
  /// Wraps a connection into a lease that returns to this source.
  Lease make_lease(std::unique_ptr<Connection> conn) { return Lease(*this, std::move(conn)); }
  friend class Lease;
};

/// Opens one session (what a source calls to grow).
using Opener = std::function<Result<std::unique_ptr<Connection>>()>;
/// Opens sessions to `url` with the given application_name (Connection::open).
Opener url_opener(std::string url, std::string application_name = "crmctl");

/// No pooling: every acquire opens a new session, closed when its lease ends (tests, tools).
class FactorySource final : public ConnectionSource {
public:
  explicit FactorySource(Opener open) : m_open(std::move(open)) {}
  Result<Lease> acquire() override;
  std::optional<std::size_t> spare() const override { return std::nullopt; }

protected:
  void give_back(std::unique_ptr<Connection>, LeaseHealth) override {}

private:
  Opener m_open;
};

/// Pool settings; `size` comes from the profile's pool_size.
struct PoolOptions {
  std::size_t size = 10;                              // sessions at most
  std::chrono::milliseconds acquire_timeout{5000};    // wait this long when all are in use
  std::chrono::milliseconds validate_after_idle{500}; // idle longer: SELECT 1 before reuse
  std::string application_name = "crmctl";            // set again after a reset
};

/// A bounded pool. Sessions open lazily (none until the first acquire). On checkout a session
/// that libpq knows is dead is replaced; one idle longer than validate_after_idle is probed with
/// SELECT 1; one returned errored is reset with DISCARD ALL — a failed probe or reset replaces it
/// with a fresh session (reconnect after a server restart) and makes every idle session suspect.
/// When all `size` are in use, acquire waits up to acquire_timeout, then fails with
/// db_unavailable "pool exhausted: N of N in use for T ms"; when the server cannot be reached it
/// fails with Connection::open's db_unavailable (host:port and reason). Thread-safe; must outlive
/// its leases. Metrics (optional): crm_db_pool_connections{state}, crm_db_pool_waits_total,
/// crm_db_pool_errors_total{reason}, crm_db_pool_opened_total.
class Pool final : public ConnectionSource {
public:
  Pool(Opener open, PoolOptions options, Clock& clock, Metrics* metrics = nullptr);
  ~Pool() override;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Result<Lease> acquire() override;
  std::optional<std::size_t> spare() const override;

  /// A snapshot of the pool's counters.
  struct Stats {
    std::size_t size = 0, open = 0, idle = 0, in_use = 0;
    std::uint64_t opened = 0, waits = 0, exhausted = 0, replaced = 0;
  };
  Stats stats() const;
  const PoolOptions& options() const { return m_options; }

protected:
  void give_back(std::unique_ptr<Connection> conn, LeaseHealth health) override;

private:
  struct Idle {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point since;
    LeaseHealth health = LeaseHealth::clean;
  };
  enum class Check { fine, failed };
  Check check_out(Idle& idle) const;
  void forget_one(std::unique_lock<std::mutex>& lock); // a slot freed (closed / failed open)
  void publish() const;                                // gauges, under m_mutex

  Opener m_open;
  PoolOptions m_options;
  Clock& m_clock;
  mutable std::mutex m_mutex;
  std::condition_variable m_freed;
  std::vector<Idle> m_idle; // most recently returned last (handed out first)
  std::size_t m_open_count = 0;
  std::size_t m_in_use = 0;
  Stats m_stats;
  struct Instruments;
  std::unique_ptr<Instruments> m_metrics;
};

} // namespace crm::db
