// Expiring share links for call recordings: an HMAC-SHA256 signature, with the platform secret of
// the profile's `recordings:` section, over the tenant, the call id and the expiry. Sharing is
// recorded as seed 002 describes (a `messages` row, and an audit_events row for the HIPAA trail);
// the signed link itself is never stored.
#pragma once
#include "core/clock.hpp"
#include "core/options.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "tenant/tenant.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crm::transcripts {

/// The longest --ttl accepted.
inline constexpr std::chrono::hours k_max_share_ttl{24 * 30};

/// base64url(HMAC-SHA256(secret, "crmctl-recording-share/1\n<tenant id>\n<call id>\n<expiry>")),
/// expiry in Unix seconds.
std::string share_signature(std::string_view secret, std::string_view tenant_id,
                            std::string_view call_id, std::int64_t expires_unix);

/// `<base_url>/<call id>?tenant=<tenant id>&expires=<unix>&sig=<signature>`.
std::string share_url(std::string_view base_url, std::string_view tenant_id,
                      std::string_view call_id, std::int64_t expires_unix, std::string_view sig);

/// What a link check found.
enum class LinkStatus { valid, expired, tampered, wrong_tenant, malformed };
const char* link_status_name(LinkStatus s);

struct LinkCheck {
  LinkStatus status = LinkStatus::malformed;
  std::string call_id, tenant_id; // as the link states them ("" when malformed)
  std::optional<TimePoint> expires_at;
  std::string reason; // for humans
};

/// Checks a link: malformed (not one of ours), tampered (the signature does not match the
/// tenant, call and expiry it states), wrong_tenant (signed, but for another tenant than
/// `expected_tenant_id`, when given), expired (now >= expiry), else valid.
LinkCheck verify_share_url(std::string_view url, std::string_view secret, TimePoint now,
                           std::string_view expected_tenant_id = {});

/// A share to make.
struct ShareRequest {
  std::string call_id;
  std::chrono::seconds ttl{24 * 3600};
  std::string recipient;      // optional email the link is meant for (recorded)
  std::string secret;         // resolved signing secret
  std::string base_url;       // public base of links
  TimePoint now;
  tenant::Actor actor;
  DryRun dry_run = DryRun::no;
};

/// What was shared.
struct ShareResult {
  std::string call_id, share_id, url, recipient, recording_status;
  TimePoint expires_at;
  std::chrono::seconds ttl{0};
  bool dry_run = false; // no url, nothing recorded
};

/// Signs a link for one of the tenant's calls with a recording, and records it in `tx` (the
/// caller commits): a `messages` row (provider crmctl, channel email, status link_created, body
/// naming the call and expiry) and an audit_events row `recordings.share`. A call of another
/// tenant is not found (RLS); a call without a recording, or whose recording is not completed,
/// is a conflict; a ttl outside (0, 30 days] is a usage error.
Result<ShareResult> share_recording(db::TenantTx& tx, const tenant::TenantRef& t,
                                    const ShareRequest& req);

} // namespace crm::transcripts
