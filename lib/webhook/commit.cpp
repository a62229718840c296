#include "webhook/commit.hpp"

namespace crm::webhook {

Committer::Committer(db::ConnectionSource& source, tenant::Tenancy tenancy, CommitOptions options,
                     Clock& clock, Metrics* metrics)
    : m_source(source), m_tenancy(std::move(tenancy)), m_options(options), m_clock(clock) {
  if (m_options.committers == 0) m_options.committers = 1;
  if (m_options.batch_max == 0) m_options.batch_max = 1;
  if (metrics) {
    m_batch_size = &metrics->histogram("crm_webhook_batch_events", "Events per group commit", {},
                                       {1, 2, 4, 8, 16, 32, 64, 128, 256});
    m_commit_seconds = &metrics->histogram(
        "crm_webhook_commit_seconds", "Time to write and commit one batch", {},
        {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
    m_batch_errors = &metrics->counter("crm_webhook_batch_errors_total",
                                       "Batches that failed (none of their events acknowledged)");
  }
  for (std::size_t i = 0; i < m_options.committers; ++i)
    m_threads.emplace_back([this] { run(); });
}

Committer::~Committer() {
  stop();
}

std::future<Result<IngestResult>> Committer::submit(Delivery d) {
  auto item = std::make_unique<Item>();
  item->delivery = std::move(d);
  auto fut = item->promise.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_queue.size() >= m_options.queue_max) {
      item->promise.set_value(make_error(
          ErrorKind::db_unavailable, m_stopping ? "shutting down" : "overloaded: commit queue full"));
      return fut;
    }
    m_queue.push_back(std::move(item));
  }
  m_ready.notify_one();
  return fut;
}

void Committer::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping && m_threads.empty()) return;
    m_stopping = true;
  }
  m_ready.notify_all();
  for (auto& t : m_threads)
    if (t.joinable()) t.join();
  m_threads.clear();
}

std::size_t Committer::queued() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size();
}

void Committer::run() {
  for (;;) {
    std::vector<std::unique_ptr<Item>> batch;
    {
      std::unique_lock lock(m_mutex);
      m_ready.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_queue.empty()) return; // stopping and drained
      // A batch closes when full or after batch_wait since it opened (not while stopping).
      const auto closes = m_clock.steady_now() + m_options.batch_wait;
      while (!m_stopping && m_queue.size() < m_options.batch_max &&
             m_options.batch_wait.count() > 0)
        if (m_ready.wait_until(lock, closes) == std::cv_status::timeout) break;
      while (!m_queue.empty() && batch.size() < m_options.batch_max) {
        batch.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
      }
    }
    if (!m_queue.empty()) m_ready.notify_one(); // more than one batch waiting
    commit(batch);
  }
}

void Committer::commit(std::vector<std::unique_ptr<Item>>& batch) {
  const auto started = m_clock.steady_now();
  std::vector<const Delivery*> ds;
  ds.reserve(batch.size());
  for (const auto& it : batch)
    ds.push_back(&it->delivery);
  Result<std::vector<IngestResult>> results = make_error(ErrorKind::unexpected, "not run");
  auto lease = m_source.acquire();
  if (!lease) {
    results = lease.error();
  } else {
    results = ingest_batch(**lease, m_tenancy, ds);
    if (!results) lease->mark_errored();
  }
  if (m_batch_size) m_batch_size->observe(static_cast<double>(batch.size()));
  if (m_commit_seconds)
    m_commit_seconds->observe(
        std::chrono::duration<double>(m_clock.steady_now() - started).count());
  if (!results) {
    if (m_batch_errors) m_batch_errors->inc();
    for (auto& it : batch)
      it->promise.set_value(results.error());
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i)
    batch[i]->promise.set_value(std::move((*results)[i]));
}

} // namespace crm::webhook
