#include "cmd/recordings/commands.hpp"
#include "cmd/support.hpp"
#include "core/units.hpp"
#include "transcripts/recordings.hpp"

namespace crm::cmd {

void register_recordings_share(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<RecordingsShareOptions>();
  auto* app = add_command(
      noun, ctx, "share",
      {"Create an expiring signed link to a call's recording",
       "Signs a link to the recording of one of the tenant's calls, valid for --ttl (default "
       "24h, at most 30d). Refuses calls of other tenants (not found, exit 3) and calls without "
       "a completed recording (exit 4). Records the share in the tenant's messages (channel "
       "email, status link_created, the optional --email recipient) and in audit_events; the "
       "link is printed once and stored nowhere. The secret comes from "
       "$CRMCTL_RECORDINGS_SIGNING_SECRET or the profile's recordings.signing_secret, the link's "
       "base from $CRMCTL_RECORDINGS_BASE_URL or recordings.base_url.",
       {"crmctl recordings share --tenant acme 7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11",
        "crmctl recordings share --tenant acme 7d0c1c9e-1f7a-4a53-9d7e-0b3b8f0c2a11 --ttl 2h "
        "--email lead@acme.example -o json"}});
  app->add_option("call_id", o->call_id, "The call's UUID")->required();
  app->add_option("--ttl", o->ttl, "How long the link is valid (e.g. 30m, 24h, 7d; at most 30d)")
      ->default_str("24h");
  app->add_option("--email", o->email, "Who the link is for (recorded with the share)");
  on_run(app, ctx, o, run_recordings_share, Effect::writes);
}

Result<void> run_recordings_share(const RecordingsShareOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto ttl, parse_duration(o.ttl));
  transcripts::ShareRequest req;
  req.call_id = o.call_id;
  req.ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  req.recipient = o.email;
  if (req.ttl.count() <= 0 || req.ttl > transcripts::k_max_share_ttl)
    return make_error(ErrorKind::usage, "--ttl must be at least 1s and at most 30d");
  CRM_TRY_ASSIGN(req.secret, recordings_secret(d));
  CRM_TRY_ASSIGN(req.base_url, recordings_base_url(d));
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  req.now = d.clock().now();
  req.actor = call.actor;
  req.dry_run = dry_run_of(d);
  auto r = in_tenant_tx(d, call, [&](db::TenantTx& tx) {
    return transcripts::share_recording(tx, call.tenant, req);
  });
  if (!r) return std::move(r).error();
  nlohmann::json out = {{"tenant", call.tenant.slug},
                        {"call_id", r->call_id},
                        {"share_id", r->share_id},
                        {"url", r->dry_run ? nlohmann::json(nullptr) : nlohmann::json(r->url)},
                        {"expires_at", format_rfc3339(r->expires_at)},
                        {"ttl_seconds", r->ttl.count()},
                        {"recipient", r->recipient.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(r->recipient)},
                        {"recording_status", r->recording_status},
                        {"dry_run", r->dry_run}};
  d.print(out);
  if (r->dry_run) d.notice("dry run: no link signed, nothing recorded");
  return {};
}

} // namespace crm::cmd
