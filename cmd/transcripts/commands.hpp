// `crmctl transcripts export` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {

struct TranscriptsExportOptions {
  std::string call, since, until, format, out, reason;
  bool redact = false;    // --redact: the default, stated explicitly
  bool no_redact = false; // --no-redact (needs --reason)
  int calls_per_file = 10000;
};

void register_transcripts(CLI::App& root, Context& ctx);
void register_transcripts_export(CLI::App& noun, Context& ctx);
Result<void> run_transcripts_export(const TranscriptsExportOptions& o, Deps& d);

} // namespace crm::cmd
