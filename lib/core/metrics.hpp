// A small thread-safe metrics registry: counters, gauges and histograms with labels, rendered in
// the Prometheus text exposition format 0.0.4 (what a daemon's /metrics serves). No globals: the
// owner (a daemon, a test) creates one and passes it to what it wants measured.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm {

/// Label name → value pairs of one series (order does not matter: series are keyed by sorted name).
using Labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing value.
class Counter {
public:
  /// Adds `by` (negative values are ignored: counters only go up).
  void inc(double by = 1.0);
  double value() const { return m_value.load(std::memory_order_relaxed); }

private:
  std::atomic<double> m_value{0.0};
};

/// A value that goes up and down (connections in use).
class Gauge {
public:
  void set(double v) { m_value.store(v, std::memory_order_relaxed); }
  void add(double by) { m_value.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return m_value.load(std::memory_order_relaxed); }

private:
  std::atomic<double> m_value{0.0};
};

/// Observations counted into cumulative buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative; // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return m_bounds; }

private:
  const std::vector<double> m_bounds;
  mutable std::mutex m_mutex;
  std::vector<std::uint64_t> m_counts; // per bucket (not cumulative), last = above every bound
  double m_sum = 0;
  std::uint64_t m_count = 0;
};

/// The registry. Getting a series creates it on first use and returns the same object afterwards
/// (references stay valid for the registry's lifetime). Asking for an existing name with another
/// type, or an invalid metric/label name, is a programming error (std::logic_error).
class Metrics {
public:
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> upper_bounds = default_buckets());
  /// Every family (sorted by name) with HELP and TYPE lines and its series (sorted by labels).
  std::string render() const;
  /// 5 ms .. 10 s, the Prometheus client default.
  static std::vector<double> default_buckets();

private:
  enum class Type { counter, gauge, histogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> bounds; // histograms
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, std::string_view help, Type type);

  mutable std::mutex m_mutex;
  std::map<std::string, Family, std::less<>> m_families;
};

/// Escapes a label value for the text format: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);
/// A sample value as the text format writes it ("1", "0.25", "+Inf", "NaN").
std::string format_metric_value(double v);

} // namespace crm
