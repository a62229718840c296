#include "cmd/recordings/commands.hpp"

namespace crm::cmd {

void register_recordings(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "recordings",
      {"Call recordings: expiring signed share links",
       "A share link is signed with HMAC-SHA256 over the tenant, the call and the expiry, with "
       "the platform secret of the profile's recordings.signing_secret; `recordings verify` "
       "tells a valid link from an expired or tampered one. Sharing is recorded in the tenant's "
       "messages and in the audit trail; the link itself is never stored.",
       {"crmctl recordings share --tenant acme 7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11 --ttl 24h",
        "crmctl recordings verify 'https://app.example.com/r/7d0c...?tenant=...&expires=...&sig=...'"}});
  noun->require_subcommand(1);
  register_recordings_share(*noun, ctx);
  register_recordings_verify(*noun, ctx);
}

Result<std::string> recordings_secret(Deps& d) {
  std::string secret;
  if (auto e = d.env()("CRMCTL_RECORDINGS_SIGNING_SECRET"); e && !e->empty()) {
    secret = *e;
  } else {
    CRM_TRY_ASSIGN(const Settings* s, d.settings());
    const std::string& ref = s->profile.recordings.signing_secret;
    if (ref.empty())
      return make_error(ErrorKind::config,
                        "no recording signing secret: set recordings.signing_secret in the "
                        "profile (e.g. env:RECORDINGS_SIGNING_SECRET) or "
                        "$CRMCTL_RECORDINGS_SIGNING_SECRET");
    auto r = resolve_ref(ref, d.env());
    if (!r)
      return make_error(ErrorKind::config, "recordings.signing_secret: " + r.error().message);
    secret = *r;
  }
  if (secret.size() < 16)
    return make_error(ErrorKind::config,
                      "the recording signing secret is shorter than 16 bytes: use a long random "
                      "secret (openssl rand -base64 32)");
  d.redactor().add(secret);
  return secret;
}

Result<std::string> recordings_base_url(Deps& d) {
  if (auto e = d.env()("CRMCTL_RECORDINGS_BASE_URL"); e && !e->empty()) return *e;
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  if (s->profile.recordings.base_url.empty())
    return make_error(ErrorKind::config,
                      "no base URL for recording share links: set recordings.base_url in the "
                      "profile or $CRMCTL_RECORDINGS_BASE_URL");
  return s->profile.recordings.base_url;
}

} // namespace crm::cmd
