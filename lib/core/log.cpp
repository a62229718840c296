#include "core/log.hpp"
#include "core/output.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <ostream>
#include <string_view>

namespace crm {
namespace {

class StreamSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  StreamSink(std::ostream& out, LogFormat fmt, std::shared_ptr<Redactor> r)
      : m_out(out), m_fmt(fmt), m_redactor(std::move(r)) {}

  // Preformatted text under the same lock as log lines, so the two never interleave.
  void write_raw(std::string_view text) {
    std::lock_guard lock(mutex_);
    m_out << text;
    m_out.flush();
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = m_redactor->redact(std::string(msg.payload.data(), msg.payload.size()));
    auto level = spdlog::level::to_string_view(msg.level);
    // One write per line (called under base_sink's mutex; the stream is shared with write_raw).
    std::string line;
    if (m_fmt == LogFormat::json) {
      auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
                      .count();
      nlohmann::json j = {
          {"ts_ms", secs}, {"level", std::string(level.data(), level.size())}, {"msg", text}};
      // Invalid UTF-8 (a provider's bytes quoted in a message) becomes U+FFFD, not an exception.
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      // Messages quote names, paths and provider text: escape sequences, line breaks and
      // invalid bytes are written as escapes (one line per message, nothing steers a terminal).
      line = "crmctl: " + std::string(level.data(), level.size()) + ": " +
             escape_for_terminal(text) + "\n";
    }
    m_out << line;
    m_out.flush();
  }
  void flush_() override { m_out.flush(); }

private:
  std::ostream& m_out;
  LogFormat m_fmt;
  std::shared_ptr<Redactor> m_redactor;
};

spdlog::level::level_enum to_spd(LogLevel l) {
  switch (l) {
  case LogLevel::debug:
    return spdlog::level::debug;
  case LogLevel::info:
    return spdlog::level::info;
  case LogLevel::warn:
    return spdlog::level::warn;
  case LogLevel::error:
    return spdlog::level::err;
  case LogLevel::off:
    return spdlog::level::off;
  }
  return spdlog::level::info;
}

} // namespace

struct Logger::Impl {
  std::shared_ptr<StreamSink> sink;
  spdlog::logger logger;
};

Logger::Logger(std::ostream& sink, LogLevel level, LogFormat format,
               std::shared_ptr<Redactor> redactor)
    : m_redactor(redactor ? std::move(redactor) : std::make_shared<Redactor>()) {
  auto s = std::make_shared<StreamSink>(sink, format, m_redactor);
  m_impl = std::make_unique<Impl>(Impl{s, spdlog::logger("crmctl", s)});
  m_impl->logger.set_level(to_spd(level));
}
Logger::~Logger() = default;

void Logger::debug(const std::string& m) {
  m_impl->logger.debug(m);
}
void Logger::info(const std::string& m) {
  m_impl->logger.info(m);
}
void Logger::warn(const std::string& m) {
  m_impl->logger.warn(m);
}
void Logger::error(const std::string& m) {
  m_impl->logger.error(m);
}
void Logger::write_raw(std::string_view text) {
  m_impl->sink->write_raw(text);
}

} // namespace crm
