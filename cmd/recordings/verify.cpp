#include "cmd/recordings/commands.hpp"
#include "cmd/support.hpp"
#include "transcripts/recordings.hpp"

namespace crm::cmd {

void register_recordings_verify(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<RecordingsVerifyOptions>();
  auto* app = add_command(
      noun, ctx, "verify",
      {"Check a recording share link: valid, expired or tampered",
       "Recomputes the link's signature with the platform secret and compares it in constant "
       "time, then checks the expiry against the clock. With --tenant, a link signed for another "
       "tenant is reported as wrong_tenant. Needs no database unless --tenant is given. Exits 0 "
       "for a valid link and 5 otherwise (the status is printed either way).",
       {"crmctl recordings verify 'https://app.example.com/r/7d0c...?tenant=...&expires=...&sig=...'",
        "crmctl recordings verify --tenant acme \"$LINK\" -o json"}});
  app->add_option("url", o->url, "The share link")->required();
  on_run(app, ctx, o, run_recordings_verify, Effect::reads);
}

Result<void> run_recordings_verify(const RecordingsVerifyOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto secret, recordings_secret(d));
  std::string expected;
  if (!d.global().tenant.empty()) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
    expected = call.tenant.id;
  }
  auto c = transcripts::verify_share_url(o.url, secret, d.clock().now(), expected);
  nlohmann::json out = {
      {"status", transcripts::link_status_name(c.status)},
      {"valid", c.status == transcripts::LinkStatus::valid},
      {"call_id", c.call_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.call_id)},
      {"tenant_id", c.tenant_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.tenant_id)},
      {"expires_at",
       c.expires_at ? nlohmann::json(format_rfc3339(*c.expires_at)) : nlohmann::json(nullptr)},
      {"reason", c.reason}};
  d.print(out);
  if (c.status == transcripts::LinkStatus::valid) return {};
  return make_error(ErrorKind::findings, std::string("the link is ") +
                                             transcripts::link_status_name(c.status) + ": " +
                                             c.reason);
}

} // namespace crm::cmd
