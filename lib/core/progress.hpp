// A progress bar for long work, drawn on stderr only when it is a terminal.
#pragma once
#include "core/clock.hpp"
#include "core/io.hpp"
#include <cstddef>
#include <string>

namespace crm {

/// Counts done/failed/running of `total` units and redraws one line on a TTY (no output otherwise).
class Progress {
public:
  Progress(IO& io, Clock& clock, std::size_t total, std::string label);
  /// Redraws with the given counters (thread-compatible: callers serialise).
  void update(std::size_t done, std::size_t failed, std::size_t running);
  /// Ends the line (TTY only).
  void finish();
  /// The text of the bar for given counters (exposed for tests).
  std::string line(std::size_t done, std::size_t failed, std::size_t running) const;

private:
  IO& m_io;
  Clock& m_clock;
  std::size_t m_total;
  std::string m_label;
  std::chrono::steady_clock::time_point m_start;
  bool m_drawn = false;
};

} // namespace crm
