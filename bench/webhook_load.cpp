// Open-loop HTTP load for the webhook benchmark (docs/benchmarks.md, "Webhook daemon"): signed
// Vapi end-of-call reports (about 2 KB of transcript, a unique call id each) POSTed at a fixed
// rate, whatever the answers, over a fixed set of keep-alive connections driven by one epoll
// thread. Request i is due at start + i/rate; when no connection is free it waits in the
// generator, and its latency is still measured from the time it was due (no coordinated
// omission). After --duration seconds nothing new is scheduled; answers are awaited for
// --drain seconds more. One JSON line on stdout with the exact ledger:
//   scheduled = sent + unsent,  sent = ok (2xx) + non_2xx + errors + in_flight
// Latency percentiles are over every scheduled request, anything that was not a 2xx (an error
// status, a transport error, no answer by the end of the drain, never sent) counting as
// infinitely late: a percentile that lands on one prints as null.
//
//   crm-bench-webhook-load --port P [--path /webhooks/vapi] --secret S --assistant ID
//                          --rate R [--duration 10] [--drain 5] [--connections 64]
//                          [--tag label] [--label name]
//   crm-bench-webhook-load --print-transcript   (the transcript text, for the pgbench scripts)
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  std::string path = "/webhooks/vapi";
  std::string secret;
  std::string assistant = "asst_bench";
  double rate = 100;
  double duration = 10;
  double drain = 5;
  int connections = 64;
  std::string tag = "run";
  std::string label;
  std::string type = "end-of-call-report"; // the Vapi message type ("transcript": not stored)
  bool print_transcript = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "crm-bench-webhook-load: %s\nusage: crm-bench-webhook-load --port P --secret S "
               "--rate R [--path /webhooks/vapi] [--assistant ID] [--duration S] [--drain S] "
               "[--connections N] [--tag T] [--label L] [--type end-of-call-report|transcript]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--path") o.path = next();
    else if (a == "--secret") o.secret = next();
    else if (a == "--assistant") o.assistant = next();
    else if (a == "--rate") o.rate = std::atof(next().c_str());
    else if (a == "--duration") o.duration = std::atof(next().c_str());
    else if (a == "--drain") o.drain = std::atof(next().c_str());
    else if (a == "--connections") o.connections = std::atoi(next().c_str());
    else if (a == "--tag") o.tag = next();
    else if (a == "--label") o.label = next();
    else if (a == "--type") o.type = next();
    else if (a == "--print-transcript") o.print_transcript = true;
    else usage(("unknown argument " + a).c_str());
  }
  if (o.print_transcript) return o;
  if (o.port <= 0 || o.secret.empty() || o.rate <= 0 || o.duration <= 0 || o.connections <= 0)
    usage("--port, --secret and a positive --rate are required");
  return o;
}

// About 2 KB of a receptionist call, JSON-escaped (as in the transcripts benchmark).
const char* const k_transcript =
    "AI: Thank you for calling Bright Smile Dental, this is the virtual receptionist. How can I "
    "help you today?\\nUser: Hi, I would like to book a cleaning for next week, ideally in the "
    "morning before I go to work.\\nAI: Of course. Could I have your name and the best number to "
    "reach you, in case we need to move things?\\nUser: Sure, it is Jamie, and my cell is "
    "415-555-0142. Text is fine too.\\nAI: Thanks Jamie. For our records, what is your date of "
    "birth?\\nUser: It is 4/12/1987.\\nAI: Perfect. We have Tuesday at 9:30 or Thursday at "
    "10:15. A cleaning is $149.99 without insurance.\\nUser: Tuesday at 9:30 works. Do you take "
    "Delta Dental? My member card is in my wallet somewhere.\\nAI: Yes, we are in network with "
    "Delta Dental, so your copay will likely be lower. Please bring the card.\\nUser: Great. Can "
    "you email the new patient forms to jamie@example.com so I can fill them in?\\nAI: Done, the "
    "forms are on their way. Your confirmation number is 48200142.\\nUser: Thanks. One more "
    "thing, is there parking near the office? Last time I circled the block for ages.\\nAI: "
    "There is a garage on Market Street, level P2 is reserved for patients, and we validate for "
    "two hours.\\nUser: Perfect, that helps a lot. See you on Tuesday then, and thanks for being "
    "so quick about it.\\nAI: You are welcome, Jamie. You will get a reminder the day before. "
    "Have a great rest of your day!\\nUser: Oh wait, one more question. My daughter also needs a "
    "check-up, could she come right after me?\\nAI: Let me look. Tuesday at 10:15 is free with "
    "the same hygienist, so you could come in together.\\nUser: Wonderful. She is seven, so it is "
    "her second visit here. Anything we should bring for her?\\nAI: Just her insurance card if "
    "she is on your plan, and a list of any medication she takes, if any.\\nUser: Got it. And if "
    "something comes up, how much notice do you need to reschedule without a fee?\\nAI: "
    "Twenty-four hours is enough. You can call us back or reply to the reminder text to move "
    "it.\\nUser: You too, bye.";

std::string body_of(const Options& o, std::uint64_t i) {
  const std::string id = o.tag + "-" + std::to_string(i);
  // Callers spread over 10 million numbers (a multiplicative hash of i): almost every event
  // is a new contact, like a busy platform; no contention on one contact row.
  const std::uint64_t n = (i * 2654435761ULL + 1234567ULL) % 10000000ULL;
  char customer[32];
  std::snprintf(customer, sizeof customer, "+1555%07llu", static_cast<unsigned long long>(n));
  std::string b;
  b.reserve(2600);
  b += R"({"message":{"type":")";
  b += o.type;
  b += R"(","endedReason":"customer-ended-call","cost":0.1234,)"
       R"("durationSeconds":185,"startedAt":"2026-11-20T10:00:00.000Z","endedAt":"2026-11-20T10:03:05.000Z",)"
       R"("analysis":{"summary":"New patient booked a cleaning for Tuesday 9:30; forms emailed; asked about parking."},)"
       R"("artifact":{"transcript":")";
  b += k_transcript;
  b += R"(","recordingUrl":"https://rec.example/)";
  b += id;
  b += R"(.wav"},"phoneNumber":{"number":"+15550001111"},"call":{"id":")";
  b += id;
  b += R"(","type":"inboundPhoneCall","assistantId":")";
  b += o.assistant;
  b += R"(","customer":{"number":")";
  b += customer;
  b += R"(","name":"Caller )";
  b += std::to_string(i);
  b += R"("}}}})";
  return b;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static const char* hexd = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int k = 0; k < len; ++k) {
    out[2 * k] = hexd[md[k] >> 4];
    out[2 * k + 1] = hexd[md[k] & 15];
  }
  return out;
}

constexpr std::int64_t k_failed = -1;  // not a 2xx, or no answer
constexpr std::int64_t k_pending = -2; // scheduled, not (yet) answered

struct Conn {
  int fd = -1;
  bool connected = false;
  bool busy = false;
  std::int64_t req = -1; // index of the request in flight
  std::string out;
  std::size_t out_off = 0;
  std::string in;
  bool want_out = false;
};

class Load {
public:
  explicit Load(Options o) : m_o(std::move(o)) {
    m_total = static_cast<std::uint64_t>(std::llround(m_o.rate * m_o.duration));
    m_latency_us.assign(m_total, k_pending);
    m_ep = epoll_create1(0);
    m_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = UINT64_MAX;
    epoll_ctl(m_ep, EPOLL_CTL_ADD, m_timer, &ev);
    m_conns.resize(static_cast<std::size_t>(m_o.connections));
  }

  int run() {
    for (std::size_t c = 0; c < m_conns.size(); ++c)
      open(c);
    // Every connection established before the clock starts (or given up after 5 s).
    const auto connect_until = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < connect_until) {
      std::size_t up = 0;
      for (auto& c : m_conns)
        up += c.connected;
      if (up == m_conns.size()) break;
      poll_once(50);
    }
    rusage ru0{};
    getrusage(RUSAGE_SELF, &ru0);
    m_start = Clock::now();
    m_window_end = m_start + to_dur(m_o.duration);
    const auto drain_end = m_window_end + to_dur(m_o.drain);
    arm(due(0));
    while (true) {
      const auto now = Clock::now();
      if (m_next >= m_total && outstanding() == 0) break;
      if (now >= drain_end) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_end - now);
      poll_once(static_cast<int>(std::max<long long>(1, left.count())));
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    const double cpu = tv(ru1.ru_utime) - tv(ru0.ru_utime) + tv(ru1.ru_stime) - tv(ru0.ru_stime);
    report(elapsed, cpu);
    return 0;
  }

private:
  static double tv(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }
  static Clock::duration to_dur(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  Clock::time_point due(std::uint64_t i) const {
    return m_start + to_dur(static_cast<double>(i) / m_o.rate);
  }
  std::uint64_t outstanding() const {
    std::uint64_t n = m_waiting.size();
    for (const auto& c : m_conns)
      n += c.busy;
    return n;
  }

  void arm(Clock::time_point at) {
    itimerspec its{};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    timerfd_settime(m_timer, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void open(std::size_t c) {
    Conn& k = m_conns[c];
    k = Conn{};
    k.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(k.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(m_o.port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = ::connect(k.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (r == 0) k.connected = true;
    else if (errno != EINPROGRESS) ++m_connect_errors;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    k.want_out = true;
    ev.data.u64 = c;
    epoll_ctl(m_ep, EPOLL_CTL_ADD, k.fd, &ev);
    ++m_connects;
  }

  void set_out(std::size_t c, bool want) {
    Conn& k = m_conns[c];
    if (k.want_out == want) return;
    k.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
    ev.data.u64 = c;
    epoll_ctl(m_ep, EPOLL_CTL_MOD, k.fd, &ev);
  }

  // The connection broke or was closed by the server: the request on it (if any) is an error.
  void reopen(std::size_t c) {
    Conn& k = m_conns[c];
    if (k.busy) {
      ++m_errors;
      m_latency_us[static_cast<std::size_t>(k.req)] = k_failed;
      k.busy = false;
    }
    epoll_ctl(m_ep, EPOLL_CTL_DEL, k.fd, nullptr);
    ::close(k.fd);
    if (Clock::now() < m_window_end + to_dur(m_o.drain)) open(c);
  }

  std::string request_of(std::uint64_t i) {
    const std::string body = body_of(m_o, i);
    const long long ts = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const std::string t = std::to_string(ts);
    const std::string sig = hmac_hex(m_o.secret, t + "." + body);
    std::string r;
    r.reserve(body.size() + 300);
    r += "POST " + m_o.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(m_o.port) +
         "\r\nContent-Type: application/json\r\nx-timestamp: " + t + "\r\nx-signature: " + sig +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
  }

  void start(std::size_t c, std::uint64_t i) {
    Conn& k = m_conns[c];
    k.busy = true;
    k.req = static_cast<std::int64_t>(i);
    k.out = request_of(i);
    k.out_off = 0;
    k.in.clear();
    ++m_sent;
    flush(c);
  }

  void flush(std::size_t c) {
    Conn& k = m_conns[c];
    while (k.out_off < k.out.size()) {
      ssize_t n = ::send(k.fd, k.out.data() + k.out_off, k.out.size() - k.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        k.out_off += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_out(c, true);
        return;
      }
      reopen(c);
      return;
    }
    set_out(c, false);
  }

  // A free, connected connection for request i, or the waiting line.
  void dispatch(std::uint64_t i) {
    for (std::size_t n = 0; n < m_conns.size(); ++n) {
      const std::size_t c = (m_rr + n) % m_conns.size();
      if (m_conns[c].connected && !m_conns[c].busy) {
        m_rr = c + 1;
        start(c, i);
        return;
      }
    }
    m_waiting.push_back(i);
  }

  void idle(std::size_t c) {
    if (!m_waiting.empty()) {
      const std::uint64_t i = m_waiting.front();
      m_waiting.pop_front();
      start(c, i);
    }
  }

  void on_timer() {
    std::uint64_t expirations = 0;
    (void)!::read(m_timer, &expirations, sizeof expirations);
    const auto now = Clock::now();
    while (m_next < m_total && due(m_next) <= now)
      dispatch(m_next++);
    if (m_next < m_total) arm(due(m_next));
  }

  // Parses a complete answer from k.in (Content-Length framed); false while incomplete.
  bool complete(Conn& k, int& status, bool& close_after) {
    const auto end = k.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    if (k.in.size() < 12) return false;
    status = std::atoi(k.in.c_str() + 9);
    long long length = 0;
    close_after = false;
    std::size_t pos = k.in.find("\r\n") + 2;
    while (pos < end) {
      std::size_t eol = k.in.find("\r\n", pos);
      std::string line = k.in.substr(pos, eol - pos);
      for (auto& ch : line)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (line.rfind("content-length:", 0) == 0) length = std::atoll(line.c_str() + 15);
      if (line.rfind("connection:", 0) == 0 && line.find("close") != std::string::npos)
        close_after = true;
      pos = eol + 2;
    }
    if (k.in.size() < end + 4 + static_cast<std::size_t>(length)) return false;
    return true;
  }

  void on_socket(std::size_t c, std::uint32_t events) {
    Conn& k = m_conns[c];
    if (!k.connected) {
      if (events & (EPOLLERR | EPOLLHUP)) {
        ++m_connect_errors;
        reopen(c);
        return;
      }
      if (events & EPOLLOUT) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(k.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          ++m_connect_errors;
          reopen(c);
          return;
        }
        k.connected = true;
        set_out(c, false);
        idle(c);
        return;
      }
    }
    if (events & EPOLLOUT) {
      if (k.busy && k.out_off < k.out.size()) flush(c);
      else set_out(c, false);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      char buf[16384];
      for (;;) {
        ssize_t n = ::recv(k.fd, buf, sizeof buf, 0);
        if (n > 0) {
          k.in.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        // EOF or error: a request in flight on it is lost (a transport error); an idle
        // keep-alive connection closed by the server is simply replaced.
        if (k.busy) {
          int status = 0;
          bool close_after = false;
          if (complete(k, status, close_after)) {
            finish(c, status);
            k.busy = false;
          }
        }
        reopen(c);
        return;
      }
      if (k.busy) {
        int status = 0;
        bool close_after = false;
        if (complete(k, status, close_after)) {
          finish(c, status);
          k.busy = false;
          k.in.clear();
          if (close_after) {
            reopen(c);
            return;
          }
          idle(c);
        }
      }
    }
  }

  void finish(std::size_t c, int status) {
    Conn& k = m_conns[c];
    const auto now = Clock::now();
    const auto i = static_cast<std::uint64_t>(k.req);
    if (status >= 200 && status < 300) {
      ++m_ok;
      if (now <= m_window_end) ++m_ok_in_window;
      m_latency_us[i] =
          std::chrono::duration_cast<std::chrono::microseconds>(now - due(i)).count();
    } else {
      ++m_statuses[status];
      m_latency_us[i] = k_failed;
    }
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    int n = epoll_wait(m_ep, evs, 256, timeout_ms);
    for (int e = 0; e < n; ++e) {
      if (evs[e].data.u64 == UINT64_MAX) on_timer();
      else on_socket(static_cast<std::size_t>(evs[e].data.u64), evs[e].events);
    }
  }

  void report(double elapsed, double cpu) {
    std::uint64_t non2xx = 0;
    std::string statuses;
    for (const auto& [s, n] : m_statuses) {
      non2xx += n;
      statuses += (statuses.empty() ? "" : ",") + std::string("\"") + std::to_string(s) +
                  "\":" + std::to_string(n);
    }
    std::uint64_t in_flight = 0;
    for (const auto& c : m_conns)
      in_flight += c.busy;
    const std::uint64_t unsent = m_total - m_sent;
    const bool exact = m_sent == m_ok + non2xx + m_errors + in_flight;
    // Percentiles over every scheduled request; anything but a 2xx is infinitely late.
    std::vector<std::int64_t> lat(m_latency_us);
    for (auto& v : lat)
      if (v < 0) v = INT64_MAX;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) -> std::string {
      if (lat.empty()) return "null";
      std::size_t idx = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(lat.size()))) - 1;
      idx = std::min(idx, lat.size() - 1);
      if (lat[idx] == INT64_MAX) return "null";
      char b[32];
      std::snprintf(b, sizeof b, "%.2f", static_cast<double>(lat[idx]) / 1000.0);
      return b;
    };
    std::int64_t max_ok = 0;
    for (auto v : m_latency_us)
      max_ok = std::max(max_ok, v);
    std::printf(
        "{\"label\":\"%s\",\"rate\":%.0f,\"duration_s\":%.1f,\"connections\":%d,\"scheduled\":%llu,"
        "\"sent\":%llu,\"unsent\":%llu,\"ok\":%llu,\"non_2xx\":%llu,\"statuses\":{%s},"
        "\"errors\":%llu,\"in_flight\":%llu,\"ledger_exact\":%s,\"achieved_rps\":%.1f,"
        "\"p50_ms\":%s,\"p90_ms\":%s,\"p99_ms\":%s,\"max_ok_ms\":%.2f,\"elapsed_s\":%.2f,"
        "\"connects\":%llu,\"connect_errors\":%llu,\"gen_cpu_s\":%.3f}\n",
        m_o.label.c_str(), m_o.rate, m_o.duration, m_o.connections,
        static_cast<unsigned long long>(m_total), static_cast<unsigned long long>(m_sent),
        static_cast<unsigned long long>(unsent), static_cast<unsigned long long>(m_ok),
        static_cast<unsigned long long>(non2xx), statuses.c_str(),
        static_cast<unsigned long long>(m_errors), static_cast<unsigned long long>(in_flight),
        exact ? "true" : "false", static_cast<double>(m_ok_in_window) / m_o.duration,
        pct(50).c_str(), pct(90).c_str(), pct(99).c_str(), static_cast<double>(max_ok) / 1000.0,
        elapsed, static_cast<unsigned long long>(m_connects),
        static_cast<unsigned long long>(m_connect_errors), cpu);
    std::fflush(stdout);
  }

  Options m_o;
  int m_ep = -1;
  int m_timer = -1;
  std::vector<Conn> m_conns;
  std::deque<std::uint64_t> m_waiting;
  std::vector<std::int64_t> m_latency_us;
  std::uint64_t m_total = 0, m_next = 0, m_sent = 0, m_ok = 0, m_ok_in_window = 0, m_errors = 0;
  std::uint64_t m_connects = 0, m_connect_errors = 0;
  std::map<int, std::uint64_t> m_statuses;
  std::size_t m_rr = 0;
  Clock::time_point m_start, m_window_end;
};

} // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (o.print_transcript) {
    std::string t = k_transcript;
    for (std::size_t at = 0; (at = t.find("\\n", at)) != std::string::npos;)
      t.replace(at, 2, "\n");
    std::fwrite(t.data(), 1, t.size(), stdout);
    return 0;
  }
  Load load(std::move(o));
  return load.run();
}
