// Test doubles: FakeClock, FakeHttp (stub registry that fails on unused stubs), TestIO.
#pragma once
#include "core/clock.hpp"
#include "core/io.hpp"
#include "http/client.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>

namespace crm::test {

class FakeClock final : public Clock {
public:
  TimePoint now() const override { return m_now; }
  std::chrono::steady_clock::time_point steady_now() const override { return m_steady; }
  void sleep_for(std::chrono::milliseconds d) override {
    m_slept.push_back(d);
    advance(d);
  }
  void advance(std::chrono::milliseconds d) {
    m_now += d;
    m_steady += d;
  }
  const std::vector<std::chrono::milliseconds>& slept() const { return m_slept; }
  TimePoint m_now = std::chrono::system_clock::from_time_t(1'790'000'000);
  std::chrono::steady_clock::time_point m_steady{};

private:
  std::vector<std::chrono::milliseconds> m_slept;
};

/// Answers requests from stubs registered in order per "METHOD url-prefix"; a request with no
/// stub fails the test, and so does a stub never used.
class FakeHttp final : public http::Client {
public:
  struct Stub {
    std::string method, url_prefix;
    Result<http::Response> response;
    int used = 0;
  };
  ~FakeHttp() override {
    for (const auto& s : m_stubs)
      if (s.used == 0) ADD_FAILURE() << "unused HTTP stub: " << s.method << " " << s.url_prefix;
  }
  void on(std::string method, std::string url_prefix, Result<http::Response> resp) {
    m_stubs.push_back({std::move(method), std::move(url_prefix), std::move(resp), 0});
  }
  Result<http::Response> send(const http::Request& req) override {
    requests.push_back(req);
    for (auto& s : m_stubs)
      if (s.used == 0 && s.method == req.method && req.url.rfind(s.url_prefix, 0) == 0) {
        ++s.used;
        return s.response;
      }
    ADD_FAILURE() << "no HTTP stub for " << req.method << " " << req.url;
    return make_error(ErrorKind::unexpected, "no stub");
  }
  std::vector<http::Request> requests;

private:
  std::deque<Stub> m_stubs;
};

/// IO over string streams with switchable TTY flags.
struct TestIO {
  std::istringstream in;
  std::ostringstream out, err;
  IO io{in, out, err, false, false, false, false};
  explicit TestIO(std::string input = "") : in(std::move(input)) {}
};

} // namespace crm::test
