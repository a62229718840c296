// A tenant's phone numbers: search, buy, activate (ElevenLabs import + agent), release, AI
// routing, listing and reconciliation with Twilio and ElevenLabs.
//
// Every provider call that costs money or changes state is a saga step: an intent row in
// number_operations is committed before the call, the outcome is committed after it, and an
// unknown outcome (lost answer, 5xx) is resolved by reading the provider's state — never by
// sending the call again. A number is reserved globally (number_routes) before it is bought, so
// two purchases of one number cannot both reach Twilio. `reconcile` finishes or undoes whatever a
// crash left behind.
#pragma once
#include "core/options.hpp"
#include "core/result.hpp"
#include "db/db.hpp"
#include "db/fan_out.hpp"
#include "http/client.hpp"
#include "telephony/accounts.hpp"
#include "tenant/tenant.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace crm::telephony {

/// One tenant number as recorded.
struct NumberRecord {
  std::string tenant; // slug
  std::string id, e164, status;
  std::string twilio_sid, twilio_account_sid, friendly_name;
  std::string elevenlabs_phone_number_id;
  std::string agent_id, agent_external_id; // our agent UUID and the provider's id
  bool ai_enabled = true;
  std::string forward_to;
  std::string created_at, updated_at;
};

/// Everything a saga needs for one tenant: the session whose transactions commit each step, the
/// tenant, who acts, the HTTP client, the tenant's accounts and the webhook URLs.
struct NumberEnv {
  db::Connection& conn;
  tenant::TenantRef tenant;
  db::TenantScope scope;
  tenant::Actor actor;
  http::Client& http;
  Accounts accounts;
  WebhookUrls urls;
};

/// What a saga did, for output: the record, the operation row, whether anything changed, and
/// notices for a human.
struct NumberResult {
  NumberRecord number;
  std::string operation_id;
  bool changed = false;
  bool dry_run = false;
  std::vector<std::string> notes;
};

// --- reading -------------------------------------------------------------------------------

/// The tenant's numbers (released ones only with `include_released`), ordered by E.164.
Result<std::vector<NumberRecord>> list_numbers(db::TenantTx& tx, const tenant::TenantRef& t,
                                               bool include_released = false);
/// One number of the tenant; not_found (exit 3) naming it and how to list them.
Result<NumberRecord> find_number(db::TenantTx& tx, const tenant::TenantRef& t,
                                 const std::string& e164);

// --- sagas ---------------------------------------------------------------------------------

struct BuyRequest {
  std::string e164;      // exactly one of e164 / area_code
  std::string area_code; // 3 digits
  std::string country = "US";
  /// Same key again (a cron retry): resume or return that operation's outcome, never buy twice.
  std::string idempotency_key;
};
/// Buys the number on the tenant's Twilio account (BYOC) or the platform's, pointing VoiceUrl,
/// SmsUrl and StatusCallback at the webhook URLs, and records it. Already the tenant's → no
/// change, with a note. Another tenant's, or a purchase in flight → conflict (exit 4).
Result<NumberResult> buy_number(NumberEnv& env, const BuyRequest& req, DryRun dry_run);

/// Resolves ElevenLabs agents once per workspace: one GET for a single agent, one paged list
/// when a run needs several (thread-safe; shared by the workers of a fan-out).
class AgentDirectory {
public:
  explicit AgentDirectory(bool prefer_list = false) : m_prefer_list(prefer_list) {}
  /// True when the agent exists in the workspace of `a`.
  Result<bool> exists(http::Client& http, const providers::elevenlabs::Account& a,
                      const std::string& agent_id);
  /// Requests sent so far (for benchmarks).
  int requests() const;

private:
  bool m_prefer_list;
  mutable std::mutex m_mu;
  std::mutex m_list_mu;                                       // held while a workspace is listed
  std::map<std::string, std::map<std::string, bool>> m_known; // api key → agent id → exists
  std::map<std::string, bool> m_listed;                       // api key → listed in full
  int m_requests = 0;
};

/// Imports the number into ElevenLabs with the credentials of the Twilio account that owns it,
/// assigns the agent (our UUID or the provider id of an elevenlabs agent; empty = the tenant's only
/// elevenlabs agent), stores elevenlabs_phone_number_id and marks it active. Re-running after a
/// partial activation resumes at the step that is missing.
Result<NumberResult> activate_number(NumberEnv& env, const std::string& e164,
                                     const std::string& agent, AgentDirectory& agents,
                                     DryRun dry_run);

/// Deletes the number from ElevenLabs, releases it on Twilio, marks it released and frees its
/// route. A number already gone at a provider counts as released there.
Result<NumberResult> release_number(NumberEnv& env, const std::string& e164, DryRun dry_run);

/// RinglyPro's AI toggle: points the number's VoiceUrl at the AI (the URL it had before, or the
/// voice webhook) or at the forward-to-owner TwiML URL for `forward_to` (the stored one when
/// empty; required the first time).
Result<NumberResult> route_number(NumberEnv& env, const std::string& e164, bool ai_on,
                                  const std::string& forward_to, DryRun dry_run);

/// What bulk activation needs besides a session: the same for every tenant.
struct BulkEnv {
  tenant::Tenancy tenancy;
  tenant::Actor actor;
  http::Client& http;
  Platform platform;
  std::optional<MasterKey> key;
  WebhookUrls urls;
};
/// One tenant's part of a bulk activation.
struct TenantActivation {
  std::string tenant;
  std::vector<NumberResult> activated;
  std::vector<std::string> errors; // "E164: message"
};
/// Activates every purchased, not yet active number of each tenant (its only ElevenLabs agent, or
/// `agent` when given), tenants in parallel over `source` (bounded by options.jobs), numbers of a
/// tenant one after the other. A tenant with a failed number is a failed item of the report.
db::FanOutReport activate_pending(const std::vector<db::FanOutTarget>& tenants,
                                  const db::FanOutOptions& options, db::ConnectionSource& source,
                                  const std::atomic<bool>& cancel, const FanOutEventSink& events,
                                  BulkEnv& env, const std::string& agent, AgentDirectory& agents,
                                  std::vector<TenantActivation>& out);

// --- reconcile -----------------------------------------------------------------------------

/// One difference between the database and the providers.
struct Finding {
  std::string tenant, e164;
  std::string kind; // bought_unrecorded, purchase_not_made, recorded_but_gone, not_imported,
                    // import_missing, import_unrecorded, wrong_agent, wrong_webhook_url,
                    // release_incomplete, untracked
  std::string detail;
  bool fixable = false;
  bool fixed = false;
  std::string fix_error;
};

/// Provider state read once per account and shared across tenants.
class ProviderSnapshot {
public:
  /// Twilio numbers of `a` (listed on first use).
  Result<const std::vector<providers::twilio::IncomingNumber>*>
  twilio(http::Client& http, const providers::twilio::Account& a);
  /// ElevenLabs numbers of `a` (listed on first use).
  Result<const std::vector<providers::elevenlabs::PhoneNumber>*>
  elevenlabs(http::Client& http, const providers::elevenlabs::Account& a);
  /// Forgets what was read (after fixes).
  void clear();

private:
  std::mutex m_mu;
  std::map<std::string, std::vector<providers::twilio::IncomingNumber>> m_twilio;
  std::map<std::string, std::vector<providers::elevenlabs::PhoneNumber>> m_el;
};

/// Compares the tenant's numbers and open operations with Twilio and ElevenLabs; with `fix`,
/// repairs what is safe (records numbers bought under a lost answer, closes purchases that did not
/// happen, finishes interrupted releases, re-points webhook URLs and agents, clears records of
/// numbers gone at the provider). Numbers the tenant's own account holds that crmctl never
/// recorded are reported as untracked, never adopted or released.
struct ReconcileOptions {
  bool fix = false;
  /// Operations younger than this are left alone: a command may be running them right now
  /// (crmctl's provider calls give up after 2 minutes).
  std::chrono::seconds min_age{180};
};
Result<std::vector<Finding>> reconcile_tenant(NumberEnv& env, ProviderSnapshot& snapshot,
                                              const ReconcileOptions& options);

/// Numbers on the platform Twilio account that no tenant records (untracked), given every
/// tenant's recorded E.164s. Only meaningful when every tenant was reconciled.
Result<std::vector<Finding>> untracked_platform_numbers(http::Client& http, const Platform& p,
                                                        ProviderSnapshot& snapshot,
                                                        const std::vector<std::string>& recorded);

} // namespace crm::telephony
