#include "billing/calls.hpp"

#include "core/csv.hpp"
#include "core/e164.hpp"
#include "core/input.hpp"
#include "core/json_exact.hpp"
#include "core/output.hpp"
#include "core/rfc3339.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace crm::billing {

namespace {

const std::vector<std::string>& known_fields() {
  static const std::vector<std::string> k{
      "provider",    "external_call_id", "call_type",        "direction",     "from_number",
      "to_number",   "caller_name",      "started_at",       "ended_at",      "duration_seconds",
      "cost",        "transcript",       "summary",          "recording_url"};
  return k;
}

// One row's raw fields (name -> text; absent = not given).
using RawRow = std::map<std::string, std::string>;

void validate(const RawRow& raw, std::size_t line, ParsedCalls& out) {
  CallInput c;
  c.line = line;
  std::vector<std::string> problems;
  auto get = [&](const std::string& k) {
    auto it = raw.find(k);
    return it == raw.end() ? std::string() : it->second;
  };
  auto text = [&](const std::string& k, std::size_t max, LineBreaks br) {
    std::string v = get(k);
    if (auto ok = check_text(v, TextRule(k, max, br)); !ok) {
      problems.push_back(ok.error().message);
      return std::string();
    }
    return v;
  };
  for (const auto& [k, v] : raw)
    if (std::find(known_fields().begin(), known_fields().end(), k) == known_fields().end())
      problems.push_back("unknown field '" + escape_for_terminal(excerpt(k)) +
                         "' (fields: " + join(known_fields()) + ")");
  c.provider = trim(text("provider", 32, LineBreaks::refused));
  if (c.provider.empty())
    problems.push_back("provider: required (vapi, elevenlabs, retell, twilio, ...)");
  else if (!std::all_of(c.provider.begin(), c.provider.end(), [](char ch) {
             return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
           }))
    problems.push_back("provider: '" + escape_for_terminal(c.provider) +
                       "' must be lowercase letters, digits, '-' or '_'");
  c.external_call_id = trim(text("external_call_id", 200, LineBreaks::refused));
  if (c.external_call_id.empty()) problems.push_back("external_call_id: required");
  std::string type = to_lower(trim(get("call_type")));
  if (!type.empty()) c.call_type = type;
  if (c.call_type != "phone" && c.call_type != "web" && c.call_type != "test")
    problems.push_back("call_type: '" + escape_for_terminal(excerpt(type)) +
                       "' is not phone, web or test");
  c.direction = to_lower(trim(get("direction")));
  if (!c.direction.empty() && c.direction != "inbound" && c.direction != "outbound")
    problems.push_back("direction: '" + escape_for_terminal(excerpt(c.direction)) +
                       "' is not inbound or outbound");
  for (auto* f : {&c.from_number, &c.to_number}) {
    const std::string k = f == &c.from_number ? "from_number" : "to_number";
    *f = trim(get(k));
    if (!f->empty() && !is_e164(*f))
      problems.push_back(k + ": '" + escape_for_terminal(excerpt(*f)) +
                         "' is not an E.164 number (+15551234567)");
  }
  c.caller_name = trim(text("caller_name", 200, LineBreaks::refused));
  c.started_at = trim(get("started_at"));
  auto start = parse_rfc3339(c.started_at);
  if (c.started_at.empty())
    problems.push_back("started_at: required (RFC 3339, e.g. 2026-11-03T09:15:00Z)");
  else if (!start)
    problems.push_back("started_at: '" + escape_for_terminal(excerpt(c.started_at)) +
                       "' is not an RFC 3339 time with offset (2026-11-03T09:15:00Z)");
  c.ended_at = trim(get("ended_at"));
  std::optional<long long> end;
  if (!c.ended_at.empty()) {
    end = parse_rfc3339(c.ended_at);
    if (!end)
      problems.push_back("ended_at: '" + escape_for_terminal(excerpt(c.ended_at)) +
                         "' is not an RFC 3339 time with offset");
    else if (start && *end < *start)
      problems.push_back("ended_at: before started_at");
  }
  std::string dur = trim(get("duration_seconds"));
  if (!dur.empty()) {
    bool ok = dur.size() <= 9 && std::all_of(dur.begin(), dur.end(), [](char ch) {
      return ch >= '0' && ch <= '9';
    });
    if (!ok || std::stoll(dur) > 7 * 86400)
      problems.push_back("duration_seconds: '" + escape_for_terminal(excerpt(dur)) +
                         "' is not a whole number of seconds between 0 and 604800");
    else
      c.duration_seconds = std::stoll(dur);
  } else if (start && end && *end >= *start) {
    c.duration_seconds = *end - *start;
  } else if (!c.started_at.empty() && c.ended_at.empty()) {
    problems.push_back("give ended_at or duration_seconds");
  }
  std::string cost = trim(get("cost"));
  if (!cost.empty()) {
    auto d = Decimal::parse(cost, {14, 18});
    if (!d)
      problems.push_back("cost: " + d.error().message);
    else if (d->is_negative())
      problems.push_back("cost: '" + escape_for_terminal(excerpt(cost)) + "' is negative");
    else
      c.cost = *d;
  }
  c.transcript = text("transcript", 1000000, LineBreaks::allowed);
  c.summary = text("summary", 20000, LineBreaks::allowed);
  c.recording_url = trim(text("recording_url", 2048, LineBreaks::refused));
  if (!c.recording_url.empty() &&
      !(c.recording_url.rfind("https://", 0) == 0 || c.recording_url.rfind("http://", 0) == 0))
    problems.push_back("recording_url: must be an http(s) URL");
  if (!problems.empty()) {
    for (const auto& p : problems)
      out.errors.push_back({line, p});
    return;
  }
  out.rows.push_back(std::move(c));
}

// A JSON value as a field's text; objects and arrays are refused.
std::optional<std::string> field_text(const nlohmann::json& v) {
  if (v.is_null()) return std::string();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  return std::nullopt;
}

} // namespace

Result<CallFormat> call_format_of(const std::string& path, const std::string& flag) {
  if (flag == "jsonl") return CallFormat::jsonl;
  if (flag == "csv") return CallFormat::csv;
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return path.size() >= e.size() && to_lower(path.substr(path.size() - e.size())) == e;
  };
  if (ends(".jsonl") || ends(".ndjson") || ends(".json")) return CallFormat::jsonl;
  if (ends(".csv")) return CallFormat::csv;
  return make_error(ErrorKind::usage, "cannot tell the format of '" + escape_for_terminal(path) +
                                          "': name it .jsonl or .csv, or pass --format jsonl|csv");
}

Result<ParsedCalls> parse_calls(const std::string& input, CallFormat format) {
  ParsedCalls out;
  if (format == CallFormat::csv) {
    CRM_TRY_ASSIGN(auto csv, parse_csv(input));
    if (csv.records.empty())
      return make_error(ErrorKind::usage, "the CSV is empty: expected a header row naming the "
                                          "fields (provider,external_call_id,started_at,...)");
    std::vector<std::string> header;
    for (const auto& h : csv.records[0]) {
      CRM_TRY(check_text(h, TextRule("CSV header (line 1)", 64)));
      header.push_back(to_lower(trim(h)));
    }
    for (std::size_t r = 1; r < csv.records.size(); ++r) {
      const auto& rec = csv.records[r];
      if (rec.size() != header.size()) {
        out.errors.push_back({csv.lines[r], "expected " + std::to_string(header.size()) +
                                                " fields, found " + std::to_string(rec.size())});
        continue;
      }
      RawRow raw;
      for (std::size_t i = 0; i < header.size(); ++i)
        if (!rec[i].empty()) raw[header[i]] = rec[i];
      validate(raw, csv.lines[r], out);
    }
    return out;
  }
  std::string_view text = strip_utf8_bom(input);
  std::size_t line = 0, pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos
                                                                        : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (trim(l).empty()) continue;
    auto doc = parse_json_exact(l, "line " + std::to_string(line));
    if (!doc) {
      out.errors.push_back({line, "not valid JSON"});
      continue;
    }
    if (!doc->is_object()) {
      out.errors.push_back({line, "expected a JSON object with the call's fields"});
      continue;
    }
    RawRow raw;
    bool bad = false;
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      auto v = field_text(it.value());
      if (!v) {
        out.errors.push_back({line, it.key() + ": must be a string or a number"});
        bad = true;
        continue;
      }
      if (!v->empty()) raw[it.key()] = *v;
    }
    if (!bad) validate(raw, line, out);
  }
  return out;
}

Error row_errors(const std::vector<RowError>& errors, const std::string& file) {
  std::set<std::size_t> lines;
  for (const auto& e : errors)
    lines.insert(e.line);
  std::string msg = escape_for_terminal(file) + ": " + std::to_string(lines.size()) +
                    " bad row(s), nothing imported: ";
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i)
    msg += (i ? "; " : "") + std::string("line ") + std::to_string(errors[i].line) + ": " +
           errors[i].message;
  if (errors.size() > 10) msg += "; and " + std::to_string(errors.size() - 10) + " more";
  return Error{ErrorKind::usage, msg + " (fix them and run the import again)"};
}

Result<ImportResult> import_calls(db::TenantTx& tx, const tenant::TenantRef& t,
                                  const std::vector<CallInput>& rows, const std::string& file,
                                  const tenant::Actor& actor, DryRun dry_run) {
  ImportResult res;
  res.rows = rows.size();
  res.dry_run = dry_run == DryRun::yes;
  std::set<std::pair<std::string, std::string>> seen;
  nlohmann::json batch = nlohmann::json::array();
  auto flush = [&]() -> Status {
    if (batch.empty()) return {};
    CRM_TRY_ASSIGN(
        auto r,
        tx.exec("INSERT INTO calls (org_id, provider, external_call_id, call_type, direction, "
                "from_number, to_number, caller_name, started_at, ended_at, duration_seconds, "
                "is_billable, provider_cost, transcript, summary, recording_url, metadata) "
                "SELECT $1, x.provider, x.external_call_id, x.call_type, nullif(x.direction, ''), "
                "nullif(x.from_number, ''), nullif(x.to_number, ''), nullif(x.caller_name, ''), "
                "x.started_at::timestamptz, nullif(x.ended_at, '')::timestamptz, "
                "x.duration_seconds, x.call_type = 'phone', x.cost::numeric, "
                "nullif(x.transcript, ''), nullif(x.summary, ''), nullif(x.recording_url, ''), "
                "jsonb_build_object('source', 'import', 'file', $3::text) "
                "FROM jsonb_to_recordset($2::jsonb) AS x(provider text, external_call_id text, "
                "call_type text, direction text, from_number text, to_number text, caller_name "
                "text, started_at text, ended_at text, duration_seconds integer, cost text, "
                "transcript text, summary text, recording_url text) "
                "ON CONFLICT (org_id, provider, external_call_id) DO NOTHING RETURNING 1",
                {t.id, batch.dump(), file}));
    res.imported += r.size();
    res.already_present += batch.size() - r.size();
    batch = nlohmann::json::array();
    return {};
  };
  for (const auto& c : rows) {
    if (!seen.insert({c.provider, c.external_call_id}).second) {
      ++res.duplicates_in_file;
      continue;
    }
    batch.push_back({{"provider", c.provider},
                     {"external_call_id", c.external_call_id},
                     {"call_type", c.call_type},
                     {"direction", c.direction},
                     {"from_number", c.from_number},
                     {"to_number", c.to_number},
                     {"caller_name", c.caller_name},
                     {"started_at", c.started_at},
                     {"ended_at", c.ended_at},
                     {"duration_seconds", c.duration_seconds},
                     {"cost", c.cost ? nlohmann::json(c.cost->to_string()) : nlohmann::json()},
                     {"transcript", c.transcript},
                     {"summary", c.summary},
                     {"recording_url", c.recording_url}});
    if (batch.size() >= 1000) CRM_TRY(flush());
  }
  CRM_TRY(flush());
  nlohmann::json args = {{"file", file},
                         {"rows", res.rows},
                         {"imported", res.imported},
                         {"already_present", res.already_present}};
  CRM_TRY(db::write_audit(tx, {actor.name, t.id, "calls.import", t.slug,
                               tenant::audit_args(actor, args.dump()),
                               res.dry_run ? "dry_run" : "ok", ""}));
  return res;
}

Result<nlohmann::json> list_calls(db::TenantTx& tx, const CallFilter& f) {
  for (const auto* ts : {&f.since, &f.until})
    if (!ts->empty() && !parse_rfc3339(*ts))
      return make_error(ErrorKind::usage, "'" + escape_for_terminal(excerpt(*ts)) +
                                              "' is not an RFC 3339 time (2026-11-03T09:15:00Z)");
  CRM_TRY_ASSIGN(
      auto r,
      tx.exec("SELECT id::text AS id, to_char(started_at AT TIME ZONE 'UTC', "
              "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS started_at, provider, external_call_id, "
              "call_type, coalesce(direction, '') AS direction, coalesce(from_number, '') AS "
              "from_number, coalesce(to_number, '') AS to_number, coalesce(caller_name, '') AS "
              "caller_name, duration_seconds, provider_cost::text AS cost, is_billable "
              "FROM calls WHERE ($1 = '' OR started_at >= $1::timestamptz) AND "
              "($2 = '' OR started_at < $2::timestamptz) "
              "ORDER BY started_at DESC NULLS LAST, provider, external_call_id LIMIT $3",
              {f.since, f.until, std::to_string(f.limit)}));
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < r.size(); ++i) {
    auto opt = [&](const char* c) {
      auto v = r.opt(i, c);
      return v ? nlohmann::json(*v) : nlohmann::json();
    };
    auto dur = r.opt(i, "duration_seconds");
    out.push_back({{"id", r.get(i, "id")},
                   {"started_at", opt("started_at")},
                   {"provider", r.get(i, "provider")},
                   {"external_call_id", r.get(i, "external_call_id")},
                   {"call_type", r.get(i, "call_type")},
                   {"direction", r.get(i, "direction")},
                   {"from_number", r.get(i, "from_number")},
                   {"to_number", r.get(i, "to_number")},
                   {"caller_name", r.get(i, "caller_name")},
                   {"duration_seconds", dur ? nlohmann::json(std::stoll(*dur)) : nlohmann::json()},
                   {"cost", opt("cost")},
                   {"billable", r.get(i, "is_billable") == "t"}});
  }
  return out;
}

} // namespace crm::billing
