// Thread safety of the shared core pieces: Redactor, Logger, Metrics; and the metrics text format.
#include "core/log.hpp"
#include "core/mask.hpp"
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <thread>

using namespace crm;

TEST(Redactor, HammeredFromEightThreads) {
  Redactor r;
  for (int i = 0; i < 16; ++i)
    r.add("shared_secret_value_" + std::to_string(1000 + i));
  std::atomic<int> leaks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        std::string mine = "tok_thread" + std::to_string(t) + "_n" + std::to_string(i) + "_zz";
        r.add(mine);
        std::string text = "send " + mine + " and shared_secret_value_" +
                           std::to_string(1000 + i % 16) + " to postgresql://u:pw9999@h/db";
        std::string out = r.redact(text);
        if (out.find(mine) != std::string::npos || out.find("value_1") != std::string::npos ||
            out.find("pw9999") != std::string::npos)
          ++leaks;
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(leaks.load(), 0);
  EXPECT_EQ(r.size(), 16u + 8 * 100);
  // Every secret registered by any thread is masked afterwards.
  for (int t = 0; t < 8; ++t)
    for (int i = 0; i < 100; i += 33) {
      std::string s = "tok_thread" + std::to_string(t) + "_n" + std::to_string(i) + "_zz";
      EXPECT_EQ(r.redact(s).find(s), std::string::npos) << s;
    }
}

TEST(Redactor, IsBoundedForgettingTheOldest) {
  Redactor r(3);
  r.add("first_secret_1");
  r.add("second_secret_2");
  r.add("third_secret_3");
  r.add("second_secret_2"); // already known: no change
  EXPECT_EQ(r.size(), 3u);
  r.add("fourth_secret_4");
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.redact("first_secret_1"), "first_secret_1"); // evicted
  EXPECT_EQ(r.redact("fourth_secret_4 second_secret_2"), "\u2026et_4 \u2026et_2");
  r.add("abc"); // too short to register
  EXPECT_EQ(r.size(), 3u);
}

TEST(Redactor, LongerSecretsWinOverTheirSubstrings) {
  Redactor r;
  r.add("abcd1234");
  r.add("xxabcd1234yyzz");
  EXPECT_EQ(r.redact("k=xxabcd1234yyzz"), "k=\u2026yyzz");
}

TEST(Logging, ManyThreadsWriteWholeLines) {
  std::ostringstream sink;
  auto red = std::make_shared<Redactor>();
  red->add("sk_live_threadsecret_1");
  Logger log(sink, LogLevel::info, LogFormat::text, red);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (i % 50 == 0) red->add("sk_live_added_" + std::to_string(t) + "_" + std::to_string(i));
        if (i % 2)
          log.info("worker " + std::to_string(t) + " item " + std::to_string(i) +
                   " sk_live_threadsecret_1");
        else
          log.write_raw("{\"event\":\"schema_done\",\"n\":" + std::to_string(i) + "}\n");
      }
    });
  for (auto& th : threads)
    th.join();
  std::istringstream in(sink.str());
  std::string line;
  int lines = 0, logs = 0;
  while (std::getline(in, line)) {
    ++lines;
    if (line.rfind("crmctl: info: worker ", 0) == 0) {
      ++logs;
      EXPECT_EQ(line.find("threadsecret"), std::string::npos);
      EXPECT_NE(line.find("sk_\u2026et_1"), std::string::npos) << line;
    } else {
      EXPECT_EQ(line.rfind("{\"event\":\"schema_done\",\"n\":", 0), 0u) << line;
      EXPECT_EQ(line.back(), '}') << line;
    }
  }
  EXPECT_EQ(lines, 8 * 200);
  EXPECT_EQ(logs, 8 * 100);
}

TEST(Metrics, PrometheusTextFormat) {
  Metrics m;
  m.counter("crm_jobs_total", "Jobs run, by \"kind\"\nsecond line \\ end", {{"kind", "plain"}})
      .inc();
  m.counter("crm_jobs_total", "ignored: the first help wins", {{"kind", "a\"b\\c\nd"}}).inc(2);
  auto& h =
      m.histogram("crm_wait_seconds", "Wait time", {{"pool", "main"}, {"db", "x"}}, {0.1, 0.5, 1});
  h.observe(0.0625);
  h.observe(0.5); // on a bound: counted in it (le)
  h.observe(2);
  m.gauge("crm_in_use", "Sessions in use").set(3);
  EXPECT_EQ(m.render(), "# HELP crm_in_use Sessions in use\n"
                        "# TYPE crm_in_use gauge\n"
                        "crm_in_use 3\n"
                        "# HELP crm_jobs_total Jobs run, by \"kind\"\\nsecond line \\\\ end\n"
                        "# TYPE crm_jobs_total counter\n"
                        "crm_jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 2\n"
                        "crm_jobs_total{kind=\"plain\"} 1\n"
                        "# HELP crm_wait_seconds Wait time\n"
                        "# TYPE crm_wait_seconds histogram\n"
                        "crm_wait_seconds_bucket{db=\"x\",pool=\"main\",le=\"0.1\"} 1\n"
                        "crm_wait_seconds_bucket{db=\"x\",pool=\"main\",le=\"0.5\"} 2\n"
                        "crm_wait_seconds_bucket{db=\"x\",pool=\"main\",le=\"1\"} 2\n"
                        "crm_wait_seconds_bucket{db=\"x\",pool=\"main\",le=\"+Inf\"} 3\n"
                        "crm_wait_seconds_sum{db=\"x\",pool=\"main\"} 2.5625\n"
                        "crm_wait_seconds_count{db=\"x\",pool=\"main\"} 3\n");
}

TEST(Metrics, SameSeriesAndProgrammingErrors) {
  Metrics m;
  auto& a = m.counter("c_total", "c", {{"b", "2"}, {"a", "1"}});
  auto& b = m.counter("c_total", "c", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(&a, &b); // label order does not make another series
  a.inc(-5);         // counters never go down
  EXPECT_EQ(a.value(), 0);
  EXPECT_THROW(m.gauge("c_total", "c"), std::logic_error);
  EXPECT_THROW(m.counter("9bad", "x"), std::logic_error);
  EXPECT_THROW(m.counter("ok_total", "x", {{"bad-label", "v"}}), std::logic_error);
  EXPECT_THROW(m.histogram("h", "x", {{"le", "1"}}), std::logic_error);
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(1e21), "1e+21");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(Metrics, CountsFromManyThreads) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        m.counter("ops_total", "ops", {{"worker", std::to_string(t % 2)}}).inc();
        m.histogram("op_seconds", "op time").observe(0.001);
        if (i % 100 == 0) (void)m.render();
      }
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(m.counter("ops_total", "ops", {{"worker", "0"}}).value(), 4000);
  EXPECT_EQ(m.counter("ops_total", "ops", {{"worker", "1"}}).value(), 4000);
  EXPECT_NE(m.render().find("op_seconds_count 8000\n"), std::string::npos);
}
