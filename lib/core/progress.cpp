#include "core/progress.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <ostream>

namespace crm {

Progress::Progress(IO& io, Clock& clock, std::size_t total, std::string label)
    : m_io(io), m_clock(clock), m_total(total), m_label(std::move(label)),
      m_start(clock.steady_now()) {}

std::string Progress::line(std::size_t done, std::size_t failed, std::size_t running) const {
  constexpr std::size_t k_width = 24;
  std::size_t finished = done + failed;
  std::size_t fill = m_total ? finished * k_width / m_total : k_width;
  std::string bar(fill, '#');
  bar += std::string(k_width - fill, '.');
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.steady_now() - m_start).count();
  std::string eta = "--";
  if (finished > 0 && m_total > finished)
    eta = std::to_string((elapsed * static_cast<long long>(m_total - finished) /
                          static_cast<long long>(finished)) /
                         1000) +
          "s";
  else if (m_total == finished)
    eta = "0s";
  std::size_t pending = m_total > finished + running ? m_total - finished - running : 0;
  return m_label + " [" + bar + "] " + std::to_string(finished) + "/" + std::to_string(m_total) +
         " done " + std::to_string(done) + " failed " + std::to_string(failed) + " running " +
         std::to_string(running) + " pending " + std::to_string(pending) + " ETA " + eta;
}

void Progress::update(std::size_t done, std::size_t failed, std::size_t running) {
  if (!m_io.stderr_tty) return;
  m_io.err << "\r\033[2K" << line(done, failed, running) << std::flush;
  m_drawn = true;
}

void Progress::finish() {
  if (m_drawn) m_io.err << "\n" << std::flush;
  m_drawn = false;
}

std::string fan_out_event_name(FanOutEvent::Kind kind, const FanOutStyle& style) {
  switch (kind) {
  case FanOutEvent::Kind::run_start:
    return "run_start";
  case FanOutEvent::Kind::item_start:
    return style.item + "_start";
  case FanOutEvent::Kind::item_done:
    return style.item + "_done";
  case FanOutEvent::Kind::item_failed:
    return style.item + "_failed";
  case FanOutEvent::Kind::run_done:
    return "run_done";
  }
  return "unknown";
}

std::string fan_out_event_json(const FanOutEvent& e, const FanOutStyle& style,
                               const Redactor& redactor) {
  nlohmann::json j = {{"event", fan_out_event_name(e.kind, style)},
                      {"done", e.done},
                      {"failed", e.failed},
                      {"running", e.running},
                      {"total", e.total}};
  if (!e.id.empty()) j[style.item] = e.id;
  if (!e.label.empty() && e.label != e.id) j["label"] = e.label;
  if (!e.detail.empty()) j["detail"] = redactor.redact(e.detail);
  return j.dump();
}

namespace {

// Shared by the copies of the returned std::function.
struct RendererState {
  RendererState(IO& i, Clock& c, const Redactor& r, FanOutStyle s,
                std::function<void(std::string_view)> w)
      : io(i), clock(c), redactor(r), style(std::move(s)), write(std::move(w)) {}
  IO& io;
  Clock& clock;
  const Redactor& redactor;
  FanOutStyle style;
  std::function<void(std::string_view)> write;
  std::mutex mutex;
  std::unique_ptr<Progress> bar;
  bool drawn = false;

  void emit(std::string_view text) {
    if (write)
      write(text);
    else
      io.err << text << std::flush;
  }

  void on(const FanOutEvent& e) {
    std::lock_guard lock(mutex);
    if (!io.stderr_tty) {
      emit(fan_out_event_json(e, style, redactor) + "\n");
      return;
    }
    if (e.kind == FanOutEvent::Kind::run_start)
      bar = std::make_unique<Progress>(io, clock, e.total, style.label);
    if (!bar) return;
    if (e.kind == FanOutEvent::Kind::run_done) {
      if (drawn) emit("\n");
      drawn = false;
      bar.reset();
      return;
    }
    emit("\r\033[2K" + bar->line(e.done, e.failed, e.running));
    drawn = true;
  }
};

} // namespace

FanOutEventSink fan_out_renderer(IO& io, Clock& clock, const Redactor& redactor, FanOutStyle style,
                                 std::function<void(std::string_view)> write) {
  auto state =
      std::make_shared<RendererState>(io, clock, redactor, std::move(style), std::move(write));
  return [state](const FanOutEvent& e) { state->on(e); };
}

} // namespace crm
