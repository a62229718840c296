// Group commit for the daemon (issue 14's benchmark): deliveries from many request threads are
// written several per transaction, each acknowledged only after its own batch is durable. One
// fsync per event is the wall for a receiver that commits every event alone; a batch closes after
// `batch_wait` or `batch_max` events, whichever comes first, and a few committers work in
// parallel (one commits while the next batch gathers). Never an early acknowledgement.
#pragma once
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "db/pool.hpp"
#include "webhook/ingest.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace crm::webhook {

struct CommitOptions {
  std::size_t committers = 2;                  // transactions in flight at once (DB sessions)
  std::size_t batch_max = 64;                  // events per transaction at most
  std::chrono::microseconds batch_wait{2000};  // how long a batch waits for company
  std::size_t queue_max = 4096;                // waiting events at most (then: overloaded)
};

class Committer {
public:
  /// `clock` measures batch windows and commit times (steady time).
  Committer(db::ConnectionSource& source, tenant::Tenancy tenancy, CommitOptions options,
            Clock& clock, Metrics* metrics = nullptr);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  /// Queues one delivery. The future becomes ready once its batch committed (the result) or
  /// failed (the error: database unavailable, commit failed — nothing of the batch is stored).
  /// A full queue or a stopped committer answers at once with ErrorKind::db_unavailable.
  std::future<Result<IngestResult>> submit(Delivery d);
  /// Stops taking deliveries, finishes every queued one, joins the committers.
  void stop();
  /// Events waiting for a committer.
  std::size_t queued() const;

private:
  struct Item {
    Delivery delivery;
    std::promise<Result<IngestResult>> promise;
  };
  void run();
  void commit(std::vector<std::unique_ptr<Item>>& batch);

  db::ConnectionSource& m_source;
  tenant::Tenancy m_tenancy;
  CommitOptions m_options;
  Clock& m_clock;
  mutable std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::unique_ptr<Item>> m_queue;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
  Histogram* m_batch_size = nullptr;
  Histogram* m_commit_seconds = nullptr;
  Counter* m_batch_errors = nullptr;
};

} // namespace crm::webhook
