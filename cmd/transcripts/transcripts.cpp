#include "cmd/transcripts/commands.hpp"

namespace crm::cmd {

void register_transcripts(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "transcripts",
      {"Call transcripts: export as txt, JSONL or CSV with PHI redaction",
       "Exports a tenant's call transcripts from one consistent snapshot, streamed (memory stays "
       "flat), with SSNs, card numbers, emails, phone numbers and dates of birth redacted unless "
       "--no-redact is given with a --reason. Every export is recorded in the audit trail.",
       {"crmctl transcripts export --tenant acme --format txt --out ./acme-transcripts",
        "crmctl transcripts export --tenant acme --since 2026-01-01 --format jsonl --out -"}});
  noun->require_subcommand(1);
  register_transcripts_export(*noun, ctx);
}

} // namespace crm::cmd
