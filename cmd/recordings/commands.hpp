// `crmctl recordings share | verify` (one .cpp per verb).
#pragma once
#include "cmd/app.hpp"

namespace crm::cmd {

struct RecordingsShareOptions {
  std::string call_id, ttl = "24h", email;
};
struct RecordingsVerifyOptions {
  std::string url;
};

void register_recordings(CLI::App& root, Context& ctx);
void register_recordings_share(CLI::App& noun, Context& ctx);
void register_recordings_verify(CLI::App& noun, Context& ctx);
Result<void> run_recordings_share(const RecordingsShareOptions& o, Deps& d);
Result<void> run_recordings_verify(const RecordingsVerifyOptions& o, Deps& d);

/// The recording signing secret ($CRMCTL_RECORDINGS_SIGNING_SECRET, else the profile's
/// recordings.signing_secret reference), resolved (config error when unset or shorter than 16
/// bytes) and registered with the redactor so no log line prints it.
Result<std::string> recordings_secret(Deps& d);
/// The public base of share links ($CRMCTL_RECORDINGS_BASE_URL, else recordings.base_url).
Result<std::string> recordings_base_url(Deps& d);

} // namespace crm::cmd
