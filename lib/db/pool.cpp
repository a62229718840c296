#include "db/pool.hpp"

#include "core/metrics.hpp"

#include <algorithm>
#include <utility>

namespace crm::db {

// ---- Lease --------------------------------------------------------------------------------

Lease::Lease(Lease&& other) noexcept
    : m_source(std::exchange(other.m_source, nullptr)), m_conn(std::move(other.m_conn)),
      m_health(other.m_health) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    m_source = std::exchange(other.m_source, nullptr);
    m_conn = std::move(other.m_conn);
    m_health = other.m_health;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() {
  if (m_source && m_conn) m_source->give_back(std::move(m_conn), m_health);
  m_conn.reset();
  m_source = nullptr;
}

void Lease::discard() {
  m_conn.reset(); // closes the session
  if (m_source) m_source->give_back(nullptr, LeaseHealth::errored);
  m_source = nullptr;
}

// ---- sources ------------------------------------------------------------------------------

Opener url_opener(std::string url, std::string application_name) {
  return [url = std::move(url), app = std::move(application_name)] {
    return Connection::open(url, app);
  };
}

Result<Lease> FactorySource::acquire() {
  CRM_TRY_ASSIGN(auto conn, m_open());
  return make_lease(std::move(conn));
}

// ---- Pool ---------------------------------------------------------------------------------

struct Pool::Instruments {
  Gauge& in_use;
  Gauge& idle;
  Counter& waits;
  Counter& opened;
  Counter& exhausted;
  Counter& connect_failed;
  Counter& check_failed;
};

Pool::Pool(Opener open, PoolOptions options, Clock& clock, Metrics* metrics)
    : m_open(std::move(open)), m_options(std::move(options)), m_clock(clock) {
  m_options.size = std::max<std::size_t>(1, m_options.size);
  m_stats.size = m_options.size;
  if (metrics) {
    const char* conns = "crm_db_pool_connections";
    const char* conns_help = "Database sessions of the pool by state";
    const char* errors = "crm_db_pool_errors_total";
    const char* errors_help = "Pool failures: exhausted (acquire timed out), connect (server "
                              "unreachable), check (a pooled session failed its health check)";
    m_metrics.reset(new Instruments{
        metrics->gauge(conns, conns_help, {{"state", "in_use"}}),
        metrics->gauge(conns, conns_help, {{"state", "idle"}}),
        metrics->counter("crm_db_pool_waits_total", "Acquires that had to wait for a session"),
        metrics->counter("crm_db_pool_opened_total", "Sessions the pool opened"),
        metrics->counter(errors, errors_help, {{"reason", "exhausted"}}),
        metrics->counter(errors, errors_help, {{"reason", "connect"}}),
        metrics->counter(errors, errors_help, {{"reason", "check"}})});
  }
}

Pool::~Pool() = default;

void Pool::publish() const {
  if (!m_metrics) return;
  m_metrics->in_use.set(static_cast<double>(m_in_use));
  m_metrics->idle.set(static_cast<double>(m_idle.size()));
}

std::optional<std::size_t> Pool::spare() const {
  std::lock_guard lock(m_mutex);
  return m_options.size - m_in_use;
}

Pool::Stats Pool::stats() const {
  std::lock_guard lock(m_mutex);
  Stats s = m_stats;
  s.open = m_open_count;
  s.idle = m_idle.size();
  s.in_use = m_in_use;
  return s;
}

void Pool::forget_one(std::unique_lock<std::mutex>& lock) {
  if (!lock.owns_lock()) lock.lock();
  --m_open_count;
  --m_in_use;
  publish();
  m_freed.notify_one();
}

// Runs outside the lock: the session is ours alone while we check it.
Pool::Check Pool::check_out(Idle& idle) const {
  if (!idle.conn->is_usable()) return Check::failed;
  if (idle.health == LeaseHealth::errored) {
    // Whatever the last borrower left behind (session settings, advisory locks, role) goes.
    if (!idle.conn->discard_session()) return Check::failed;
    if (!idle.conn->exec("SELECT set_config('application_name', $1, false)",
                         {m_options.application_name}))
      return Check::failed;
    return Check::fine;
  }
  if (m_clock.steady_now() - idle.since >= m_options.validate_after_idle) {
    if (!idle.conn->exec("SELECT 1")) return Check::failed;
  }
  return Check::fine;
}

Result<Lease> Pool::acquire() {
  const auto start = m_clock.steady_now();
  std::unique_lock lock(m_mutex);
  bool waited = false, timed_out = false;
  for (;;) {
    if (!m_idle.empty()) {
      Idle idle = std::move(m_idle.back());
      m_idle.pop_back();
      ++m_in_use;
      publish();
      lock.unlock();
      if (check_out(idle) == Check::fine) return make_lease(std::move(idle.conn));
      idle.conn.reset(); // stale (server restarted, backend terminated): replace it
      lock.lock();
      ++m_stats.replaced;
      if (m_metrics) m_metrics->check_failed.inc();
      for (auto& other : m_idle) // its siblings are probably stale too
        other.health = LeaseHealth::errored;
      --m_open_count;
      --m_in_use;
      publish();
      continue; // a slot is free now: open a fresh session below
    }
    if (m_open_count < m_options.size) {
      ++m_open_count;
      ++m_in_use;
      publish();
      lock.unlock();
      auto conn = m_open();
      if (!conn) {
        if (m_metrics) m_metrics->connect_failed.inc();
        forget_one(lock);
        return std::move(conn).error();
      }
      lock.lock();
      ++m_stats.opened;
      if (m_metrics) m_metrics->opened.inc();
      lock.unlock();
      return make_lease(std::move(conn).value());
    }
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.steady_now() - start);
    if (timed_out || elapsed >= m_options.acquire_timeout) {
      ++m_stats.exhausted;
      if (m_metrics) m_metrics->exhausted.inc();
      return make_error(ErrorKind::db_unavailable,
                        "connection pool exhausted: " + std::to_string(m_in_use) + " of " +
                            std::to_string(m_options.size) + " sessions in use for " +
                            std::to_string(m_options.acquire_timeout.count()) +
                            " ms (raise pool_size in the profile or lower --jobs)");
    }
    if (!waited) {
      waited = true;
      ++m_stats.waits;
      if (m_metrics) m_metrics->waits.inc();
    }
    // A full wait that ends by timeout counts as expiry even when the injected clock stands still.
    timed_out =
        m_freed.wait_for(lock, m_options.acquire_timeout - elapsed) == std::cv_status::timeout &&
        m_idle.empty() && m_open_count >= m_options.size;
  }
}

void Pool::give_back(std::unique_ptr<Connection> conn, LeaseHealth health) {
  std::unique_lock lock(m_mutex);
  if (!conn || !conn->is_usable()) {
    lock.unlock();
    conn.reset(); // close outside the lock
    forget_one(lock);
    return;
  }
  --m_in_use;
  m_idle.push_back({std::move(conn), m_clock.steady_now(), health});
  publish();
  m_freed.notify_one();
}

} // namespace crm::db
