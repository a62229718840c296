#include "cmd/support.hpp"
#include "cmd/transcripts/commands.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "transcripts/export.hpp"

#include <ostream>

namespace crm::cmd {

void register_transcripts_export(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<TranscriptsExportOptions>();
  auto* app = add_command(
      noun, ctx, "export",
      {"Export a tenant's call transcripts as txt, JSONL or CSV, PHI redacted",
       "txt writes one <call uuid>.txt per call (a header with call id, tenant, start in the "
       "tenant's timezone, caller, duration and summary, then `[mm:ss] Agent: ...` / `Caller: "
       "...` lines); jsonl one object per call with its turns; csv one RFC 4180 row per turn "
       "(call_id,started_at,turn,t,role,text). jsonl and csv are split into "
       "transcripts-NNNNNN.<ext> files of --calls-per-file calls. Every file is written under a "
       "temporary name and renamed; manifest.json lists files, counts and SHA-256. An "
       "interrupted export resumes when run again with the same flags and --out (complete files "
       "are kept; the set of calls is fixed by the first run). `--out -` streams to stdout "
       "(control characters escaped on a terminal). Redaction (SSNs, card numbers, emails, phone "
       "numbers, dates of birth, the profile's redaction.patterns; caller names) is on unless "
       "--no-redact is given with a --reason; either way the export is recorded in audit_events "
       "with its filters, redaction mode and counts. --since/--until without an offset are read "
       "in the tenant's timezone; since <= started_at < until.",
       {"crmctl transcripts export --tenant acme --format txt --out ./acme-transcripts",
        "crmctl transcripts export --tenant acme --since 2026-01-01 --until 2026-02-01 "
        "--format jsonl --out ./jan",
        "crmctl transcripts export --tenant acme --call 7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11 "
        "--format txt --out -",
        "crmctl transcripts export --tenant acme --format csv --out ./raw --no-redact "
        "--reason 'subpoena 2026-114, approved by compliance'"}});
  app->add_option("--call", o->call, "Only this call (UUID)");
  app->add_option("--since", o->since, "Calls started at or after (date or date-time)");
  app->add_option("--until", o->until, "Calls started before (date or date-time)");
  app->add_option("--format", o->format, "txt | jsonl | csv")
      ->required()
      ->check(CLI::IsMember({"txt", "jsonl", "csv"}));
  app->add_option("--out", o->out, "Directory to write, or - for stdout")->required();
  auto* redact = app->add_flag("--redact", o->redact, "Redact PHI (the default)");
  auto* no_redact =
      app->add_flag("--no-redact", o->no_redact, "Export unredacted text (needs --reason)");
  redact->excludes(no_redact);
  app->add_option("--reason", o->reason, "Why redaction is off (recorded in the audit trail)");
  app->add_option("--calls-per-file", o->calls_per_file,
                  "Calls per jsonl/csv file (default 10000)")
      ->check(CLI::Range(1, 10000000));
  on_run(app, ctx, o, run_transcripts_export, Effect::reads);
}

Result<void> run_transcripts_export(const TranscriptsExportOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto format, transcripts::parse_format(o.format));
  if (o.no_redact && trim(o.reason).empty())
    return make_error(ErrorKind::usage,
                      "--no-redact needs --reason TEXT: why unredacted PHI leaves the platform "
                      "(recorded in the audit trail)");
  if (!o.no_redact && !o.reason.empty())
    return make_error(ErrorKind::usage, "--reason goes with --no-redact only");
  if (!o.reason.empty()) CRM_TRY(check_text(o.reason, TextRule("--reason", 500)));
  transcripts::CallFilter filter{o.call, o.since, o.until};
  if (!o.since.empty()) CRM_TRY(transcripts::check_timestamp(o.since, "--since"));
  if (!o.until.empty()) CRM_TRY(transcripts::check_timestamp(o.until, "--until"));
  CRM_TRY_ASSIGN(const Settings* settings, d.settings());
  CRM_TRY_ASSIGN(auto redactor, transcripts::PhiRedactor::create(settings->profile.redaction.patterns));

  CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
  const auto& t = call.tenant;
  CRM_TRY_ASSIGN(auto tx, call.conn->tenant(call.scope(), {db::TxIsolation::repeatable_read,
                                                           db::TxAccess::read_only}));
  const bool to_stdout = o.out == "-";
  if (d.global().dry_run) {
    CRM_TRY_ASSIGN(auto n, transcripts::count_calls(*tx, t, filter));
    d.print({{"dry_run", true},
             {"tenant", t.slug},
             {"format", o.format},
             {"out", o.out},
             {"redaction", o.no_redact ? "off" : "on"},
             {"calls", n}});
    return {};
  }

  transcripts::ExportOptions eo;
  eo.format = format;
  eo.filter = filter;
  eo.redaction = o.no_redact ? transcripts::Redaction::off : transcripts::Redaction::on;
  eo.redactor = &redactor;
  eo.reason = o.reason;
  eo.now = d.clock().now();
  eo.calls_per_file = static_cast<std::size_t>(o.calls_per_file);
  if (to_stdout) {
    eo.stream = &d.io().out;
    eo.stream_is_tty = d.io().stdout_tty;
  } else {
    eo.out_dir = o.out;
  }
  // A bar on a terminal (calls/s, ETA), redrawn at most ten times a second; Ctrl-C stops after
  // the current call, leaving the completed files for a resume.
  const bool bar = d.io().stderr_tty && !d.global().quiet;
  eo.count_first = bar;
  const auto start = d.clock().steady_now();
  auto last = start - std::chrono::seconds(1);
  bool drawn = false;
  eo.on_progress = [&](std::uint64_t done, std::uint64_t total) -> Status {
    if (d.interrupt().requested)
      return make_error(ErrorKind::interrupted,
                        "interrupted after " + std::to_string(done) +
                            " calls; run the same command again to resume");
    if (!bar) return {};
    auto now = d.clock().steady_now();
    if (now - last < std::chrono::milliseconds(100) && done != total) return {};
    last = now;
    d.io().err << "\r\033[2K"
               << transcripts::progress_line(
                      done, total,
                      std::chrono::duration_cast<std::chrono::milliseconds>(now - start))
               << std::flush;
    drawn = true;
    return {};
  };
  const nlohmann::json filters = {{"call_id", o.call}, {"since", o.since}, {"until", o.until}};
  d.interrupt().cooperative = true;
  auto r = transcripts::export_transcripts(*tx, t, eo);
  d.interrupt().cooperative = false;
  if (drawn) d.io().err << "\n" << std::flush;
  if (!r) {
    nlohmann::json args = {{"format", o.format},
                           {"filters", filters},
                           {"redaction", o.no_redact ? "off" : "on"},
                           {"out", o.out}};
    if (o.no_redact) args["reason"] = o.reason;
    tx.reset(); // roll back the snapshot before writing the failure
    (void)db::write_audit(*call.conn, {call.actor.name, t.id, "transcripts.export", o.out,
                                       tenant::audit_args(call.actor, args.dump()), "error",
                                       r.error().message});
    return std::move(r).error();
  }
  CRM_TRY(tx->commit());
  CRM_TRY(db::write_audit(
      *call.conn, {call.actor.name, t.id, "transcripts.export", o.out,
                   tenant::audit_args(call.actor, transcripts::audit_arguments(eo, *r, o.out).dump()),
                   "ok", ""}));
  if (o.no_redact)
    d.notice("redaction was OFF for this export (reason: " + o.reason +
             "); recorded in the audit trail");
  nlohmann::json redactions = nlohmann::json::object();
  for (std::size_t i = 0; i < r->labels.size(); ++i)
    redactions[r->labels[i]] = i < r->redactions.by_label.size() ? r->redactions.by_label[i] : 0;
  if (to_stdout) {
    d.notice("exported " + std::to_string(r->calls) + " calls (" + std::to_string(r->turns) +
             " turns) of tenant '" + t.slug + "'");
    return {};
  }
  nlohmann::json out = {{"tenant", t.slug},
                        {"format", o.format},
                        {"out", o.out},
                        {"manifest", r->manifest},
                        {"calls", r->calls},
                        {"turns", r->turns},
                        {"calls_without_transcript", r->no_transcript},
                        {"files", r->files},
                        {"files_written", r->files_written},
                        {"calls_skipped", r->calls_skipped},
                        {"resumed", r->resumed},
                        {"redaction", o.no_redact ? "off" : "on"},
                        {"redactions", redactions},
                        {"timezone", r->timezone}};
  d.print(out);
  if (d.format() == Format::table)
    d.notice(r->resumed && r->files_written == 0
                 ? "export in " + o.out + " was already complete"
                 : "exported " + std::to_string(r->calls) + " calls of tenant '" + t.slug +
                       "' to " + o.out);
  return {};
}

} // namespace crm::cmd
