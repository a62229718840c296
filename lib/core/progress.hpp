// A progress bar for long work, drawn on stderr only when it is a terminal, and the one renderer of
// fan-out events (a bar on a TTY, NDJSON lines otherwise) that every fan-out verb shares.
#pragma once
#include "core/clock.hpp"
#include "core/io.hpp"
#include "core/mask.hpp"
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

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

/// One event of a fan-out over many targets (tenant schemas, tenants); emitted by db::fan_out.
struct FanOutEvent {
  enum class Kind { run_start, item_start, item_done, item_failed, run_done };
  Kind kind = Kind::run_start;
  std::string id;    // the target (item events)
  std::string label; // the target for humans ("" or equal to id: not shown)
  std::size_t done = 0, failed = 0, running = 0, total = 0;
  std::string detail; // the run id for run events; "3 applied" or the error for item events
};
using FanOutEventSink = std::function<void(const FanOutEvent&)>;

/// How fan-out events are shown: the bar's label, and the noun of an item in NDJSON ("schema" gives
/// {"event":"schema_done","schema":"org_x",...}; "item" gives "item_done" and "item").
struct FanOutStyle {
  std::string label = "fan-out";
  std::string item = "item";
};

/// The event's name in NDJSON: run_start, <item>_start, <item>_done, <item>_failed, run_done.
std::string fan_out_event_name(FanOutEvent::Kind kind, const FanOutStyle& style);
/// One NDJSON line (without newline): event, done, failed, running, total, <item>, label, detail
/// (redacted); keys sorted.
std::string fan_out_event_json(const FanOutEvent& e, const FanOutStyle& style,
                               const Redactor& redactor);

/// Renders fan-out events: a progress bar (done/failed/running/pending, ETA) when stderr is a
/// terminal, NDJSON lines otherwise. Thread-safe. `write` receives whole chunks of text; by default
/// they go to io.err — pass Logger::write_raw so events and log lines never interleave.
FanOutEventSink fan_out_renderer(IO& io, Clock& clock, const Redactor& redactor, FanOutStyle style,
                                 std::function<void(std::string_view)> write = {});

} // namespace crm
