// Durable, idempotent ingestion of verified webhook events (shared/docs/webhooks.md promises 5-7,
// 11 and the suspended-tenant rule): one transaction writes the inbox row — deduplicated by the
// (provider, event_key) unique constraint — and applies the event in the tenant's own scope; the
// caller answers only after it returns (committed). No cache, no in-process state: several daemons
// on one database coordinate through the constraints alone.
#pragma once
#include "db/db.hpp"
#include "tenant/tenant.hpp"
#include "webhook/normalize.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace crm::webhook {

/// The tenant an event belongs to.
struct Route {
  std::string org_id;
  std::string agent_id; // the agents row (UUID), "" when the route was a number
  std::string status;   // the tenant's status: active | suspended | deleted
  tenant::TenantRef tenant; // read with the route (one statement: no second lookup per event)
};

/// One verified delivery.
struct Delivery {
  std::string provider;    // vapi | elevenlabs | retell | twilio
  std::string route;       // "vapi", "twilio/sms", "agent/<uuid>", ...
  std::string agent_uuid;  // the per-agent URL's agent (its token already checked), else ""
  nlohmann::json headers = nlohmann::json::object(); // kept with the row (no secrets)
  std::string body;        // raw bytes as received
  Normalized event;
};

enum class Outcome {
  stored,    // applied to the tenant (inbox row processed)
  duplicate, // the same event was stored before (nothing written)
  held,      // the tenant is suspended: kept in the inbox, applied by `webhooks replay` later
  unrouted,  // no tenant for it: kept for replay once the number/agent is registered (404)
  ignored,   // verified but nothing to store (a transcript fragment, a tool call)
  failed,    // could not be applied: kept in the inbox as failed for `webhooks replay` (202)
};
const char* outcome_name(Outcome o);

struct IngestResult {
  Outcome outcome = Outcome::stored;
  int http_status = 200;
  std::string org_id, reason;
  long long inbox_id = 0;
};

/// Resolves a call event's tenant: the provider agent (agent_routes), else the called number
/// (number_routes: `to` for inbound calls, `from` for outbound).
Result<std::optional<Route>> resolve(db::Tx& tx, const Delivery& d);

/// What the per-agent URL needs to check a request: the agent's provider and the SHA-256 (hex) of
/// its webhook token ("" when it has none).
struct AgentAuth {
  std::string org_id, provider, token_hash;
};
/// The agent behind `/webhooks/agent/<uuid>`, read in its tenant's scope; nullopt when no tenant
/// has it.
Result<std::optional<AgentAuth>> agent_auth(db::Connection& c, const tenant::Tenancy& tenancy,
                                            const std::string& agent_uuid);

/// Stores and applies one delivery in one transaction on `c` and commits.
Result<IngestResult> ingest(db::Connection& c, const tenant::Tenancy& tenancy, const Delivery& d);

/// Group commit: stores and applies several deliveries in ONE transaction on `c` and commits once
/// (the inbox rows in one statement, each tenant's call events in one). When the group fails, a
/// message whose statement failed is taken out and the group written again without it; when the
/// failure names no single event (a call statement), every event is written on its own. An event
/// that fails on its own is kept in the inbox as `failed` (202); a deadlock with a concurrent
/// writer retries the group. The results, in order, hold only after their commit: an error (database
/// unavailable, commit failed) means none is acknowledged (some may be stored: a retry is then a
/// duplicate, never a loss).
Result<std::vector<IngestResult>> ingest_batch(db::Connection& c, const tenant::Tenancy& tenancy,
                                               const std::vector<const Delivery*>& batch);

/// Applies an inbox row again (unrouted, held or failed), re-normalising its stored body; the
/// row is locked with SKIP LOCKED so concurrent replays never apply it twice. nullopt when the row
/// is taken or already processed.
Result<std::optional<IngestResult>> replay(db::Connection& c, const tenant::Tenancy& tenancy,
                                           long long inbox_id);

/// Normalises a stored body again (replays): by provider and route.
Result<Normalized> normalize_stored(const std::string& provider, const std::string& route,
                                    const std::string& body);

} // namespace crm::webhook
