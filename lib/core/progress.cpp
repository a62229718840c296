#include "core/progress.hpp"
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

} // namespace crm
