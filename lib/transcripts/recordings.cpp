#include "transcripts/recordings.hpp"

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "db/audit.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace crm::transcripts {
namespace {

constexpr std::string_view k_domain = "crmctl-recording-share/1";

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool is_base64url(std::string_view s) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_'))
      return false;
  return !s.empty();
}

} // namespace

std::string share_signature(std::string_view secret, std::string_view tenant_id,
                            std::string_view call_id, std::int64_t expires_unix) {
  std::string msg(k_domain);
  msg += '\n';
  msg.append(tenant_id);
  msg += '\n';
  msg.append(call_id);
  msg += '\n';
  msg += std::to_string(expires_unix);
  return crypto::base64url_encode(crypto::hmac_sha256(secret, msg));
}

std::string share_url(std::string_view base_url, std::string_view tenant_id,
                      std::string_view call_id, std::int64_t expires_unix, std::string_view sig) {
  std::string base(base_url);
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/" + std::string(call_id) + "?tenant=" + std::string(tenant_id) +
         "&expires=" + std::to_string(expires_unix) + "&sig=" + std::string(sig);
}

const char* link_status_name(LinkStatus s) {
  switch (s) {
  case LinkStatus::valid:
    return "valid";
  case LinkStatus::expired:
    return "expired";
  case LinkStatus::tampered:
    return "tampered";
  case LinkStatus::wrong_tenant:
    return "wrong_tenant";
  case LinkStatus::malformed:
    break;
  }
  return "malformed";
}

LinkCheck verify_share_url(std::string_view url, std::string_view secret, TimePoint now,
                           std::string_view expected_tenant_id) {
  LinkCheck c;
  auto malformed = [&](std::string why) {
    c.status = LinkStatus::malformed;
    c.reason = std::move(why);
    return c;
  };
  std::size_t q = url.find('?');
  if (q == std::string_view::npos) return malformed("the link has no query (tenant, expires, sig)");
  std::string_view path = url.substr(0, q);
  std::size_t slash = path.rfind('/');
  std::string_view call = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (!is_uuid(call)) return malformed("the link does not end in a call id");
  std::string_view query = url.substr(q + 1);
  if (std::size_t h = query.find('#'); h != std::string_view::npos) query = query.substr(0, h);
  std::string tenant, expires, sig;
  int seen_t = 0, seen_e = 0, seen_s = 0;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "tenant") {
      tenant = v;
      ++seen_t;
    } else if (k == "expires") {
      expires = v;
      ++seen_e;
    } else if (k == "sig") {
      sig = v;
      ++seen_s;
    }
  }
  if (seen_t != 1 || seen_e != 1 || seen_s != 1)
    return malformed("the link needs exactly one tenant, expires and sig");
  if (!is_uuid(tenant)) return malformed("the link's tenant is not a UUID");
  std::int64_t exp = 0;
  auto [p, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), exp);
  // Past 2100 is no expiry we issue (and beyond 2262 the clock's nanoseconds would overflow).
  if (ec != std::errc() || p != expires.data() + expires.size() || exp <= 0 ||
      exp > 4'102'444'800)
    return malformed("the link's expiry is not a Unix time before 2100");
  if (!is_base64url(sig)) return malformed("the link's signature is not base64url");
  c.call_id = call;
  c.tenant_id = tenant;
  c.expires_at = TimePoint(std::chrono::seconds(exp));
  if (!crypto::constant_time_equal(sig, share_signature(secret, tenant, call, exp))) {
    c.status = LinkStatus::tampered;
    c.reason = "the signature does not match the link's tenant, call and expiry";
    return c;
  }
  if (!expected_tenant_id.empty() && tenant != expected_tenant_id) {
    c.status = LinkStatus::wrong_tenant;
    c.reason = "the link is for tenant " + tenant + ", not " + std::string(expected_tenant_id);
    return c;
  }
  if (unix_seconds(now) >= exp) {
    c.status = LinkStatus::expired;
    c.reason = "the link expired at " + format_rfc3339(*c.expires_at);
    return c;
  }
  c.status = LinkStatus::valid;
  c.reason = "valid until " + format_rfc3339(*c.expires_at);
  return c;
}

Result<ShareResult> share_recording(db::TenantTx& tx, const tenant::TenantRef& t,
                                    const ShareRequest& req) {
  if (!is_uuid(req.call_id))
    return make_error(ErrorKind::usage,
                      "CALL_ID must be a call UUID, not '" + excerpt(req.call_id) + "'");
  if (req.ttl <= std::chrono::seconds(0) || req.ttl > k_max_share_ttl)
    return make_error(ErrorKind::usage, "--ttl must be more than 0 and at most 30d");
  if (!req.recipient.empty() && !tenant::is_valid_email(req.recipient))
    return make_error(ErrorKind::usage,
                      "--email '" + excerpt(req.recipient) + "' is not an email address");
  if (req.secret.empty())
    return make_error(ErrorKind::config, "no recording signing secret: set recordings."
                                         "signing_secret in the profile (env:NAME or file:PATH)");
  if (req.base_url.empty())
    return make_error(ErrorKind::config,
                      "no base URL for share links: set recordings.base_url in the profile");
  CRM_TRY_ASSIGN(auto rows, tx.exec("SELECT coalesce(recording_url, '') AS url, "
                                    "coalesce(recording_status, '') AS status FROM " +
                                        tenant::table_of(t, "calls") + " WHERE id = $1::uuid",
                                    {req.call_id}));
  if (rows.empty())
    return make_error(ErrorKind::not_found,
                      "call " + req.call_id + " not found in tenant '" + t.slug + "'");
  const std::string status = rows.get(0, "status");
  if (rows.get(0, "url").empty())
    return make_error(ErrorKind::conflict, "call " + req.call_id + " of tenant '" + t.slug +
                                               "' has no recording: nothing to share");
  if (!status.empty() && status != "completed")
    return make_error(ErrorKind::conflict, "the recording of call " + req.call_id + " is " +
                                               status + ", not completed: share it once it is");

  ShareResult r;
  r.call_id = req.call_id;
  r.recipient = req.recipient;
  r.recording_status = status.empty() ? "unknown" : status;
  r.ttl = req.ttl;
  const std::int64_t exp = unix_seconds(req.now) + req.ttl.count();
  r.expires_at = TimePoint(std::chrono::seconds(exp));
  r.share_id = uuid_v4();
  if (req.dry_run == DryRun::yes) {
    r.dry_run = true;
    return r;
  }
  r.url = share_url(req.base_url, t.id, req.call_id, exp,
                    share_signature(req.secret, t.id, req.call_id, exp));

  // The trail: the link is a bearer credential, so neither row holds it.
  const std::string body = "Recording of call " + req.call_id + " shared by " + req.actor.name +
                           "; link expires " + format_rfc3339(r.expires_at);
  CRM_TRY(tx.exec("INSERT INTO " + tenant::table_of(t, "messages") +
                      " (org_id, provider, external_id, channel, direction, recipient, sender, "
                      "body, status) VALUES ($1::uuid, 'crmctl', $2, 'email', 'outbound', "
                      "nullif($3, ''), $4, $5, 'link_created')",
                  {t.id, "share:" + r.share_id, req.recipient, req.actor.name, body}));
  nlohmann::json args = {{"call_id", req.call_id},
                         {"share_id", r.share_id},
                         {"ttl_seconds", req.ttl.count()},
                         {"expires_at", format_rfc3339(r.expires_at)},
                         {"recipient", req.recipient.empty() ? nlohmann::json(nullptr)
                                                             : nlohmann::json(req.recipient)}};
  CRM_TRY(db::write_audit(tx, {req.actor.name, t.id, "recordings.share", req.call_id,
                               tenant::audit_args(req.actor, args.dump()), "ok", ""}));
  return r;
}

} // namespace crm::transcripts
