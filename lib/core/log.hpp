// Logging on stderr via spdlog, text or JSON, with secrets masked in every line.
#pragma once
#include "core/mask.hpp"
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace crm {

enum class LogLevel { debug, info, warn, error, off };
enum class LogFormat { text, json };

/// A logger bound to one stream; every message passes through the Redactor first.
/// Thread-safe: many threads may log at once (the sink writes each line whole under its mutex, the
/// Redactor is thread-safe, the level is fixed at construction).
class Logger {
public:
  Logger(std::ostream& sink, LogLevel level, LogFormat format, std::shared_ptr<Redactor> redactor);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  void debug(const std::string& msg);
  void info(const std::string& msg);
  void warn(const std::string& msg);
  void error(const std::string& msg);
  /// Writes preformatted text (progress lines, NDJSON events) to the log stream under the same
  /// lock as log lines, so concurrent writers never interleave. Not redacted, no newline added.
  void write_raw(std::string_view text);
  /// The redactor (commands register secrets they load).
  Redactor& redactor() { return *m_redactor; }

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::shared_ptr<Redactor> m_redactor;
};

} // namespace crm
