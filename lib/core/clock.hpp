// Time is an input: lib/ code receives a Clock and never reads the wall clock itself.
#pragma once
#include <chrono>
#include <string>

namespace crm {

using TimePoint = std::chrono::system_clock::time_point;

/// Source of the current time and of sleeping (so retries and lock waits are testable).
class Clock {
public:
  virtual ~Clock() = default;
  /// The current time.
  virtual TimePoint now() const = 0;
  /// Monotonic time for measuring durations.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  /// Blocks for `d` (a fake clock just advances).
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

/// RFC 3339 UTC with seconds ("2026-11-21T09:10:00Z").
std::string format_rfc3339(TimePoint t);

} // namespace crm
