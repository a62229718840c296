#include "transcripts/export.hpp"

#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/input.hpp"
#include "core/output.hpp"
#include "core/sink.hpp"
#include "db/copy.hpp"
#include "db/sql.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace crm::transcripts {
namespace fs = std::filesystem;
namespace {

constexpr const char* k_manifest_format = "crmctl-transcripts-export/1";
constexpr const char* k_journal = ".transcripts-export.journal";
constexpr const char* k_manifest = "manifest.json";

// ---- small text helpers -----------------------------------------------------------------------

void append_number(std::string& out, double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec == std::errc()) out.append(buf, p);
}

std::string duration_text(std::string_view secs) {
  if (secs.empty()) return "";
  long s = std::stol(std::string(secs));
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

// Appends `text` with every line after the first indented by two spaces (the txt format's
// continuation lines; parse_transcript_text removes the indentation again).
void append_indented(std::string& out, std::string_view text) {
  std::size_t pos = 0;
  for (;;) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.append(text.substr(pos));
      return;
    }
    out.append(text.substr(pos, nl + 1 - pos));
    out.append("  ");
    pos = nl + 1;
  }
}

// ---- the rows ---------------------------------------------------------------------------------

// Column positions of the export query.
enum Col : std::size_t {
  c_id,
  c_started, // timestamptz as the server prints it (DateStyle ISO, the tenant's TimeZone)
  c_caller_name,
  c_from,
  c_to,
  c_direction,
  c_duration,
  c_summary,
  c_transcript,
  c_meta
};

// A pool of 1 MB output blocks, so the formatting thread does not allocate (and fault in) a fresh
// one for every block the writer frees.
class BlockPool {
public:
  explicit BlockPool(std::size_t block) : m_block(block) {}
  std::string take() {
    {
      std::lock_guard lock(m_mu);
      if (!m_free.empty()) {
        std::string b = std::move(m_free.back());
        m_free.pop_back();
        return b;
      }
    }
    std::string b;
    b.reserve(m_block + (1 << 16));
    return b;
  }
  void give(std::string&& b) {
    b.clear();
    std::lock_guard lock(m_mu);
    if (m_free.size() < 8) m_free.push_back(std::move(b));
  }

private:
  std::size_t m_block;
  std::mutex m_mu;
  std::vector<std::string> m_free;
};

// Writes blocks into FileSinks and runs the tasks queued between them (committing a finished
// file and journalling it) on a thread of its own, in order, so SHA-256 (a few hundred MB/s
// without SHA instructions), the write calls and the fsyncs of a commit overlap the formatting.
// A sink is the writer's from its first queued block until its commit task has run. After the
// first error nothing more runs (later blocks are dropped, later tasks skipped), so a journal
// never lists a file after one that failed. At most `max_items` items wait; written blocks go
// back to `pool`. Destruction runs what is still queued (or drops it after an error).
class AsyncWriter {
public:
  AsyncWriter(std::size_t max_items, BlockPool& pool) : m_max(max_items), m_pool(pool) {
    m_thread = std::thread([this] { loop(); });
  }
  ~AsyncWriter() {
    {
      std::lock_guard lock(m_mu);
      m_quit = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;
  // Queues a block for `sink` (waits while max_items are pending); the first error so far.
  Status write(std::shared_ptr<FileSink> sink, std::string&& block) {
    return push({std::move(sink), std::move(block), {}});
  }
  // Queues a task that runs after everything queued before it.
  Status then(std::function<Status()> task) { return push({nullptr, {}, std::move(task)}); }
  // Waits until everything queued has run; the first error, if any.
  Status drain() {
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return m_items.empty() && !m_busy; });
    if (m_error) return *m_error;
    return {};
  }

private:
  struct Item {
    std::shared_ptr<FileSink> sink;
    std::string block;
    std::function<Status()> task;
  };
  Status push(Item&& item) {
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return m_items.size() < m_max || m_error; });
    if (m_error) return *m_error;
    m_items.push_back(std::move(item));
    m_cv.notify_all();
    return {};
  }
  void loop() {
    std::unique_lock lock(m_mu);
    for (;;) {
      m_cv.wait(lock, [&] { return !m_items.empty() || m_quit; });
      if (m_items.empty()) return;
      Item item = std::move(m_items.front());
      m_items.pop_front();
      const bool failed = m_error.has_value();
      m_busy = true;
      lock.unlock();
      Status st;
      if (!failed) st = item.task ? item.task() : item.sink->write(item.block);
      if (!item.task) m_pool.give(std::move(item.block));
      item = Item{}; // a sink whose commit never comes is discarded here, by this thread
      lock.lock();
      m_busy = false;
      if (!st && !m_error) m_error = std::move(st).error();
      m_cv.notify_all();
    }
  }
  std::size_t m_max;
  BlockPool& m_pool;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Item> m_items;
  bool m_busy = false, m_quit = false;
  std::optional<Error> m_error;
  std::thread m_thread;
};

// A call's start, from "2026-03-10 10:05:09.123456-04" (or "+05:30", "-04:56:02"): formatted
// here rather than with to_char on the server, which costs the server more than the rest.
struct Started {
  bool known = false;
  std::string_view utc() const { return {m_utc, m_utc_len}; }       // "2026-03-10T14:05:09Z"
  std::string_view local() const { return {m_local, 19}; }           // "2026-03-10 10:05:09"
  std::string_view offset() const { return {m_offset, 6}; }          // "-04:00"
  char m_utc[32] = {}, m_local[20] = {}, m_offset[8] = {};
  std::size_t m_utc_len = 0;
};

long days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

// The inverse of days_from_civil (H. Hinnant's algorithm).
void civil_from_days(long z, long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long>(yoe) + era * 400 + (m <= 2);
}

// "YYYY-MM-DDTHH:MM:SSZ" of seconds since the epoch, as format_rfc3339 writes it.
std::size_t utc_text(long secs, char* out) {
  long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  long rem = secs - days * 86400;
  long y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 1000 || y > 9999) { // rare: leave the padding rules to strftime
    std::string s = format_rfc3339(TimePoint(std::chrono::seconds(secs)));
    std::size_t n = std::min<std::size_t>(s.size(), 31);
    std::memcpy(out, s.data(), n);
    return n;
  }
  auto two = [](char* p, long v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  two(out, y / 100);
  two(out + 2, y % 100);
  out[4] = '-';
  two(out + 5, m);
  out[7] = '-';
  two(out + 8, d);
  out[10] = 'T';
  two(out + 11, rem / 3600);
  out[13] = ':';
  two(out + 14, (rem / 60) % 60);
  out[16] = ':';
  two(out + 17, rem % 60);
  out[19] = 'Z';
  return 20;
}

Started parse_started(std::string_view v) {
  Started st;
  auto num = [&](std::size_t at, std::size_t n, long& out) {
    if (at + n > v.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (v[i] < '0' || v[i] > '9') return false;
      out = out * 10 + (v[i] - '0');
    }
    return true;
  };
  long y, mo, d, h, mi, se;
  if (v.size() < 22 || !num(0, 4, y) || v[4] != '-' || !num(5, 2, mo) || v[7] != '-' ||
      !num(8, 2, d) || v[10] != ' ' || !num(11, 2, h) || v[13] != ':' || !num(14, 2, mi) ||
      v[16] != ':' || !num(17, 2, se))
    return st; // infinity, BC dates, a DateStyle we did not ask for: shown as unknown
  std::size_t i = 19;
  if (i < v.size() && v[i] == '.')
    for (++i; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
    }
  if (i >= v.size() || (v[i] != '+' && v[i] != '-')) return st;
  const int sign = v[i] == '-' ? -1 : 1;
  long oh = 0, om = 0, os = 0;
  if (!num(i + 1, 2, oh)) return st;
  std::size_t j = i + 3;
  if (j < v.size() && v[j] == ':') {
    if (!num(j + 1, 2, om)) return st;
    j += 3;
    if (j < v.size() && v[j] == ':') {
      if (!num(j + 1, 2, os)) return st;
      j += 3;
    }
  }
  if (j != v.size()) return st;
  const long local_secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) *
                              86400 +
                          h * 3600 + mi * 60 + se;
  const long utc_secs = local_secs - sign * (oh * 3600 + om * 60 + os);
  st.m_utc_len = utc_text(utc_secs, st.m_utc);
  std::memcpy(st.m_local, v.data(), 19);
  st.m_offset[0] = sign < 0 ? '-' : '+'; // "-04:00" (oh and om are two digits each)
  st.m_offset[1] = static_cast<char>('0' + oh / 10);
  st.m_offset[2] = static_cast<char>('0' + oh % 10);
  st.m_offset[3] = ':';
  st.m_offset[4] = static_cast<char>('0' + om / 10);
  st.m_offset[5] = static_cast<char>('0' + om % 10);
  st.known = true;
  return st;
}

// Formats calls in one of the three formats, redacting as configured.
class Formatter {
public:
  Formatter(const ExportOptions& o, const tenant::TenantRef& t, std::string tz)
      : m_o(o), m_t(t), m_tz(std::move(tz)),
        m_redact(o.redaction == Redaction::on && o.redactor != nullptr) {
    if (o.redactor) m_counts = o.redactor->zero_counts();
    m_tenant_json = ",\"tenant_id\":";
    append_json_string(m_tenant_json, m_t.id);
    m_tenant_json += ",\"tenant\":";
    append_json_string(m_tenant_json, m_t.slug);
    m_tenant_json += ",\"started_at\":";
    m_tz_json = ",\"timezone\":";
    append_json_string(m_tz_json, m_tz);
  }

  // Redacted (or not) text of a field; valid until the next call.
  std::string_view field(std::string_view text, std::string& scratch) {
    if (!m_redact || text.empty()) return text;
    scratch.clear();
    m_o.redactor->redact_into(text, scratch, &m_counts);
    return scratch;
  }
  // append_json_string(out, field(text)) in one pass: the redaction labels need no escaping.
  void json_field(std::string& out, std::string_view text) {
    out.push_back('"');
    if (!m_redact || text.empty()) {
      append_json_chars(out, text);
      out.push_back('"');
      return;
    }
    m_o.redactor->find_into(text, m_spans);
    std::size_t pos = 0;
    const auto& labels = m_o.redactor->labels();
    for (const auto& sp : m_spans) {
      append_json_chars(out, text.substr(pos, sp.begin - pos));
      out += "[REDACTED:";
      out += labels[sp.label];
      out.push_back(']');
      ++m_counts.by_label[sp.label];
      pos = sp.end;
    }
    append_json_chars(out, text.substr(pos));
    out.push_back('"');
  }
  std::string_view caller_name(std::string_view name) const {
    if (m_o.redaction == Redaction::off || name.empty()) return name;
    return "[REDACTED:name]";
  }

  void txt(std::string& out, const db::CopyRow& r, const Started& st,
           const std::vector<TurnView>& turns) {
    out += "Call ID:  ";
    out += r.text(c_id);
    out += "\nTenant:   ";
    out += m_t.name;
    out += " (";
    out += m_t.slug;
    out += ")\nStarted:  ";
    if (!st.known) {
      out += "unknown";
    } else {
      out += st.local();
      out += ' ';
      out += st.offset();
      out += " (";
      out += m_tz;
      out += ')';
    }
    out += "\nCaller:   ";
    std::string_view name = caller_name(r.text(c_caller_name));
    std::string_view from = field(r.text(c_from), m_scratch);
    out.append(name);
    if (!name.empty() && !from.empty()) out += ' ';
    out.append(from);
    out += "\nDuration: ";
    out += duration_text(r.text(c_duration));
    out += "\nSummary:  ";
    append_indented(out, field(r.text(c_summary), m_scratch));
    out += "\n\n";
    if (turns.empty()) out += "(no transcript)\n";
    for (const auto& turn : turns) {
      out += format_offset(turn.offset_s);
      out += ' ';
      out += role_label(turn.role);
      out += ": ";
      append_indented(out, field(turn.text, m_scratch));
      out += '\n';
    }
  }

  void jsonl(std::string& out, const db::CopyRow& r, const Started& st,
             const std::vector<TurnView>& turns) {
    auto str_or_null = [&](std::string_view key, std::size_t col, bool redact) {
      out += ",\"";
      out += key;
      out += "\":";
      if (r.is_null(col)) {
        out += "null";
      } else if (redact) {
        json_field(out, r.text(col));
      } else {
        out.push_back('"');
        append_json_chars(out, r.text(col));
        out.push_back('"');
      }
    };
    out += "{\"call_id\":\"";
    append_json_chars(out, r.text(c_id));
    out += '"';
    out += m_tenant_json; // tenant_id, tenant and the key of started_at
    if (!st.known) {
      out += "null,\"started_at_local\":null";
    } else {
      out += '"';
      out += st.utc();
      out += "\",\"started_at_local\":\"";
      out += st.local();
      out[out.size() - 9] = 'T'; // "YYYY-MM-DD HH:MM:SS": the space before the time
      out += st.offset();
      out += '"';
    }
    out += m_tz_json;
    str_or_null("direction", c_direction, false);
    out += ",\"caller_name\":";
    if (r.is_null(c_caller_name)) {
      out += "null";
    } else {
      out.push_back('"');
      append_json_chars(out, caller_name(r.text(c_caller_name)));
      out.push_back('"');
    }
    str_or_null("from_number", c_from, true);
    str_or_null("to_number", c_to, false);
    out += ",\"duration_seconds\":";
    if (r.is_null(c_duration))
      out += "null";
    else
      out += r.text(c_duration);
    str_or_null("summary", c_summary, true);
    out += m_o.redaction == Redaction::on ? ",\"redacted\":true,\"turns\":["
                                          : ",\"redacted\":false,\"turns\":[";
    bool first = true;
    for (const auto& turn : turns) {
      out += first ? "{\"role\":\"" : ",{\"role\":\"";
      first = false;
      out += role_name(turn.role);
      out += "\",\"t\":";
      if (turn.offset_s)
        append_number(out, *turn.offset_s);
      else
        out += "null";
      out += ",\"text\":";
      json_field(out, turn.text);
      out += '}';
    }
    out += "]}";
  }

  static std::vector<std::string_view> csv_header() {
    return {"call_id", "started_at", "turn", "t", "role", "text"};
  }
  // One record per turn; returns how many.
  std::size_t csv(std::string& out, const db::CopyRow& r, const Started& st,
                  const std::vector<TurnView>& turns) {
    std::size_t n = 0;
    for (const auto& turn : turns) {
      std::string t;
      if (turn.offset_s) append_number(t, *turn.offset_s);
      std::string_view text = field(turn.text, m_scratch);
      std::string esc;
      if (m_o.stream_is_tty) {
        esc = escape_for_terminal(text);
        text = esc;
      }
      std::string idx = std::to_string(++n);
      append_csv_field(out, r.text(c_id));
      out += ',';
      out += st.utc();
      out += ',';
      out += idx;
      out += ',';
      out += t;
      out += ',';
      out += role_name(turn.role);
      out += ',';
      append_csv_field(out, text);
      out += "\r\n";
    }
    return n;
  }

  RedactionCounts& counts() { return m_counts; }

private:
  const ExportOptions& m_o;
  const tenant::TenantRef& m_t;
  std::string m_tz;
  bool m_redact;
  std::string m_tenant_json, m_tz_json;
  RedactionCounts m_counts;
  std::string m_scratch;
  std::vector<PhiSpan> m_spans;
};

// ---- the journal: what a resumed run needs --------------------------------------------------

// One completed file.
struct Entry {
  std::string file, call_id, sha256;
  std::uint64_t calls = 0, turns = 0, no_transcript = 0, bytes = 0;
  std::string key_t, key_id; // (started_at or -infinity, id) of the file's last call
  std::vector<std::uint64_t> redactions;
};

nlohmann::json entry_json(const Entry& e) {
  nlohmann::json j = {{"file", e.file},       {"calls", e.calls},
                      {"turns", e.turns},     {"no_transcript", e.no_transcript},
                      {"bytes", e.bytes},     {"sha256", e.sha256},
                      {"key_t", e.key_t},     {"key_id", e.key_id},
                      {"redactions", e.redactions}};
  if (!e.call_id.empty()) j["call_id"] = e.call_id;
  return j;
}

std::optional<Entry> entry_of(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("file") || !j.contains("sha256")) return std::nullopt;
  try {
    Entry e;
    e.file = j.at("file").get<std::string>();
    e.call_id = j.value("call_id", "");
    e.sha256 = j.at("sha256").get<std::string>();
    e.calls = j.at("calls").get<std::uint64_t>();
    e.turns = j.at("turns").get<std::uint64_t>();
    e.no_transcript = j.at("no_transcript").get<std::uint64_t>();
    e.bytes = j.at("bytes").get<std::uint64_t>();
    e.key_t = j.at("key_t").get<std::string>();
    e.key_id = j.at("key_id").get<std::string>();
    e.redactions = j.at("redactions").get<std::vector<std::uint64_t>>();
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// A file name the export itself writes (never derived from call data).
bool our_file_name(const std::string& f) {
  if (f.size() == 40 && f.compare(36, 4, ".txt") == 0) return is_uuid(f.substr(0, 36));
  auto part = [&](std::string_view ext) {
    const std::string_view p = "transcripts-";
    if (f.size() != p.size() + 6 + ext.size() || f.compare(0, p.size(), p) != 0) return false;
    for (std::size_t i = p.size(); i < p.size() + 6; ++i)
      if (f[i] < '0' || f[i] > '9') return false;
    return f.compare(p.size() + 6, ext.size(), ext) == 0;
  };
  return part(".jsonl") || part(".csv");
}

class Journal {
public:
  static Result<Journal> open(const fs::path& dir) {
    fs::path p = dir / k_journal;
    int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      return make_error(ErrorKind::usage,
                        "cannot open " + p.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return make_error(ErrorKind::conflict, "another transcripts export is writing to " +
                                                 dir.string() + ": wait for it or use another --out");
    }
    return Journal(p, fd);
  }
  Journal(Journal&& o) noexcept : m_path(std::move(o.m_path)), m_fd(o.m_fd) { o.m_fd = -1; }
  Journal& operator=(Journal&&) = delete;
  Journal(const Journal&) = delete;
  ~Journal() {
    if (m_fd >= 0) ::close(m_fd); // releases the lock
  }
  const fs::path& path() const { return m_path; }
  Status append(const std::string& line) {
    std::string l = line + "\n";
    std::string_view data = l;
    while (!data.empty()) {
      ssize_t n = ::write(m_fd, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorKind::unexpected,
                          "cannot write " + m_path.string() + ": " + std::strerror(errno));
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }
  Status sync() {
    if (::fsync(m_fd) != 0)
      return make_error(ErrorKind::unexpected,
                        "cannot fsync " + m_path.string() + ": " + std::strerror(errno));
    return {};
  }
  Status truncate(std::uint64_t size) {
    if (::ftruncate(m_fd, static_cast<off_t>(size)) != 0)
      return make_error(ErrorKind::unexpected,
                        "cannot truncate " + m_path.string() + ": " + std::strerror(errno));
    return {};
  }

private:
  Journal(fs::path p, int fd) : m_path(std::move(p)), m_fd(fd) {}
  fs::path m_path;
  int m_fd = -1;
};

// What the journal says about earlier runs.
struct JournalState {
  nlohmann::json header; // null when the journal was empty
  bool complete = false;
  std::uint64_t entries = 0, calls = 0, turns = 0, no_transcript = 0, bytes = 0;
  std::vector<std::uint64_t> redactions;
  std::string key_t, key_id; // after which call to continue
};

void add_entry(JournalState& s, const Entry& e) {
  ++s.entries;
  s.calls += e.calls;
  s.turns += e.turns;
  s.no_transcript += e.no_transcript;
  s.bytes += e.bytes;
  if (s.redactions.size() < e.redactions.size()) s.redactions.resize(e.redactions.size(), 0);
  for (std::size_t i = 0; i < e.redactions.size(); ++i)
    s.redactions[i] += e.redactions[i];
  s.key_t = e.key_t;
  s.key_id = e.key_id;
}

// Reads the journal; an entry whose file is missing or of another size ends it there (the
// journal is cut back, and the export resumes before that file).
Result<JournalState> read_journal(Journal& j, const fs::path& dir) {
  JournalState s;
  std::ifstream in(j.path(), std::ios::binary);
  std::string line;
  std::uint64_t offset = 0;
  bool first = true;
  while (std::getline(in, line)) {
    if (in.eof()) break; // a last line without "\n" was cut by a crash: ignore it
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (first) {
      if (doc.is_discarded() || !doc.is_object() || doc.value("format", "") != k_manifest_format)
        return make_error(ErrorKind::conflict,
                          j.path().string() + " is not a transcripts export journal: use an "
                                              "empty --out directory");
      s.header = doc;
      first = false;
      offset += line.size() + 1;
      continue;
    }
    if (!doc.is_discarded() && doc.is_object() && doc.value("complete", false)) {
      s.complete = true;
      break;
    }
    auto e = doc.is_discarded() ? std::nullopt : entry_of(doc);
    std::error_code ec;
    bool intact = e && our_file_name(e->file) && fs::is_regular_file(dir / e->file, ec) &&
                  fs::file_size(dir / e->file, ec) == e->bytes && !ec;
    if (!intact) break;
    add_entry(s, *e);
    offset += line.size() + 1;
  }
  if (!s.complete && !first) CRM_TRY(j.truncate(offset));
  if (first) CRM_TRY(j.truncate(0));
  return s;
}

// Removes temporary files a killed run left behind (".<our file>.<hex>.tmp").
void remove_stale_temps(const fs::path& dir) {
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(dir, ec)) {
    std::string n = de.path().filename().string();
    if (n.size() < 20 || n[0] != '.' || n.compare(n.size() - 4, 4, ".tmp") != 0) continue;
    std::string inner = n.substr(1, n.size() - 1 - 4 - 13); // drop ".", ".<12 hex>", ".tmp"
    if (n[n.size() - 4 - 13] != '.') continue;
    if (our_file_name(inner) || inner == k_manifest) fs::remove(de.path(), ec);
  }
}

nlohmann::json filters_json(const CallFilter& f) {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"call_id", opt(f.call_id)}, {"since", opt(f.since)}, {"until", opt(f.until)}};
}

nlohmann::json counts_json(const std::vector<std::string>& labels,
                           const std::vector<std::uint64_t>& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < labels.size(); ++i)
    j[labels[i]] = i < counts.size() ? counts[i] : 0;
  return j;
}

// The header a journal and a manifest carry: what makes two runs the same export.
nlohmann::json export_header(const ExportOptions& o, const tenant::TenantRef& t,
                             const std::string& as_of) {
  return {{"format", k_manifest_format},
          {"tenant_id", t.id},
          {"export_format", format_name(o.format)},
          {"filters", filters_json(o.filter)},
          {"redaction", o.redaction == Redaction::on ? "on" : "off"},
          {"as_of", as_of}};
}

bool same_export(const nlohmann::json& a, const nlohmann::json& b) {
  for (const char* k : {"tenant_id", "export_format", "filters", "redaction"})
    if (!a.contains(k) || !b.contains(k) || a.at(k) != b.at(k)) return false;
  return true;
}

// Writes manifest.json from the journal (streamed: one entry at a time).
Status write_manifest(const fs::path& dir, const Journal& j, const ExportOptions& o,
                      const tenant::TenantRef& t, const JournalState& s,
                      const std::vector<std::string>& labels, const std::string& tz) {
  nlohmann::json head = {
      {"format", k_manifest_format},
      {"tenant", {{"id", t.id}, {"slug", t.slug}, {"name", t.name}}},
      {"export",
       {{"format", format_name(o.format)},
        {"filters", filters_json(o.filter)},
        {"redaction", o.redaction == Redaction::on ? "on" : "off"},
        {"reason", o.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.reason)},
        {"as_of", s.header.value("as_of", "")},
        {"timezone", tz}}},
      {"exported_at", format_rfc3339(o.now)},
      {"totals",
       {{"calls", s.calls},
        {"turns", s.turns},
        {"calls_without_transcript", s.no_transcript},
        {"files", s.entries},
        {"bytes", s.bytes},
        {"redactions", counts_json(labels, s.redactions)}}}};
  std::string text = head.dump(2);
  text.resize(text.size() - 2); // "\n}"
  text += ",\n  \"files\": [";
  CRM_TRY_ASSIGN(auto sink, FileSink::create((dir / k_manifest).string()));
  CRM_TRY(sink.write(text));
  std::ifstream in(j.path(), std::ios::binary);
  std::string line;
  bool first_line = true, first_entry = true;
  while (std::getline(in, line)) {
    if (first_line) {
      first_line = false;
      continue;
    }
    auto doc = nlohmann::json::parse(line, nullptr, false);
    auto e = doc.is_discarded() ? std::nullopt : entry_of(doc);
    if (!e) continue;
    nlohmann::json f = {{"file", e->file},   {"calls", e->calls},   {"turns", e->turns},
                        {"bytes", e->bytes}, {"sha256", e->sha256}};
    if (!e->call_id.empty()) f["call_id"] = e->call_id;
    CRM_TRY(sink.write((first_entry ? "\n    " : ",\n    ") + f.dump()));
    first_entry = false;
  }
  CRM_TRY(sink.write(first_entry ? "]\n}\n" : "\n  ]\n}\n"));
  return sink.commit();
}

Status check_snapshot_tx(db::TenantTx& tx, const tenant::TenantRef& t) {
  if (tx.org_id() != t.id)
    return make_error(ErrorKind::unexpected, "transcripts export of tenant '" + t.slug +
                                                 "' through a transaction scoped to tenant " +
                                                 tx.org_id());
  CRM_TRY_ASSIGN(auto r, tx.exec("SELECT current_setting('transaction_isolation') AS iso"));
  const std::string iso = r.get(0, "iso");
  if (iso != "repeatable read" && iso != "serializable")
    return make_error(ErrorKind::unexpected,
                      "transcripts export needs one snapshot but runs in a " + iso +
                          " transaction: open it REPEATABLE READ READ ONLY");
  return {};
}

std::string part_name(std::uint64_t n, Format f) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "transcripts-%06llu.%s", static_cast<unsigned long long>(n),
                f == Format::csv ? "csv" : "jsonl");
  return buf;
}

// Escapes a chunk for a terminal: every line's content, keeping the line breaks.
std::string for_terminal(std::string_view chunk, Format f) {
  if (f == Format::jsonl) return escape_for_terminal(chunk, EscapeSet::unicode_controls);
  if (f == Format::csv) return std::string(chunk); // fields were escaped one by one
  std::string out;
  std::size_t pos = 0;
  while (pos < chunk.size()) {
    std::size_t nl = chunk.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? chunk.size() : nl;
    out += escape_for_terminal(chunk.substr(pos, end - pos));
    if (nl == std::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

// Validates the filter and sets the transaction's TimeZone to the tenant's: the timezone.
Result<std::string> prepare(db::TenantTx& tx, const tenant::TenantRef& t, const CallFilter& f) {
  if (!f.call_id.empty() && !is_uuid(f.call_id))
    return make_error(ErrorKind::usage,
                      "--call must be a call UUID, not '" + excerpt(f.call_id) + "'");
  if (!f.since.empty()) CRM_TRY(check_timestamp(f.since, "--since"));
  if (!f.until.empty()) CRM_TRY(check_timestamp(f.until, "--until"));
  // The tenant's timezone for started_at and for --since/--until without an offset.
  CRM_TRY_ASSIGN(auto org, tx.exec("SELECT coalesce(timezone, 'UTC') AS tz FROM organizations "
                                   "WHERE id = $1::uuid",
                                   {t.id}));
  const std::string tz = org.empty() ? "UTC" : org.get(0, "tz");
  // Timestamps print as ISO in the tenant's timezone whatever the server's defaults are.
  CRM_TRY(tx.exec("SELECT set_config('TimeZone', $1, true), set_config('DateStyle', 'ISO, YMD', "
                  "true)",
                  {tz}));
  if (!f.call_id.empty()) {
    CRM_TRY_ASSIGN(auto one, tx.exec("SELECT 1 AS x FROM " + tenant::table_of(t, "calls") +
                                         " WHERE id = $1::uuid",
                                     {f.call_id}));
    if (one.empty())
      return make_error(ErrorKind::not_found,
                        "call " + f.call_id + " not found in tenant '" + t.slug + "'");
  }
  return tz;
}

// The WHERE clause of the filter (parameters appended to `params`).
std::string where_of(const CallFilter& f, db::Params& params) {
  auto bind = [&](const std::string& v) {
    params.push_back(v);
    return "$" + std::to_string(params.size());
  };
  std::string where = "true";
  if (!f.call_id.empty()) where += " AND c.id = " + bind(f.call_id) + "::uuid";
  if (!f.since.empty()) where += " AND c.started_at >= " + bind(f.since) + "::timestamptz";
  if (!f.until.empty()) where += " AND c.started_at < " + bind(f.until) + "::timestamptz";
  return where;
}

} // namespace

Result<std::uint64_t> count_calls(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const CallFilter& f) {
  CRM_TRY(prepare(tx, t, f));
  db::Params params;
  std::string where = where_of(f, params);
  CRM_TRY_ASSIGN(auto n, tx.exec("SELECT count(*) AS n FROM " + tenant::table_of(t, "calls") +
                                     " c WHERE " + where,
                                 params));
  return static_cast<std::uint64_t>(std::stoull(n.get(0, "n")));
}

Result<Format> parse_format(std::string_view s) {
  if (s == "txt") return Format::txt;
  if (s == "jsonl") return Format::jsonl;
  if (s == "csv") return Format::csv;
  return make_error(ErrorKind::usage,
                    "--format must be txt, jsonl or csv, not '" + std::string(s) + "'");
}

const char* format_name(Format f) {
  switch (f) {
  case Format::txt:
    return "txt";
  case Format::csv:
    return "csv";
  case Format::jsonl:
    break;
  }
  return "jsonl";
}

Status check_timestamp(std::string_view v, const std::string& flag) {
  auto bad = [&]() -> Status {
    return make_error(ErrorKind::usage,
                      flag + " must be a date or date-time like 2026-01-25, 2026-01-25T09:00 or "
                             "2026-01-25T09:00:00Z, not '" +
                          std::string(v.substr(0, 40)) + "'");
  };
  auto digits = [&](std::size_t at, std::size_t n) {
    if (at + n > v.size()) return false;
    for (std::size_t i = at; i < at + n; ++i)
      if (v[i] < '0' || v[i] > '9') return false;
    return true;
  };
  if (!digits(0, 4) || v.size() < 10 || v[4] != '-' || !digits(5, 2) || v[7] != '-' ||
      !digits(8, 2))
    return bad();
  int month = (v[5] - '0') * 10 + (v[6] - '0'), day = (v[8] - '0') * 10 + (v[9] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return bad();
  std::size_t i = 10;
  if (i == v.size()) return {};
  if (v[i] != 'T' && v[i] != ' ') return bad();
  ++i;
  if (!digits(i, 2) || i + 2 >= v.size() || v[i + 2] != ':' || !digits(i + 3, 2)) return bad();
  if ((v[i] - '0') * 10 + (v[i + 1] - '0') > 23 || (v[i + 3] - '0') * 10 + (v[i + 4] - '0') > 59)
    return bad();
  i += 5;
  if (i < v.size() && v[i] == ':') {
    if (!digits(i + 1, 2) || (v[i + 1] - '0') * 10 + (v[i + 2] - '0') > 60) return bad();
    i += 3;
    if (i < v.size() && v[i] == '.') {
      ++i;
      std::size_t f = i;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9')
        ++i;
      if (i == f || i - f > 6) return bad();
    }
  }
  if (i == v.size()) return {};
  if (v[i] == 'Z' && i + 1 == v.size()) return {};
  if ((v[i] == '+' || v[i] == '-') && digits(i + 1, 2) && i + 6 == v.size() && v[i + 3] == ':' &&
      digits(i + 4, 2))
    return {};
  return bad();
}

std::string progress_line(std::uint64_t done, std::uint64_t total,
                          std::chrono::milliseconds elapsed) {
  constexpr std::uint64_t k_width = 24;
  std::uint64_t fill = total ? std::min<std::uint64_t>(k_width, done * k_width / total) : 0;
  std::string bar(fill, '#');
  bar += std::string(k_width - fill, '.');
  long long ms = std::max<long long>(1, elapsed.count());
  std::uint64_t rate = done * 1000 / static_cast<std::uint64_t>(ms);
  std::string eta = "--";
  if (total && done >= total)
    eta = "0s";
  else if (total && rate > 0)
    eta = std::to_string((total - done) / rate) + "s";
  std::string line = "export [" + bar + "] " + std::to_string(done);
  if (total) line += "/" + std::to_string(total);
  line += " calls " + std::to_string(rate) + " calls/s ETA " + eta;
  return line;
}

Result<ExportResult> export_transcripts(db::TenantTx& tx, const tenant::TenantRef& t,
                                        const ExportOptions& o) {
  if (o.calls_per_file == 0)
    return make_error(ErrorKind::unexpected, "export calls per file must be > 0");
  if (o.redaction == Redaction::on && !o.redactor)
    return make_error(ErrorKind::unexpected, "redaction is on but no redactor was given");
  if (o.out_dir.empty() && !o.stream)
    return make_error(ErrorKind::unexpected, "transcripts export needs a directory or a stream");
  CRM_TRY(check_snapshot_tx(tx, t));
  CRM_TRY_ASSIGN(const std::string tz, prepare(tx, t, o.filter));
  const std::string calls = tenant::table_of(t, "calls");

  ExportResult res;
  res.timezone = tz;
  res.labels = o.redactor ? o.redactor->labels() : std::vector<std::string>{};
  CRM_TRY_ASSIGN(auto nowr, tx.exec("SELECT now()::text AS n"));
  std::string as_of = nowr.get(0, "n");

  // The directory, its lock and what earlier runs finished.
  const fs::path dir(o.out_dir);
  std::optional<Journal> journal;
  JournalState prior;
  if (!o.out_dir.empty()) {
    CRM_TRY(make_private_dirs(o.out_dir));
    CRM_TRY_ASSIGN(auto j, Journal::open(dir));
    journal.emplace(std::move(j));
    CRM_TRY_ASSIGN(prior, read_journal(*journal, dir));
    if (prior.header.is_null()) {
      std::error_code ec;
      if (fs::exists(dir / k_manifest, ec))
        return make_error(ErrorKind::conflict,
                          o.out_dir + " holds an export without its journal: use an empty "
                                      "--out directory");
      CRM_TRY(journal->append(export_header(o, t, as_of).dump()));
      CRM_TRY(journal->sync());
    } else {
      if (!same_export(prior.header, export_header(o, t, as_of)))
        return make_error(ErrorKind::conflict,
                          o.out_dir + " holds a different transcripts export (tenant, format, "
                                      "filters or redaction differ): use another --out directory");
      as_of = prior.header.value("as_of", as_of);
      res.resumed = prior.entries > 0 || prior.complete;
    }
    remove_stale_temps(dir);
  }
  if (prior.header.is_null()) prior.header = export_header(o, t, as_of);
  res.as_of = as_of;

  auto finish = [&](const JournalState& s) -> Result<ExportResult> {
    res.calls = s.calls;
    res.turns = s.turns;
    res.no_transcript = s.no_transcript;
    res.files = s.entries;
    res.bytes = s.bytes;
    res.redactions.by_label = s.redactions;
    res.redactions.by_label.resize(res.labels.size(), 0);
    if (journal) {
      std::error_code ec;
      if (!s.complete || !fs::exists(dir / k_manifest, ec)) {
        if (!s.complete) {
          CRM_TRY(journal->append(R"({"complete":true})"));
          CRM_TRY(journal->sync());
        }
        CRM_TRY(write_manifest(dir, *journal, o, t, s, res.labels, tz));
      }
      res.manifest = (dir / k_manifest).string();
    }
    return res;
  };
  if (prior.complete) {
    res.calls_skipped = prior.calls;
    return finish(prior);
  }
  res.calls_skipped = prior.calls;

  // The query: the filters, the creation cut and, when resuming, after the last exported call.
  db::Params params;
  std::string where = where_of(o.filter, params);
  params.push_back(as_of);
  where += " AND c.created_at <= $" + std::to_string(params.size()) + "::timestamptz";
  auto bind = [&](const std::string& v) {
    params.push_back(v);
    return "$" + std::to_string(params.size());
  };
  std::uint64_t total = 0;
  if (o.count_first) {
    CRM_TRY_ASSIGN(auto n, tx.exec("SELECT count(*) AS n FROM " + calls + " c WHERE " + where,
                                   params));
    total = std::stoull(n.get(0, "n"));
  }
  // Resuming: after the last exported call in (started_at NULLS LAST, id) order — the order the
  // (org_id, started_at) index gives, so the server streams instead of sorting everything first.
  if (!prior.key_id.empty()) {
    if (prior.key_t.empty()) {
      where += " AND c.started_at IS NULL AND c.id > " + bind(prior.key_id) + "::uuid";
    } else {
      std::string kt = bind(prior.key_t), kid = bind(prior.key_id);
      where += " AND (c.started_at > " + kt + "::timestamptz OR (c.started_at = " + kt +
               "::timestamptz AND c.id > " + kid + "::uuid) OR c.started_at IS NULL)";
    }
  }
  const std::string sql =
      "SELECT c.id::text, c.started_at::text, c.caller_name::text, c.from_number::text, "
      "c.to_number::text, c.direction::text, c.duration_seconds::text, c.summary::text, "
      "c.transcript::text, "
      "CASE WHEN c.metadata ?| array['turns', 'transcript', 'artifact'] THEN "
      "jsonb_strip_nulls(jsonb_build_object('turns', c.metadata->'turns', 'transcript', "
      "CASE WHEN jsonb_typeof(c.metadata->'transcript') = 'array' THEN c.metadata->'transcript' "
      "END, 'artifact', CASE WHEN jsonb_typeof(c.metadata->'artifact'->'messages') = 'array' "
      "THEN jsonb_build_object('messages', c.metadata->'artifact'->'messages') END))::text "
      "ELSE '' END FROM " +
      calls + " c WHERE " + where + " ORDER BY c.started_at, c.id";

  Formatter fmt(o, t, tz);
  JournalState state = prior;
  std::uint64_t done = prior.calls;
  std::string buf; // to a stream: one call at a time
  buf.reserve(1 << 16);

  // The open part (jsonl/csv) or per-call file (txt). Calls are formatted straight into 1 MB
  // blocks that the writer thread hashes and writes, and hands back for reuse; the committer
  // thread commits each finished file and appends its journal entry (`journal`, `state` and
  // `res.files_written` are the committer's until both are drained).
  constexpr std::size_t k_block = 1 << 20;
  BlockPool pool(k_block);
  std::shared_ptr<FileSink> sink;
  // Two threads: the writer hashes and writes blocks; the committer syncs, renames and journals
  // finished files in order, so a file's fsync does not stop the hashing of the next one.
  // (Declared first: the writer queues into it until it is destroyed.)
  std::optional<AsyncWriter> committer;
  std::optional<AsyncWriter> writer;
  if (journal) {
    committer.emplace(64, pool);
    writer.emplace(16, pool);
  }
  std::string block;
  Entry cur;
  RedactionCounts before = fmt.counts();
  auto open_file = [&](const std::string& name) -> Status {
    CRM_TRY_ASSIGN(auto s, FileSink::create((dir / name).string()));
    sink = std::make_shared<FileSink>(std::move(s));
    block = pool.take();
    cur = Entry{};
    cur.file = name;
    before = fmt.counts();
    if (o.format == Format::csv) {
      std::string head;
      for (auto h : Formatter::csv_header()) {
        if (!head.empty()) head += ',';
        head.append(h);
      }
      head += "\r\n";
      block += head;
    }
    return {};
  };
  auto close_file = [&]() -> Status {
    if (!block.empty()) {
      CRM_TRY(writer->write(sink, std::move(block)));
    } else {
      pool.give(std::move(block));
    }
    block = std::string();
    const auto& now_counts = fmt.counts().by_label;
    cur.redactions.assign(res.labels.size(), 0);
    for (std::size_t i = 0; i < res.labels.size() && i < now_counts.size(); ++i)
      cur.redactions[i] = now_counts[i] - (i < before.by_label.size() ? before.by_label[i] : 0);
    auto commit_file = [&, file = std::move(sink), e = cur]() mutable -> Status {
      CRM_TRY(file->commit());
      e.bytes = file->bytes();
      e.sha256 = file->sha256_hex();
      CRM_TRY(journal->append(entry_json(e).dump()));
      add_entry(state, e);
      ++res.files_written;
      return {};
    };
    CRM_TRY(writer->then([&, task = std::move(commit_file)]() mutable {
      return committer->then(std::move(task));
    }));
    sink.reset();
    return {};
  };
  std::string pending; // calls for a stream that is not a terminal, written 1 MB at a time
  auto emit_stream = [&](const std::string& chunk) -> Status {
    if (o.stream_is_tty) {
      std::string esc = for_terminal(chunk, o.format);
      o.stream->write(esc.data(), static_cast<std::streamsize>(esc.size()));
    } else {
      o.stream->write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
    state.bytes += chunk.size();
    if (!*o.stream) return make_error(ErrorKind::unexpected, "cannot write the export to stdout");
    return {};
  };
  auto flush_stream = [&]() -> Status {
    if (pending.empty()) return {};
    CRM_TRY(emit_stream(pending));
    pending.clear();
    return {};
  };
  if (!journal && !o.stream_is_tty) pending.reserve(k_block + (k_block >> 2));

  std::uint64_t part = prior.entries; // parts are numbered on from earlier runs
  std::uint64_t in_part = 0;
  if (!journal && o.format == Format::csv) {
    const std::string head = "call_id,started_at,turn,t,role,text\r\n";
    CRM_TRY(emit_stream(head));
  }
  if (o.on_progress) CRM_TRY(o.on_progress(done, total));

  TurnBuffer turn_buf;
  auto on_call = [&](const db::CopyRow& r) -> Status {
    call_turns_into(r.text(c_transcript), r.text(c_meta), turn_buf);
    const auto& turns = turn_buf.turns();
    const Started started = parse_started(r.text(c_started));
    if (journal) {
      if (o.format == Format::txt) {
        CRM_TRY(open_file(std::string(r.text(c_id)) + ".txt"));
        cur.call_id = r.text(c_id);
      } else if (!sink) {
        CRM_TRY(open_file(part_name(++part, o.format)));
        in_part = 0;
      }
    }
    // To a stream: a terminal gets each call escaped on its own; a pipe or file gets the calls
    // gathered into 1 MB writes (one write per call cost more than the formatting).
    std::string& out = sink ? block : o.stream_is_tty ? buf : pending;
    if (!sink) buf.clear();
    const std::size_t rows = turns.size();
    switch (o.format) {
    case Format::txt:
      fmt.txt(out, r, started, turns);
      if (!journal) out += '\n';
      break;
    case Format::jsonl:
      fmt.jsonl(out, r, started, turns);
      out += '\n';
      break;
    case Format::csv:
      fmt.csv(out, r, started, turns);
      break;
    }
    if (sink) {
      if (block.size() >= k_block) {
        CRM_TRY(writer->write(sink, std::move(block)));
        block = pool.take();
      }
      cur.calls += 1;
      cur.turns += rows;
      cur.no_transcript += turns.empty() ? 1 : 0;
      cur.key_t = r.text(c_started);
      cur.key_id = r.text(c_id);
      ++in_part;
      if (o.format == Format::txt || in_part >= o.calls_per_file) CRM_TRY(close_file());
    } else {
      if (o.stream_is_tty)
        CRM_TRY(emit_stream(buf));
      else if (pending.size() >= k_block)
        CRM_TRY(flush_stream());
      state.calls += 1;
      state.turns += rows;
      state.no_transcript += turns.empty() ? 1 : 0;
    }
    ++done;
    if (o.on_progress && done % 250 == 0) {
      // What a stream has been given is written before the progress callback can stop the
      // export (Ctrl-C): "interrupted after N calls" means N calls reached stdout.
      CRM_TRY(flush_stream());
      CRM_TRY(o.on_progress(done, total));
    }
    return {};
  };
  // Binary COPY of text columns (every column is cast above): the server sends the bytes
  // without COPY's escaping and nothing needs decoding here.
  auto streamed = db::copy_out(tx, sql, params, on_call, db::CopyFormat::binary);
  if (!streamed) {
    if (!pending.empty()) (void)flush_stream(); // the whole calls formatted before the failure
    return std::move(streamed).error().with_context("exporting transcripts");
  }
  CRM_TRY(flush_stream());
  if (sink) CRM_TRY(close_file());
  if (writer) {
    CRM_TRY(writer->drain());
    CRM_TRY(committer->drain());
  }
  if (o.on_progress) CRM_TRY(o.on_progress(done, total));
  if (!journal) {
    o.stream->flush();
    state.redactions = fmt.counts().by_label;
    state.redactions.resize(res.labels.size(), 0);
  }
  state.complete = false;
  return finish(state);
}

nlohmann::json audit_arguments(const ExportOptions& o, const ExportResult& r,
                               const std::string& out) {
  nlohmann::json j = {{"format", format_name(o.format)},
                      {"filters", filters_json(o.filter)},
                      {"redaction", o.redaction == Redaction::on ? "on" : "off"},
                      {"out", out},
                      {"calls", r.calls},
                      {"turns", r.turns},
                      {"calls_without_transcript", r.no_transcript},
                      {"files", r.files},
                      {"files_written", r.files_written},
                      {"calls_skipped", r.calls_skipped},
                      {"resumed", r.resumed},
                      {"as_of", r.as_of},
                      {"redactions", counts_json(r.labels, r.redactions.by_label)}};
  if (o.redaction == Redaction::off) j["reason"] = o.reason;
  return j;
}

} // namespace crm::transcripts
