// Entry point: the real process around run_cli (signals, terminal detection, environment).
#include "cmd/cli.hpp"
#include "cmd/system_clock.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace {

crm::cmd::Interrupt g_interrupt; // a signal handler can only reach process-wide state

extern "C" void on_sigint(int) {
  if (g_interrupt.cooperative.load() && !g_interrupt.requested.exchange(true)) {
    static const char msg[] =
        "\ncrmctl: interrupt received, finishing in-flight work (again to abort)\n";
    (void)!write(2, msg, sizeof msg - 1);
    return;
  }
  static const char msg[] = "\ncrmctl: interrupted\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(130);
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_sigint);
  std::signal(SIGPIPE, SIG_IGN);
  std::ios::sync_with_stdio(false);
  crm::IO io{std::cin,       std::cout,      std::cerr,     isatty(0) == 1,
             isatty(1) == 1, isatty(2) == 1, isatty(1) == 1};
  crm::cmd::SystemClock clock;
  crm::EnvLookup env = [](const std::string& k) -> std::optional<std::string> {
    const char* v = std::getenv(k.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = crm::cmd::run_cli(args, io, clock, env, g_interrupt);
  std::cout.flush();
  return rc;
}
