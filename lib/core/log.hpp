// Logging on stderr via spdlog, text or JSON, with secrets masked in every line.
#pragma once
#include "core/mask.hpp"
#include <iosfwd>
#include <memory>
#include <string>

namespace crm {

enum class LogLevel { debug, info, warn, error, off };
enum class LogFormat { text, json };

/// A logger bound to one stream; every message passes through the Redactor first.
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
  /// The redactor (commands register secrets they load).
  Redactor& redactor() { return *m_redactor; }

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::shared_ptr<Redactor> m_redactor;
};

} // namespace crm
