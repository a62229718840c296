// Process I/O handed to commands: streams plus what we know about the terminal.
#pragma once
#include <iosfwd>

namespace crm {

/// Standard streams and terminal facts; tests substitute string streams and flip the TTY flags.
struct IO {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool stdin_tty = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
  bool color = false; // false when NO_COLOR, --no-color or not a TTY
};

} // namespace crm
