#include "transcripts/turns.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>

namespace crm::transcripts {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != b[i]) return false;
  return true;
}

// A provider's role word; nullopt for roles that are not speech (system, tool, function).
std::optional<Role> role_of_word(std::string_view w) {
  static constexpr std::array<std::string_view, 5> k_agent = {"agent", "ai", "assistant", "bot",
                                                              "bot_message"};
  static constexpr std::array<std::string_view, 4> k_caller = {"caller", "user", "customer",
                                                               "human"};
  for (auto a : k_agent)
    if (iequals(w, a)) return Role::agent;
  for (auto c : k_caller)
    if (iequals(w, c)) return Role::caller;
  return std::nullopt;
}

// The label words of free-text transcripts (a subset: "human"/"bot_message" are not labels).
std::optional<Role> role_of_label(std::string_view w) {
  static constexpr std::array<std::string_view, 4> k_agent = {"ai", "agent", "assistant", "bot"};
  static constexpr std::array<std::string_view, 3> k_caller = {"user", "caller", "customer"};
  for (auto a : k_agent)
    if (iequals(w, a)) return Role::agent;
  for (auto c : k_caller)
    if (iequals(w, c)) return Role::caller;
  return std::nullopt;
}

std::optional<double> number_at(const nlohmann::json& item, const char* key) {
  auto it = item.find(key);
  if (it == item.end() || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

const std::string* string_at(const nlohmann::json& item, const char* key) {
  auto it = item.find(key);
  if (it == item.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// Turns from a JSON array of items; empty when `arr` is not a usable array.
std::vector<Turn> from_items(const nlohmann::json* arr, std::initializer_list<const char*> text_keys,
                             std::initializer_list<const char*> time_keys) {
  std::vector<Turn> out;
  if (!arr || !arr->is_array()) return out;
  for (const auto& item : *arr) {
    if (!item.is_object()) continue;
    const std::string* role = string_at(item, "role");
    if (!role) continue;
    auto r = role_of_word(*role);
    if (!r) continue;
    const std::string* text = nullptr;
    for (const char* k : text_keys)
      if ((text = string_at(item, k))) break;
    if (!text || text->empty()) continue;
    std::optional<double> t;
    for (const char* k : time_keys)
      if ((t = number_at(item, k))) break;
    out.push_back({*r, t, *text});
  }
  return out;
}

const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// "[mm:ss] " or "[h:mm:ss] " at the start of `line`: the offset and the length consumed;
// "[--:--] " (the txt export's unknown time) gives an empty offset.
std::optional<std::pair<std::optional<double>, std::size_t>> time_prefix(std::string_view line) {
  if (line.size() < 7 || line[0] != '[') return std::nullopt;
  if (line.substr(0, 7) == "[--:--]")
    return std::make_pair(std::optional<double>(), line.size() > 7 && line[7] == ' ' ? 8 : 7);
  std::array<long, 3> parts{};
  std::size_t n = 0, i = 1;
  while (i < line.size() && n < 3) {
    std::size_t start = i;
    long v = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9' && i - start < 6)
      v = v * 10 + (line[i++] - '0');
    if (i == start) return std::nullopt;
    if (n > 0 && i - start != 2) return std::nullopt; // seconds and minutes after the first: 2
    parts[n++] = v;
    if (i < line.size() && line[i] == ':') {
      ++i;
      continue;
    }
    break;
  }
  if (i >= line.size() || line[i] != ']' || n < 2) return std::nullopt;
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  double secs = n == 2 ? static_cast<double>(parts[0] * 60 + parts[1])
                       : static_cast<double>(parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return std::make_pair(std::optional<double>(secs), i);
}

} // namespace

const char* role_name(Role r) {
  switch (r) {
  case Role::agent:
    return "agent";
  case Role::caller:
    return "caller";
  case Role::unknown:
    break;
  }
  return "unknown";
}

const char* role_label(Role r) {
  switch (r) {
  case Role::agent:
    return "Agent";
  case Role::caller:
    return "Caller";
  case Role::unknown:
    break;
  }
  return "Unknown";
}

void parse_transcript_into(std::string_view text, TurnBuffer& out) {
  auto& turns = out.m_turns;
  auto& joined = out.m_joined;
  turns.clear();
  joined.clear();
  // Joined texts never outgrow the transcript (each is at most its lines' span), so with this
  // capacity `joined` never reallocates and views into it stay valid.
  joined.reserve(text.size());
  bool open = false;           // a turn is open for continuation lines
  bool last_joined = false;    // the open turn's text lives in `joined` (at its end)
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;

    // A labelled line: optional time, a label word, a colon, one optional space.
    std::optional<double> t;
    std::string_view rest = line;
    if (auto tp = time_prefix(line)) {
      t = tp->first;
      rest = line.substr(tp->second);
    }
    std::size_t colon = rest.find(':');
    if (colon != std::string_view::npos && colon > 0 && colon <= 9) {
      if (auto r = role_of_label(rest.substr(0, colon))) {
        std::string_view body = rest.substr(colon + 1);
        if (!body.empty() && body.front() == ' ') body.remove_prefix(1);
        turns.push_back({*r, t, body});
        open = true;
        last_joined = false;
        continue;
      }
    }
    // A continuation line (indentation of the txt export removed).
    std::string_view cont = line;
    for (int k = 0; k < 2 && !cont.empty() && cont.front() == ' '; ++k)
      cont.remove_prefix(1);
    if (!open) {
      turns.push_back({Role::unknown, std::nullopt, cont});
      open = true;
      last_joined = false;
      continue;
    }
    std::string_view& prev = turns.back().text;
    if (!last_joined && !prev.empty() && prev.data() + prev.size() + 1 == cont.data() &&
        prev.data()[prev.size()] == '\n') {
      prev = std::string_view(prev.data(), prev.size() + 1 + cont.size()); // contiguous
      continue;
    }
    if (!last_joined) { // move the turn's text to the end of `joined`
      const std::size_t at = joined.size();
      joined.append(prev);
      prev = std::string_view(joined.data() + at, prev.size());
      last_joined = true;
    }
    joined += '\n';
    joined.append(cont);
    prev = std::string_view(prev.data(), prev.size() + 1 + cont.size());
  }
  std::erase_if(turns, [](const TurnView& v) { return v.text.empty(); });
}

std::vector<Turn> parse_transcript_text(std::string_view text) {
  TurnBuffer buf;
  parse_transcript_into(text, buf);
  std::vector<Turn> out;
  out.reserve(buf.turns().size());
  for (const auto& v : buf.turns())
    out.push_back({v.role, v.offset_s, std::string(v.text)});
  return out;
}

namespace {
// Turns from metadata JSON (empty when it has none usable).
std::vector<Turn> metadata_turns(std::string_view metadata_json) {
  // Only parse metadata that can hold one of the keys read below.
  if (metadata_json.size() > 2 && (metadata_json.find("\"turns\"") != std::string_view::npos ||
                                   metadata_json.find("\"transcript\"") != std::string_view::npos ||
                                   metadata_json.find("\"messages\"") != std::string_view::npos)) {
    auto meta = nlohmann::json::parse(metadata_json, nullptr, false);
    if (!meta.is_discarded() && meta.is_object()) {
      if (auto t = from_items(member(meta, "turns"), {"text", "message"}, {"t", "offset"});
          !t.empty())
        return t;
      if (auto t = from_items(member(meta, "transcript"), {"message", "text"},
                              {"time_in_call_secs"});
          !t.empty())
        return t;
      if (const auto* art = member(meta, "artifact"))
        if (auto t = from_items(member(*art, "messages"), {"message", "content"},
                                {"secondsFromStart"});
            !t.empty())
          return t;
    }
  }
  return {};
}
} // namespace

std::vector<Turn> call_turns(std::string_view transcript, std::string_view metadata_json) {
  if (auto t = metadata_turns(metadata_json); !t.empty()) return t;
  return parse_transcript_text(transcript);
}

void call_turns_into(std::string_view transcript, std::string_view metadata_json,
                     TurnBuffer& out) {
  out.m_owned = metadata_turns(metadata_json);
  if (out.m_owned.empty()) {
    parse_transcript_into(transcript, out);
    return;
  }
  out.m_turns.clear();
  for (const auto& t : out.m_owned)
    out.m_turns.push_back({t.role, t.offset_s, t.text});
}

std::string format_offset(std::optional<double> offset_s) {
  if (!offset_s) return "[--:--]";
  long total = static_cast<long>(std::floor(*offset_s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%02ld:%02ld]", total / 60, total % 60);
  return buf;
}

} // namespace crm::transcripts
