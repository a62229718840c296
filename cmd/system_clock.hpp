// The real clock: the only place the wall clock is read (cmd layer, injected into lib/).
#pragma once
#include "core/clock.hpp"
#include <thread>

namespace crm::cmd {

class SystemClock final : public Clock {
public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  void sleep_for(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

} // namespace crm::cmd
