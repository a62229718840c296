// Vapi tool sync (issue 12, seed 002 sections 4, 11, 12): tool definitions registered once,
// globally, with the platform's Vapi key, and linked into every tenant assistant (the tenant's
// `agents` rows with provider vapi) by fetch–merge–patch.
//
//   plan    what sync would change: tools to register or update, assistants missing links,
//           links to remove, native interceptor tools present;
//   sync    registers (POST /tool, an intent row first; an unknown outcome is settled by listing
//           Vapi's tools, never by posting again) or updates (PATCH /tool/{id}) each tool whose
//           definition hash changed or that was edited outside crmctl, then per tenant: GET each
//           assistant, keep every tool id crmctl does not own, add the missing ones, resend the
//           whole model (provider and model included) with PATCH, record org_tools. A second run
//           with nothing changed sends no write;
//   verify  the recorded state against Vapi: tools edited in the dashboard, deleted, hash
//           mismatches, links removed, natives present;
//   prune   unlinks and deletes tools no longer defined; with Native::remove also removes native
//           interceptor tools from assistants (seed 002's "nuclear cleanup").
//
// Assistants are read once each: GET /assistant/{id} (Mode::fresh) or, with Mode::cached, the
// paged assistant list (so each is read at most once, a page of up to 1000 at a time) and tool
// definitions trusted when the recorded hash matches and Vapi's updatedAt is the recorded one.
// Tenants fan out over db::fan_out (bounded by jobs and the pool); one failing assistant is
// reported and the others carry on (exit 8 with the list). sync and prune hold the advisory lock
// sync_lock_key() for their whole run, so two never interleave.
#pragma once
#include "core/clock.hpp"
#include "core/options.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "db/fan_out.hpp"
#include "http/client.hpp"
#include "providers/vapi.hpp"
#include "tenant/tenant.hpp"
#include "tools/definitions.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace crm::tools {

enum class Verb { plan, sync, verify, prune };
/// fresh: GET every assistant and compare tool definitions field by field; cached: trust recorded
/// hashes whose Vapi updatedAt is unchanged and read assistants from the paged list.
enum class Mode { fresh, cached };
/// prune: whether native interceptor tools are removed from assistants too.
enum class Native { keep, remove };

const char* verb_name(Verb v);

/// What the run talks to and who acts.
struct Env {
  http::Client& http;
  providers::vapi::Account vapi;
  tenant::Tenancy tenancy;
  tenant::Actor actor;
  Clock& clock;
};

struct RunOptions {
  Verb verb = Verb::plan;
  Mode mode = Mode::fresh;
  Native native = Native::keep;
  DryRun dry_run = DryRun::no;
  /// True when the targets are every active tenant: only then does prune delete tools at Vapi and
  /// from the registry (with one tenant it only unlinks that tenant's assistants).
  bool whole_fleet = true;
  std::chrono::milliseconds lock_wait{0}; // sync/prune: wait this long for a running sync
  db::FanOutOptions fan_out;
};

/// One tool's decision and, for sync/prune, what happened.
struct ToolAction {
  std::string name;
  /// register | update | adopt | unchanged | remove
  std::string action;
  std::string reason;
  std::string provider_tool_id;          // after the run (or the planned one)
  std::string previous_provider_tool_id; // a re-registered tool's old id (unlinked by sync)
  std::string hash, recorded_hash;
  bool applied = false;
  std::string error; // "" when fine
};

/// One assistant of one tenant.
struct AssistantResult {
  std::string tenant, org_id, assistant_id;
  std::vector<std::string> missing;      // tool names to link
  std::vector<std::string> remove;       // tool ids to unlink
  std::vector<std::string> foreign;      // tool ids crmctl does not own (always kept)
  nlohmann::json native = nlohmann::json::array(); // [{"where","type","id"?}]
  std::vector<std::string> drift;        // verify findings
  bool patched = false;
  std::string error; // "" when fine
  bool changes() const { return !missing.empty() || !remove.empty() || !native.empty(); }
};

/// A tenant whose work failed before or besides its assistants.
struct TenantFailure {
  std::string tenant, error;
};

struct Report {
  Verb verb = Verb::plan;
  bool dry_run = false;
  Mode mode = Mode::fresh;
  std::vector<ToolAction> tools;
  std::vector<AssistantResult> assistants; // in tenant order, then agent order
  std::vector<TenantFailure> tenant_failures;
  std::vector<std::string> findings; // verify: tool-level drift
  std::size_t tenants = 0;
  db::FanOutReport fan_out;
  /// Things plan counts as changes (tools to write, assistants to patch, natives present).
  std::size_t changes() const;
  /// Tools, assistants and tenants that failed.
  std::size_t failures() const;
};

/// The advisory lock sync and prune hold.
db::LockKey sync_lock_key();

/// Runs `options.verb` over `tenants` (ids with slugs as labels). `coordinator` reads and writes
/// the registry and holds the lock; tenants are worked on sessions borrowed from `source`.
/// Returns an error only when nothing useful could be done (the lock is held: conflict; Vapi's
/// tool list unreadable; the private key refused: config); per-tool, per-assistant and
/// per-tenant failures are in the report (see run_result).
Result<Report> run(db::Connection& coordinator, db::ConnectionSource& source,
                   const std::vector<Definition>& definitions,
                   const std::vector<db::FanOutTarget>& tenants, Env& env,
                   const RunOptions& options, const std::atomic<bool>& cancel,
                   const FanOutEventSink& events);

/// The error a report maps to: interrupted (130) or db_unavailable (7) from the fan-out; partial
/// (8) listing up to 10 failures; for verify, findings (5) when drift was found; none otherwise.
Result<void> run_result(const Report& report);

} // namespace crm::tools
