#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace crm {
namespace {

bool valid_name(std::string_view n, bool allow_colon) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_help(std::string_view v) {
  std::string o;
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '\n')
      o += "\\n";
    else
      o.push_back(c);
  }
  return o;
}

// Canonical label text without braces: name="value",... sorted by name.
std::string label_key(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (!valid_name(sorted[i].first, false) || sorted[i].first.rfind("__", 0) == 0)
      throw std::logic_error("invalid metric label name '" + sorted[i].first + "'");
    if (i > 0 && sorted[i].first == sorted[i - 1].first)
      throw std::logic_error("duplicate metric label '" + sorted[i].first + "'");
    if (!key.empty()) key += ',';
    key += sorted[i].first + "=\"" + escape_label_value(sorted[i].second) + "\"";
  }
  return key;
}

std::string braces(const std::string& key, const std::string& extra = "") {
  std::string inner = key;
  if (!extra.empty()) inner += (inner.empty() ? "" : ",") + extra;
  return inner.empty() ? std::string() : "{" + inner + "}";
}

} // namespace

std::string escape_label_value(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o.push_back(c);
  }
  return o;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void Counter::inc(double by) {
  if (by > 0) m_value.fetch_add(by, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : m_bounds(std::move(upper_bounds)), m_counts(m_bounds.size() + 1, 0) {}

void Histogram::observe(double v) {
  auto idx = static_cast<std::size_t>(std::lower_bound(m_bounds.begin(), m_bounds.end(), v) -
                                      m_bounds.begin());
  std::lock_guard lock(m_mutex);
  ++m_counts[idx];
  m_sum += v;
  ++m_count;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = m_bounds;
  std::lock_guard lock(m_mutex);
  std::uint64_t running = 0;
  for (auto c : m_counts) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.sum = m_sum;
  s.count = m_count;
  return s;
}

std::vector<double> Metrics::default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Metrics::Family& Metrics::family(std::string_view name, std::string_view help, Type type) {
  if (!valid_name(name, true))
    throw std::logic_error("invalid metric name '" + std::string(name) + "'");
  auto it = m_families.find(name);
  if (it == m_families.end())
    it = m_families.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}, {}})
             .first;
  if (it->second.type != type)
    throw std::logic_error("metric '" + std::string(name) + "' registered with another type");
  return it->second;
}

Counter& Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::string key = label_key(labels);
  std::lock_guard lock(m_mutex);
  auto& slot = family(name, help, Type::counter).counters[key];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::string key = label_key(labels);
  std::lock_guard lock(m_mutex);
  auto& slot = family(name, help, Type::gauge).gauges[key];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help, const Labels& labels,
                              std::vector<double> upper_bounds) {
  std::string key = label_key(labels);
  for (const auto& l : labels)
    if (l.first == "le") throw std::logic_error("histogram label 'le' is reserved");
  if (!std::is_sorted(upper_bounds.begin(), upper_bounds.end()) ||
      std::adjacent_find(upper_bounds.begin(), upper_bounds.end()) != upper_bounds.end())
    throw std::logic_error("histogram buckets must be strictly ascending");
  while (!upper_bounds.empty() && std::isinf(upper_bounds.back()))
    upper_bounds.pop_back(); // +Inf is implicit
  std::lock_guard lock(m_mutex);
  Family& f = family(name, help, Type::histogram);
  if (f.histograms.empty())
    f.bounds = upper_bounds;
  else if (f.bounds != upper_bounds)
    throw std::logic_error("histogram '" + std::string(name) + "' registered with other buckets");
  auto& slot = f.histograms[key];
  if (!slot) slot = std::make_unique<Histogram>(f.bounds);
  return *slot;
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(m_mutex);
  for (const auto& [name, f] : m_families) {
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    switch (f.type) {
    case Type::counter:
      out += "# TYPE " + name + " counter\n";
      for (const auto& [key, c] : f.counters)
        out += name + braces(key) + " " + format_metric_value(c->value()) + "\n";
      break;
    case Type::gauge:
      out += "# TYPE " + name + " gauge\n";
      for (const auto& [key, g] : f.gauges)
        out += name + braces(key) + " " + format_metric_value(g->value()) + "\n";
      break;
    case Type::histogram:
      out += "# TYPE " + name + " histogram\n";
      for (const auto& [key, h] : f.histograms) {
        auto s = h->snapshot();
        for (std::size_t i = 0; i < s.upper_bounds.size(); ++i)
          out += name + "_bucket" +
                 braces(key, "le=\"" + format_metric_value(s.upper_bounds[i]) + "\"") + " " +
                 std::to_string(s.cumulative[i]) + "\n";
        out += name + "_bucket" + braces(key, "le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
        out += name + "_sum" + braces(key) + " " + format_metric_value(s.sum) + "\n";
        out += name + "_count" + braces(key) + " " + std::to_string(s.count) + "\n";
      }
      break;
    }
  }
  return out;
}

} // namespace crm
