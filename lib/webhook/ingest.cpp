#include "webhook/ingest.hpp"

#include "core/crypto.hpp"
#include "core/e164.hpp"
#include "core/input.hpp"
#include "core/json_text.hpp"
#include "webhook/verify.hpp"

#include <algorithm>
#include <map>

namespace crm::webhook {

namespace {

// The outcomes' reasons, as answered and logged.
constexpr const char* k_duplicate = "event already received";
constexpr const char* k_unrouted =
    "no tenant has this agent or number: kept in the inbox for `webhooks replay`";
constexpr const char* k_held = "tenant suspended: kept in the inbox (held) for `webhooks replay`";

// A field takes the event's value when the event is at the stored stage or later, and only
// fills a gap otherwise: every order of events converges to the same row.
std::string pick(const char* col) {
  return std::string("CASE WHEN EXCLUDED.lifecycle_stage >= c.lifecycle_stage THEN coalesce(EXCLUDED.") +
         col + ", c." + col + ") ELSE coalesce(c." + col + ", EXCLUDED." + col + ") END";
}

// Several call events of one tenant in ONE statement ($1 the tenant, $2 a JSON array with an
// object per event; no two for the same call: ON CONFLICT cannot update a row twice): the
// customers' contacts upserted (a name fills a gap, in event order; last_contacted_at only moves
// forward), the calls upserted and linked to them (a call keeps the contact it has), and the
// events' agents validated (pending -> active: their first valid event arrived). An event names
// its agent by route (`a`, the agents row) or, routed by number, by the provider's id (`ae`).
std::string upsert_calls_text() {
  std::string set;
  for (const char* col : {"direction", "call_type", "from_number", "to_number", "caller_name",
                          "status", "started_at", "ended_at", "duration_seconds", "provider_cost",
                          "transcript", "summary", "recording_url", "sentiment", "sentiment_score",
                          "ended_reason", "transfer_to"})
    set += std::string(col) + " = " + pick(col) + ", ";
  return "WITH x AS MATERIALIZED (SELECT x.*, coalesce(nullif(x.a, '')::uuid, (SELECT g.id FROM "
         "agents g WHERE x.ae <> '' AND g.provider = x.p AND g.external_id = x.ae)) AS agent FROM "
         "jsonb_to_recordset($2::jsonb) AS x(i integer, p text, e text, a text, ae text, d text, "
         "ty text, f text, t text, n text, s text, sa timestamptz, ea timestamptz, du integer, co "
         "numeric, tr text, su text, ru text, se text, ss numeric, er text, tt text, m jsonb, st "
         "smallint, cu text)), "
         "ct AS (INSERT INTO contacts (org_id, phone, name, last_contacted_at) SELECT $1::uuid, "
         "x.cu, (array_agg(x.n ORDER BY x.i) FILTER (WHERE x.n IS NOT NULL))[1], "
         "max(coalesce(x.sa, now())) FROM x WHERE x.cu <> '' GROUP BY x.cu ON CONFLICT (org_id, "
         "phone) DO UPDATE SET last_contacted_at = greatest(contacts.last_contacted_at, "
         "EXCLUDED.last_contacted_at), name = coalesce(contacts.name, EXCLUDED.name) RETURNING "
         "id, phone), "
         "ag AS (UPDATE agents SET status = 'active', validated_at = now() WHERE id IN (SELECT "
         "x.agent FROM x) AND status = 'pending_validation' RETURNING 1) "
         "INSERT INTO calls AS c (org_id, provider, external_call_id, agent_id, direction, "
         "call_type, from_number, to_number, caller_name, status, started_at, ended_at, "
         "duration_seconds, is_billable, provider_cost, transcript, summary, recording_url, "
         "sentiment, sentiment_score, ended_reason, transfer_to, metadata, lifecycle_stage, "
         "contact_id) "
         "SELECT $1::uuid, x.p, x.e, x.agent, x.d, x.ty, x.f, x.t, x.n, x.s, x.sa, x.ea, x.du, "
         "x.ty = 'phone', x.co, x.tr, x.su, x.ru, x.se, x.ss, x.er, x.tt, x.m, x.st, ct.id FROM x "
         "LEFT JOIN ct ON ct.phone = x.cu ORDER BY x.i "
         "ON CONFLICT (org_id, provider, external_call_id) DO UPDATE SET " +
         set + "contact_id = coalesce(c.contact_id, EXCLUDED.contact_id), " +
         "is_billable = (" + pick("call_type") + ") = 'phone', "
         "agent_id = coalesce(c.agent_id, EXCLUDED.agent_id), "
         "metadata = CASE WHEN EXCLUDED.lifecycle_stage >= c.lifecycle_stage THEN c.metadata || "
         "EXCLUDED.metadata ELSE EXCLUDED.metadata || c.metadata END, "
         "lifecycle_stage = greatest(c.lifecycle_stage, EXCLUDED.lifecycle_stage), "
         "updated_at = now()";
}

// Prepared once per database session (db::Statement): planning the upsert per event took a third
// of the database's CPU per event.
const db::Statement& upsert_calls_stmt() {
  static const db::Statement st(upsert_calls_text());
  return st;
}

// The customer's number of a call: the caller of an inbound call, the callee of an outbound one.
std::optional<std::string> customer_of(const CallEvent& e) {
  auto n = e.direction == std::optional<std::string>("outbound") ? e.to_number : e.from_number;
  if (n && is_e164(*n)) return n;
  return std::nullopt;
}

// Appends `"key":value,` to a JSON object being written by hand (nlohmann::json's serialiser
// escaped the transcripts byte by byte): strings through append_json_string, invalid UTF-8
// replaced (as the normaliser already did), other values through nlohmann::json.
void json_field(std::string& out, std::string_view key, const nlohmann::json& v) {
  out += '"';
  out += key;
  out += "\":";
  out += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += ',';
}

void json_field(std::string& out, std::string_view key, const std::string& v) {
  if (!is_valid_utf8(v)) return json_field(out, key, nlohmann::json(v));
  out += '"';
  out += key;
  out += "\":";
  append_json_string(out, v);
  out += ',';
}

void json_field(std::string& out, std::string_view key, const std::optional<std::string>& v) {
  if (v)
    json_field(out, key, *v);
  else
    json_field(out, key, nlohmann::json(nullptr));
}

// One call event as the upsert's JSON object.
void append_call(std::string& out, int ordinal, const CallEvent& e, const std::string& agent) {
  nlohmann::json meta = {{"source", "webhook"}, {"event", e.event_type}};
  if (!e.turns.empty()) meta["turns"] = e.turns;
  if (!e.phone_number_id.empty()) meta["phone_number_id"] = e.phone_number_id;
  out += '{';
  json_field(out, "i", ordinal);
  json_field(out, "p", e.provider);
  json_field(out, "e", e.external_call_id);
  json_field(out, "a", agent);
  json_field(out, "ae", e.agent_external_id);
  json_field(out, "d", e.direction);
  json_field(out, "ty", e.call_type);
  json_field(out, "f", e.from_number);
  json_field(out, "t", e.to_number);
  json_field(out, "n", e.caller_name);
  json_field(out, "s", e.status);
  json_field(out, "sa", e.started_at);
  json_field(out, "ea", e.ended_at);
  json_field(out, "du", e.duration_seconds ? std::optional<std::string>(
                                                  std::to_string(*e.duration_seconds))
                                            : std::nullopt);
  json_field(out, "co", e.cost);
  json_field(out, "tr", e.transcript);
  json_field(out, "su", e.summary);
  json_field(out, "ru", e.recording_url);
  json_field(out, "se", e.sentiment);
  json_field(out, "ss", e.sentiment_score);
  json_field(out, "er", e.ended_reason);
  json_field(out, "tt", e.transfer_to);
  json_field(out, "m", meta);
  // A zero stage (e.g. a "ringing" status) still records the call, below any real stage.
  json_field(out, "st", static_cast<int>(e.stage));
  json_field(out, "cu", customer_of(e).value_or(""));
  out.back() = '}';
}

// One call event and the agent its route names ("" when routed by number).
struct CallItem {
  const CallEvent* event;
  std::string agent;
};

// Applies call events of one tenant in its scope, in order: one statement for all of them, or
// one per round when a call has several events here (its n-th event goes in round n).
Status apply_calls(db::TenantTx& tx, const std::vector<CallItem>& items) {
  std::map<std::pair<std::string, std::string>, int> seen; // (provider, call id) -> events so far
  std::vector<std::vector<std::size_t>> rounds;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const CallEvent& e = *items[k].event;
    const auto round = static_cast<std::size_t>(seen[{e.provider, e.external_call_id}]++);
    if (rounds.size() <= round) rounds.emplace_back();
    rounds[round].push_back(k);
  }
  for (const auto& round : rounds) {
    std::string rows = "[";
    for (std::size_t k : round) {
      if (rows.size() > 1) rows += ',';
      append_call(rows, static_cast<int>(k), *items[k].event, items[k].agent);
    }
    rows += ']';
    CRM_TRY(tx.exec(upsert_calls_stmt(), {tx.org_id(), rows}));
  }
  return {};
}

Status apply_message(db::TenantTx& tx, const MessageEvent& m) {
  static const db::Statement upsert_message(
      "INSERT INTO messages (org_id, provider, external_id, channel, direction, recipient, "
      "sender, body, status) VALUES ($1, $2, $3, 'sms', $4, $5, $6, nullif($7, ''), nullif($8, "
      "'')) ON CONFLICT (org_id, provider, external_id) DO UPDATE SET status = "
      "coalesce(EXCLUDED.status, messages.status), body = coalesce(messages.body, EXCLUDED.body)");
  static const db::Statement touch_contact(
      "INSERT INTO contacts (org_id, phone, last_contacted_at) VALUES ($1, $2, now()) ON "
      "CONFLICT (org_id, phone) DO UPDATE SET last_contacted_at = now()");
  CRM_TRY(tx.exec(upsert_message,
                  {tx.org_id(), m.provider, m.external_id, m.direction, m.to, m.from, m.body,
                   m.status}));
  const std::string& customer = m.direction == "inbound" ? m.from : m.to;
  if (is_e164(customer))
    CRM_TRY(tx.exec(touch_contact, {tx.org_id(), customer}));
  return {};
}

// A route row (agent_id, then the organization as a TenantRef) -> Route.
Route route_at(const db::Rows& r, std::size_t i) {
  Route rt;
  rt.org_id = r.get(i, "id");
  rt.agent_id = r.get(i, "agent_id");
  rt.status = r.get(i, "status");
  rt.tenant.id = rt.org_id;
  rt.tenant.slug = r.get(i, "slug");
  rt.tenant.name = r.get(i, "name");
  rt.tenant.status = rt.status;
  rt.tenant.isolation = r.get(i, "isolation") == "schema" ? db::Isolation::schema
                                                           : db::Isolation::row;
  rt.tenant.schema = r.get(i, "schema_name");
  return rt;
}

// What a delivery is routed by, as the routes statement's JSON object: the per-agent URL's agent
// (`u`, and nothing else), else the provider's agent id (`p`, `e`), else the called number (`n`:
// `to` of an inbound call or message, `from` of an outbound one; only an E.164 number).
void append_route_keys(std::string& out, int ordinal, const Delivery& d) {
  std::string external, number;
  if (d.agent_uuid.empty()) {
    std::optional<std::string> n;
    if (d.event.call) {
      const auto& e = *d.event.call;
      external = e.agent_external_id;
      n = e.direction == std::optional<std::string>("outbound") ? e.from_number : e.to_number;
    } else if (d.event.message) {
      const auto& m = *d.event.message;
      n = m.direction == "inbound" ? m.to : m.from;
    }
    if (n && is_e164(*n)) number = *n;
  }
  out += '{';
  json_field(out, "i", ordinal);
  json_field(out, "u", d.agent_uuid);
  json_field(out, "p", d.event.call ? d.event.call->provider : d.provider);
  json_field(out, "e", external);
  json_field(out, "n", number);
  out.back() = '}';
}

// Applies an inbox row's event again (replay) inside `tx` (admin) through the tenant's own scope,
// and records the row's new state.
Result<IngestResult> apply(db::Tx& tx, const tenant::Tenancy& tenancy, const Route& route,
                           const Delivery& d, long long inbox_id) {
  IngestResult res;
  res.org_id = route.org_id;
  res.inbox_id = inbox_id;
  if (route.status == "suspended") {
    CRM_TRY(tx.exec("UPDATE webhook_events SET state = 'held', org_id = $2::uuid, attempts = "
                    "attempts + 1 WHERE id = $1",
                    {std::to_string(inbox_id), route.org_id}));
    res.outcome = Outcome::held;
    res.reason = k_held;
    return res;
  }
  CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, tenant::scope_of(route.tenant, tenancy)));
  if (d.event.call) {
    CRM_TRY(apply_calls(*scoped, {CallItem{&*d.event.call, route.agent_id}}));
  } else if (d.event.message) {
    CRM_TRY(apply_message(*scoped, *d.event.message));
  }
  scoped.reset();
  CRM_TRY(tx.exec("UPDATE webhook_events SET state = 'processed', org_id = $2::uuid, "
                  "processed_at = now(), attempts = attempts + 1, error = NULL WHERE id = $1",
                  {std::to_string(inbox_id), route.org_id}));
  res.outcome = Outcome::stored;
  return res;
}

std::string event_key_of(const Delivery& d) {
  if (d.event.call) return d.event.call->event_key;
  if (d.event.message) return d.event.message->event_key;
  return "";
}

std::string event_type_of(const Delivery& d) {
  if (d.event.call) return d.event.call->event_type;
  if (d.event.message) return "sms:" + d.event.message->status;
  return "";
}

// One inbox row as the inbox statement's JSON object: the raw body as hex (no escaping needed;
// serialising it through nlohmann::json escaped 5 KB per event byte by byte); `error` for a row
// kept as failed.
void append_inbox_row(std::string& out, const Delivery& d, const std::string& org_id,
                      const std::string& state, const std::string& error = "") {
  out += '{';
  if (!error.empty()) json_field(out, "e", error);
  json_field(out, "p", d.provider);
  json_field(out, "k", event_key_of(d));
  json_field(out, "o", org_id);
  json_field(out, "h", d.headers);
  json_field(out, "s", state);
  json_field(out, "r", d.route);
  json_field(out, "t", event_type_of(d));
  out += "\"b\":\"";
  out += crypto::hex(d.body);
  out += "\"}";
}

// Inserts inbox rows (a JSON array of append_inbox_row objects) in their final state — processed,
// held or failed rows count one attempt — and returns the rows it inserted (not the duplicates).
Result<db::Rows> insert_inbox(db::Tx& tx, const std::string& rows) {
  static const db::Statement insert(
      "INSERT INTO webhook_events (provider, event_key, org_id, headers, body, state, route, "
      "event_type, processed_at, attempts, error) SELECT x.p, x.k, nullif(x.o, '')::uuid, x.h, "
      "decode(x.b, 'hex'), x.s, x.r, x.t, CASE WHEN x.s = 'processed' THEN now() END, CASE WHEN "
      "x.s IN ('processed', 'held', 'failed') THEN 1 ELSE 0 END, x.e FROM "
      "jsonb_to_recordset($1::jsonb) AS x(p text, k text, o text, h jsonb, b text, s text, r text, "
      "t text, e text) ON CONFLICT (provider, event_key) DO NOTHING RETURNING id, provider, "
      "event_key");
  return tx.exec(insert, {rows});
}

} // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
  case Outcome::stored: return "stored";
  case Outcome::duplicate: return "duplicate";
  case Outcome::held: return "held";
  case Outcome::unrouted: return "unrouted";
  case Outcome::ignored: return "ignored";
  case Outcome::failed: return "failed";
  }
  return "unknown";
}

namespace {

Result<std::vector<std::optional<Route>>> resolve_all(db::Tx& tx,
                                                      const std::vector<const Delivery*>& ds) {
  // One statement for all: per delivery the first of (1) its agent UUID's route, (2) the
  // provider's agent id, (3) the called number, with the route's organization.
  static const db::Statement routes(
      "SELECT x.i, r.agent_id, o.id::text AS id, o.slug, o.name, o.status, o.isolation, "
      "coalesce(o.schema_name, '') AS schema_name FROM jsonb_to_recordset($1::jsonb) AS x(i "
      "integer, u text, p text, e text, n text) CROSS JOIN LATERAL (SELECT c.agent_id, c.org_id "
      "FROM ((SELECT 1 AS k, r.agent_id::text AS agent_id, r.org_id FROM agent_routes r WHERE "
      "r.agent_id = nullif(x.u, '')::uuid LIMIT 1) UNION ALL (SELECT 2, r.agent_id::text, "
      "r.org_id FROM agent_routes r WHERE x.u = '' AND x.e <> '' AND r.provider = x.p AND "
      "r.external_id = x.e LIMIT 1) UNION ALL (SELECT 3, '', n.org_id FROM number_routes n WHERE "
      "x.u = '' AND x.n <> '' AND n.e164 = x.n LIMIT 1)) c ORDER BY c.k LIMIT 1) r JOIN "
      "organizations o ON o.id = r.org_id");
  std::vector<std::optional<Route>> out(ds.size());
  if (ds.empty()) return out;
  std::string keys = "[";
  for (std::size_t k = 0; k < ds.size(); ++k) {
    if (k) keys += ',';
    append_route_keys(keys, static_cast<int>(k), *ds[k]);
  }
  keys += ']';
  CRM_TRY_ASSIGN(auto r, tx.exec(routes, {keys}));
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto k = static_cast<std::size_t>(std::stoul(r.get(i, "i")));
    if (k < out.size()) out[k] = route_at(r, i);
  }
  return out;
}

} // namespace

Result<std::optional<Route>> resolve(db::Tx& tx, const Delivery& d) {
  CRM_TRY_ASSIGN(auto r, resolve_all(tx, {&d}));
  return std::move(r.front());
}

namespace {

bool nothing_to_store(const Delivery& d) {
  return d.event.ignored || (!d.event.call && !d.event.message);
}

IngestResult ignored_result(const Delivery& d) {
  IngestResult res;
  res.outcome = Outcome::ignored;
  res.reason = d.event.ignored ? d.event.ignored->reason : "nothing to store";
  return res;
}

// Set-based group commit, inside one admin transaction: the routes (one statement), the
// inbox rows of the whole group in ONE statement, then per tenant its scope entered once and its
// call events applied in one statement (apply_calls; a message one statement each). On an error
// `bad` names the event (an index into `group`) whose statement failed, when it was one event's.
Result<std::vector<IngestResult>> store_group(db::Tx& tx, const tenant::Tenancy& tenancy,
                                              const std::vector<const Delivery*>& batch,
                                              const std::vector<std::size_t>& group,
                                              std::optional<std::size_t>& bad) {
  std::vector<std::optional<Route>> routes;
  std::string rows = "["; // the group's inbox rows
  {
    std::vector<const Delivery*> ds;
    for (std::size_t k : group)
      ds.push_back(batch[k]);
    CRM_TRY_ASSIGN(routes, resolve_all(tx, ds));
  }
  for (std::size_t k = 0; k < group.size(); ++k) {
    const Delivery& d = *batch[group[k]];
    if (routes[k] && routes[k]->status == "deleted") routes[k].reset();
    const char* state = !routes[k]                         ? "unrouted"
                        : routes[k]->status == "suspended" ? "held"
                                                           : "processed";
    if (k) rows += ',';
    append_inbox_row(rows, d, routes[k] ? routes[k]->org_id : "", state);
  }
  rows += ']';
  CRM_TRY_ASSIGN(auto ins, insert_inbox(tx, rows));
  std::map<std::string, long long> inserted; // provider \x1f event key -> inbox id
  for (std::size_t i = 0; i < ins.size(); ++i)
    inserted[ins.get(i, "provider") + '\x1f' + ins.get(i, "event_key")] =
        std::stoll(ins.get(i, "id"));
  std::vector<IngestResult> out(group.size());
  std::vector<std::string> tenants; // active tenants, in order of first appearance
  std::map<std::string, std::vector<std::size_t>> of_tenant;
  for (std::size_t k = 0; k < group.size(); ++k) {
    const Delivery& d = *batch[group[k]];
    auto it = inserted.find(d.provider + '\x1f' + event_key_of(d));
    IngestResult& res = out[k];
    if (it == inserted.end()) { // stored before, or earlier in this very group
      res.outcome = Outcome::duplicate;
      res.reason = k_duplicate;
      if (routes[k]) res.org_id = routes[k]->org_id;
      continue;
    }
    res.inbox_id = it->second;
    inserted.erase(it); // a second copy in the same group is a duplicate
    if (!routes[k]) {
      res.outcome = Outcome::unrouted;
      res.http_status = 404;
      res.reason = k_unrouted;
      continue;
    }
    res.org_id = routes[k]->org_id;
    if (routes[k]->status == "suspended") {
      res.outcome = Outcome::held;
      res.reason = k_held;
      continue;
    }
    res.outcome = Outcome::stored;
    if (!of_tenant.count(res.org_id)) tenants.push_back(res.org_id);
    of_tenant[res.org_id].push_back(k);
  }
  for (const auto& org : tenants) {
    const auto& ks = of_tenant[org];
    CRM_TRY_ASSIGN(auto scoped, db::scoped(tx, tenant::scope_of(routes[ks.front()]->tenant,
                                                                 tenancy)));
    std::vector<CallItem> calls;
    for (std::size_t k : ks) {
      const Delivery& d = *batch[group[k]];
      if (d.event.call) {
        calls.push_back(CallItem{&*d.event.call, routes[k]->agent_id});
      } else if (d.event.message) {
        if (auto st = apply_message(*scoped, *d.event.message); !st) {
          bad = k;
          return st.error();
        }
      }
    }
    // The tenant's call events together (a failure names no single event: the group's events
    // are then written one by one).
    CRM_TRY(apply_calls(*scoped, calls));
  }
  return out;
}

// Errors worth trying the same event again for inside the batch: a deadlock or serialization
// failure against a concurrent writer (another batch, another daemon).
bool retryable(const Error& e) {
  return e.sqlstate == "40P01" || e.sqlstate == "40001";
}

} // namespace

Result<std::optional<AgentAuth>> agent_auth(db::Connection& c, const tenant::Tenancy& tenancy,
                                            const std::string& agent_uuid) {
  CRM_TRY_ASSIGN(auto tx, c.admin({db::TxIsolation::read_committed, db::TxAccess::read_only}));
  Delivery d;
  d.agent_uuid = agent_uuid;
  CRM_TRY_ASSIGN(auto route, resolve(*tx, d)); // the agent's route with its tenant, one statement
  if (!route) return std::optional<AgentAuth>();
  CRM_TRY_ASSIGN(auto scoped, db::scoped(*tx, tenant::scope_of(route->tenant, tenancy)));
  CRM_TRY_ASSIGN(auto a, scoped->exec("SELECT provider, coalesce(webhook_token_hash, '') AS hash "
                                      "FROM agents WHERE id = $1::uuid",
                                      {agent_uuid}));
  if (a.empty()) return std::optional<AgentAuth>();
  return std::optional<AgentAuth>(
      AgentAuth{route->org_id, a.get(0, "provider"), a.get(0, "hash")});
}

Result<IngestResult> ingest(db::Connection& c, const tenant::Tenancy& tenancy, const Delivery& d) {
  if (nothing_to_store(d)) return ignored_result(d);
  CRM_TRY_ASSIGN(auto tx, c.admin());
  std::optional<std::size_t> bad;
  CRM_TRY_ASSIGN(auto res, store_group(*tx, tenancy, {&d}, {0}, bad)); // a group of one
  CRM_TRY(tx->commit());
  return std::move(res.front());
}

Result<std::vector<IngestResult>> ingest_batch(db::Connection& c, const tenant::Tenancy& tenancy,
                                               const std::vector<const Delivery*>& batch) {
  std::vector<IngestResult> out(batch.size());
  std::vector<std::size_t> group; // stored together, in one transaction
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (nothing_to_store(*batch[i]))
      out[i] = ignored_result(*batch[i]);
    else
      group.push_back(i);
  }
  // A statement that fails ends the whole transaction (no savepoints through libpqxx): a failing
  // message is taken out and the group written again without it, a failing call statement (which
  // names no single event) sends every event on alone; a deadlock with a concurrent writer
  // retries the group as it was.
  std::vector<std::size_t> alone;
  int retries = 0;
  while (!group.empty()) {
    CRM_TRY_ASSIGN(auto tx, c.admin());
    std::optional<std::size_t> bad;
    auto got = store_group(*tx, tenancy, batch, group, bad);
    if (got) {
      CRM_TRY(tx->commit());
      for (std::size_t k = 0; k < group.size(); ++k)
        out[group[k]] = std::move((*got)[k]);
      break;
    }
    tx->rollback();
    const Error err = std::move(got).error();
    if (err.kind == ErrorKind::db_unavailable) return err;
    if (retryable(err) && ++retries <= 3) continue;
    // The failing event is taken out (when the error was not one event's, e.g. the group's inbox
    // statement, every event goes on alone).
    if (!bad) {
      alone.insert(alone.end(), group.begin(), group.end());
      group.clear();
      break;
    }
    alone.push_back(group[*bad]);
    group.erase(group.begin() + static_cast<std::ptrdiff_t>(*bad));
  }
  for (std::size_t i : alone) {
    auto r = ingest(c, tenancy, *batch[i]); // once more on its own
    if (r) {
      out[i] = std::move(*r);
      continue;
    }
    if (r.error().kind == ErrorKind::db_unavailable) return r.error();
    // Kept as failed (the provider may never send it again: ElevenLabs does not retry);
    // `webhooks replay` applies it once the cause is fixed.
    const Delivery& d = *batch[i];
    CRM_TRY_ASSIGN(auto tx, c.admin());
    CRM_TRY_ASSIGN(auto route, resolve(*tx, d)); // its tenant, for `webhooks list --tenant`
    std::string row = "[";
    append_inbox_row(row, d, route ? route->org_id : "", "failed", r.error().message);
    row += ']';
    CRM_TRY_ASSIGN(auto ins, insert_inbox(*tx, row));
    IngestResult res;
    if (ins.empty()) {
      res.outcome = Outcome::duplicate;
      res.reason = k_duplicate;
    } else {
      res.inbox_id = std::stoll(ins.get(0, "id"));
      res.outcome = Outcome::failed;
      res.http_status = 202;
      res.reason = "kept in the inbox as failed: " + r.error().message;
    }
    CRM_TRY(tx->commit());
    out[i] = std::move(res);
  }
  return out;
}

Result<Normalized> normalize_stored(const std::string& provider, const std::string& route,
                                    const std::string& body) {
  if (provider == "vapi") return normalize_vapi(body);
  if (provider == "elevenlabs") return normalize_elevenlabs(body);
  if (provider == "retell") return normalize_retell(body);
  if (provider == "twilio") {
    CRM_TRY_ASSIGN(auto form, decode_form(body));
    return normalize_twilio(route == "twilio/sms" ? "sms" : "voice-status", form);
  }
  return make_error(ErrorKind::usage, "unknown provider '" + provider + "' in the inbox");
}

Result<std::optional<IngestResult>> replay(db::Connection& c, const tenant::Tenancy& tenancy,
                                           long long inbox_id) {
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY_ASSIGN(auto row, tx->exec("SELECT provider, route, convert_from(body, 'UTF8') AS body "
                                    "FROM webhook_events WHERE id = $1 AND state IN ('unrouted', "
                                    "'held', 'failed', 'received') FOR UPDATE SKIP LOCKED",
                                    {std::to_string(inbox_id)}));
  if (row.empty()) return std::optional<IngestResult>();
  Delivery d;
  d.provider = row.get(0, "provider");
  d.route = row.get(0, "route");
  d.body = row.get(0, "body");
  if (d.route.rfind("agent/", 0) == 0) d.agent_uuid = d.route.substr(6);
  auto normalized = normalize_stored(d.provider, d.route, d.body);
  if (!normalized) {
    CRM_TRY(tx->exec("UPDATE webhook_events SET state = 'failed', error = $2, attempts = attempts "
                     "+ 1 WHERE id = $1",
                     {std::to_string(inbox_id), normalized.error().message}));
    CRM_TRY(tx->commit());
    return std::optional<IngestResult>(
        IngestResult{Outcome::ignored, 422, "", normalized.error().message, inbox_id});
  }
  d.event = std::move(*normalized);
  CRM_TRY_ASSIGN(auto route, resolve(*tx, d));
  if (!route || route->status == "deleted") {
    CRM_TRY(tx->exec("UPDATE webhook_events SET attempts = attempts + 1 WHERE id = $1",
                     {std::to_string(inbox_id)}));
    CRM_TRY(tx->commit());
    return std::optional<IngestResult>(
        IngestResult{Outcome::unrouted, 404, "", "still no tenant for it", inbox_id});
  }
  CRM_TRY_ASSIGN(auto res, apply(*tx, tenancy, *route, d, inbox_id));
  CRM_TRY(tx->commit());
  return std::optional<IngestResult>(res);
}

} // namespace crm::webhook
