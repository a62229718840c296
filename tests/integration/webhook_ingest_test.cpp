// Webhook ingestion against a real PostgreSQL (real roles and RLS): the inbox's unique constraint
// dedupes (also concurrent deliveries), every order of started/ended/analyzed converges to one row,
// suspended tenants' events are held and replayed after resume, unknown agents are kept and
// replayed once registered, exact costs are stored as sent.
#include "cmd/cmd_harness.hpp"
#include "webhook/ingest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

using namespace crm;
using namespace crm::webhook;
using nlohmann::json;

namespace {

class WebhookIngest : public test::DbTest {
protected:
  std::unique_ptr<db::Connection> connect() {
    auto c = db::Connection::open(s_db->url(), "webhook-test");
    EXPECT_TRUE(c);
    return c ? std::move(*c) : nullptr;
  }
  std::string tenant_with_agent(const std::string& base, const std::string& provider,
                                const std::string& external) {
    auto slug = make_tenant(base);
    auto r = run({"agent", "create", "--tenant", slug, "--provider", provider, "--external-id",
                  external});
    EXPECT_EQ(r.code, 0) << r;
    return slug;
  }
  static Delivery retell(const std::string& event, const json& call) {
    Delivery d;
    d.provider = "retell";
    d.route = "retell";
    d.body = json{{"event", event}, {"call", call}}.dump();
    auto n = normalize_retell(d.body);
    EXPECT_TRUE(n) << (n ? "" : n.error().message);
    if (n) d.event = *n;
    return d;
  }
  /// Every delivery of `ds` in ONE group commit.
  static Result<std::vector<IngestResult>> ingest_group(db::Connection& c,
                                                        const std::vector<Delivery>& ds) {
    std::vector<const Delivery*> batch;
    for (const auto& d : ds)
      batch.push_back(&d);
    return ingest_batch(c, {}, batch);
  }
  IngestResult ingest_ok(const Delivery& d) {
    auto c = connect();
    auto r = ingest(*c, {}, d);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : IngestResult{};
  }
  std::string call_row(const std::string& slug, const std::string& external) {
    return scalar("SELECT row(provider, direction, call_type, from_number, to_number, status, "
                  "started_at, ended_at, duration_seconds, is_billable, provider_cost::text, "
                  "transcript, summary, recording_url, sentiment, ended_reason, lifecycle_stage, "
                  "metadata->'turns')::text FROM calls WHERE org_id = $1 AND external_call_id = $2",
                  {tenant_id(slug), external});
  }
};

json started(const std::string& id, const std::string& agent) {
  return {{"call_id", id}, {"agent_id", agent}, {"call_type", "phone_call"},
          {"direction", "inbound"}, {"from_number", "+15551110001"}, {"to_number", "+15552220002"},
          {"start_timestamp", 1763799000000LL}};
}
json ended(const std::string& id, const std::string& agent) {
  json j = started(id, agent);
  j["end_timestamp"] = 1763799061000LL;
  j["duration_ms"] = 61000;
  j["disconnection_reason"] = "user_hangup";
  j["transcript"] = "Agent: Hi\nUser: Hello";
  j["call_cost"] = {{"combined_cost", 12.5}};
  return j;
}
json analyzed(const std::string& id, const std::string& agent) {
  json j = ended(id, agent);
  j["call_analysis"] = {{"call_summary", "Booked"}, {"user_sentiment", "Positive"}};
  return j;
}

} // namespace

TEST_F(WebhookIngest, StoresOnceAndValidatesThePendingAgent) {
  auto slug = tenant_with_agent("Hook Co", "retell", "ag_hook_1");
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE org_id = $1", {tenant_id(slug)}),
            "pending_validation");
  auto d = retell("call_ended", ended("call_h1", "ag_hook_1"));
  auto r = ingest_ok(d);
  EXPECT_EQ(r.outcome, Outcome::stored);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(scalar("SELECT provider_cost::text FROM calls WHERE org_id = $1", {tenant_id(slug)}),
            "0.125"); // 12.5 cents, exactly
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE org_id = $1", {tenant_id(slug)}), "active");
  EXPECT_EQ(scalar("SELECT last_contacted_at IS NOT NULL FROM contacts WHERE org_id = $1 AND phone "
                   "= '+15551110001'",
                   {tenant_id(slug)}),
            "t");
  // The same event again, days later or from another daemon: 200, nothing written.
  auto again = ingest_ok(d);
  EXPECT_EQ(again.outcome, Outcome::duplicate);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_events WHERE provider = 'retell' AND event_key = "
                  "'call_h1:call_ended'"),
            1);
}

TEST_F(WebhookIngest, ConcurrentDuplicatesMakeOneRow) {
  auto slug = tenant_with_agent("Race Co", "retell", "ag_race_1");
  auto d = retell("call_analyzed", analyzed("call_race", "ag_race_1"));
  std::vector<std::thread> threads;
  std::atomic<int> stored{0}, duplicates{0}, errors{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto c = db::Connection::open(s_db->url(), "race");
      if (!c) {
        ++errors;
        return;
      }
      auto r = ingest(**c, {}, d);
      if (!r) ++errors;
      else if (r->outcome == Outcome::stored) ++stored;
      else if (r->outcome == Outcome::duplicate) ++duplicates;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(duplicates.load(), 7);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 1);
}

TEST_F(WebhookIngest, EveryOrderOfTheLifecycleConvergesToOneRow) {
  auto slug = tenant_with_agent("Order Co", "retell", "ag_order_1");
  std::vector<std::string> events = {"call_started", "call_ended", "call_analyzed"};
  std::sort(events.begin(), events.end());
  std::string reference;
  int n = 0;
  do {
    const std::string id = "call_order_" + std::to_string(++n);
    for (const auto& e : events) {
      json call = e == "call_started" ? started(id, "ag_order_1")
                  : e == "call_ended" ? ended(id, "ag_order_1")
                                      : analyzed(id, "ag_order_1");
      EXPECT_EQ(ingest_ok(retell(e, call)).outcome, Outcome::stored) << e;
    }
    std::string row = call_row(slug, id);
    ASSERT_FALSE(row.empty());
    if (reference.empty()) reference = row;
    EXPECT_EQ(row, reference) << "order " << n;
  } while (std::next_permutation(events.begin(), events.end()));
  EXPECT_EQ(n, 6);
  EXPECT_NE(reference.find("Booked"), std::string::npos) << reference;
  EXPECT_NE(reference.find(",3,"), std::string::npos) << reference; // analyzed
}

TEST_F(WebhookIngest, SuspendedTenantsAreHeldAndReplayedAfterResume) {
  auto slug = tenant_with_agent("Held Co", "retell", "ag_held_1");
  ASSERT_EQ(run({"tenant", "suspend", slug, "--yes"}).code, 0);
  auto r = ingest_ok(retell("call_ended", ended("call_held", "ag_held_1")));
  EXPECT_EQ(r.outcome, Outcome::held);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 0);
  ASSERT_EQ(run({"tenant", "resume", slug}).code, 0);
  auto c = connect();
  auto rep = replay(*c, {}, r.inbox_id);
  ASSERT_TRUE(rep && *rep);
  EXPECT_EQ((*rep)->outcome, Outcome::stored);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 1);
  auto twice = replay(*c, {}, r.inbox_id); // processed now: nothing to do
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
}

TEST_F(WebhookIngest, UnknownAgentsAreKeptAndReplayedOnceRegistered) {
  auto d = retell("call_ended", ended("call_orphan", "ag_not_yet"));
  auto r = ingest_ok(d);
  EXPECT_EQ(r.outcome, Outcome::unrouted);
  EXPECT_EQ(r.http_status, 404);
  EXPECT_EQ(scalar("SELECT state FROM webhook_events WHERE id = $1", {std::to_string(r.inbox_id)}),
            "unrouted");
  auto slug = tenant_with_agent("Late Agent Co", "retell", "ag_not_yet");
  auto c = connect();
  auto rep = replay(*c, {}, r.inbox_id);
  ASSERT_TRUE(rep && *rep);
  EXPECT_EQ((*rep)->outcome, Outcome::stored);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1 AND external_call_id = "
                  "'call_orphan'",
                  {tenant_id(slug)}),
            1);
}

TEST_F(WebhookIngest, CliListsAndReplaysTheInbox) {
  auto r = ingest_ok(retell("call_ended", ended("call_cli", "ag_cli_later")));
  ASSERT_EQ(r.outcome, Outcome::unrouted);
  const std::string id = std::to_string(r.inbox_id);
  auto l = run({"webhooks", "list", "--status", "unresolved", "--limit", "1000"});
  ASSERT_EQ(l.code, 0) << l;
  bool listed = false;
  for (const auto& row : l.json())
    listed = listed || (row["id"] == r.inbox_id && row["state"] == "unrouted" &&
                        row["event_key"] == "call_cli:call_ended");
  EXPECT_TRUE(listed) << l.out;
  auto none = run({"webhooks", "replay", "--id", id});
  ASSERT_EQ(none.code, 0) << none;
  EXPECT_EQ(none.json()[0]["outcome"], "unrouted"); // still no tenant
  auto slug = tenant_with_agent("Cli Replay Co", "retell", "ag_cli_later");
  auto dry = run({"--dry-run", "webhooks", "replay", "--id", id});
  ASSERT_EQ(dry.code, 0) << dry;
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 0);
  auto done = run({"webhooks", "replay", "--id", id});
  ASSERT_EQ(done.code, 0) << done;
  EXPECT_EQ(done.json()[0]["outcome"], "stored");
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 1);
  EXPECT_EQ(run({"webhooks", "replay", "--id", id}).code, 3); // processed: nothing to replay
  EXPECT_EQ(run({"webhooks", "replay"}).code, 2);
  EXPECT_EQ(run({"webhooks", "replay", "--since", "yesterday"}).code, 2);
  auto t = run({"webhooks", "list", "--tenant", slug});
  ASSERT_EQ(t.code, 0) << t;
  ASSERT_EQ(t.json().size(), 1u);
  EXPECT_EQ(t.json()[0]["state"], "processed");
}

TEST_F(WebhookIngest, DeletedTenantsRouteNothing) {
  auto slug = tenant_with_agent("Gone Co", "retell", "ag_gone_1");
  ASSERT_EQ(run({"tenant", "delete", slug, "--yes"}).code, 0);
  auto r = ingest_ok(retell("call_ended", ended("call_gone", "ag_gone_1")));
  EXPECT_EQ(r.outcome, Outcome::unrouted);
  EXPECT_EQ(r.http_status, 404);
  EXPECT_EQ(scalar("SELECT state || ':' || (org_id IS NULL) FROM webhook_events WHERE id = $1",
                   {std::to_string(r.inbox_id)}),
            "unrouted:true");
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 0);
}

TEST_F(WebhookIngest, GroupCommitStoresTheBatchAndKeepsAFailingEventAsFailed) {
  auto slug = tenant_with_agent("Batch Co", "retell", "ag_batch_1");
  auto good1 = retell("call_ended", ended("call_batch_1", "ag_batch_1"));
  auto bad = retell("call_ended", ended("call_batch_2", "ag_batch_1"));
  ASSERT_TRUE(bad.event.call);
  bad.event.call->started_at = "not a time"; // the database refuses it inside the batch
  auto good2 = retell("call_analyzed", analyzed("call_batch_3", "ag_batch_1"));
  auto again = good1; // a duplicate inside the same batch
  auto c = connect();
  auto r = ingest_batch(*c, {}, {&good1, &bad, &good2, &again});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].outcome, Outcome::stored);
  EXPECT_EQ((*r)[1].outcome, Outcome::failed);
  EXPECT_EQ((*r)[1].http_status, 202);
  EXPECT_EQ((*r)[2].outcome, Outcome::stored);
  EXPECT_EQ((*r)[3].outcome, Outcome::duplicate);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 2);
  EXPECT_EQ(scalar("SELECT state || ':' || (error IS NOT NULL) || ':' || (org_id = $1::uuid) FROM "
                   "webhook_events WHERE event_key = 'call_batch_2:call_ended'",
                   {tenant_id(slug)}),
            "failed:true:true"); // listed under its tenant too
  // Kept for replay: once the cause is gone (here: the stored body is fine), replay applies it.
  auto rep = replay(*c, {}, (*r)[1].inbox_id);
  ASSERT_TRUE(rep && *rep);
  EXPECT_EQ((*rep)->outcome, Outcome::stored);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 3);
}

// One group commit writes a tenant's call events with one statement per round (a call's n-th
// event of the batch in round n): the result must be the rows separate deliveries make.
TEST_F(WebhookIngest, OneBatchConvergesLikeSeparateDeliveries) {
  auto slug = tenant_with_agent("Batch Order Co", "retell", "ag_border_1");
  auto schema_slug = make_tenant("Batch Schema Co", {"--isolation", "schema"});
  ASSERT_EQ(run({"agent", "create", "--tenant", schema_slug, "--provider", "retell",
                 "--external-id", "ag_border_2"})
                .code,
            0);
  const std::string schema =
      db::quote_ident(scalar("SELECT schema_name FROM organizations WHERE slug = $1", {schema_slug}));
  // The reference: one delivery per event, in lifecycle order.
  for (const char* e : {"call_started", "call_ended", "call_analyzed"}) {
    json call = std::string(e) == "call_started" ? started("call_bref", "ag_border_1")
                : std::string(e) == "call_ended" ? ended("call_bref", "ag_border_1")
                                                 : analyzed("call_bref", "ag_border_1");
    ASSERT_EQ(ingest_ok(retell(e, call)).outcome, Outcome::stored);
  }
  const std::string reference = call_row(slug, "call_bref");
  ASSERT_FALSE(reference.empty());
  // Every order of the three events, for six calls of the row tenant and six of the schema tenant,
  // all in ONE batch (interleaved), with contacts that several calls share.
  std::vector<std::string> events = {"call_analyzed", "call_ended", "call_started"};
  std::vector<Delivery> ds;
  int n = 0;
  do {
    ++n;
    for (const auto& e : events)
      for (const char* agent : {"ag_border_1", "ag_border_2"}) {
        const std::string id = std::string("call_bo_") + agent + "_" + std::to_string(n);
        json call = e == "call_started" ? started(id, agent)
                    : e == "call_ended" ? ended(id, agent)
                                        : analyzed(id, agent);
        ds.push_back(retell(e, call));
      }
  } while (std::next_permutation(events.begin(), events.end()));
  ASSERT_EQ(n, 6);
  // Three calls from one customer: the first name given wins, the latest start is kept.
  const std::vector<std::pair<std::optional<std::string>, std::string>> shared = {
      {std::nullopt, "2026-11-20T10:00:00Z"},
      {"Ann O'Neil \"Ä\"", "2026-11-20T11:00:00Z"},
      {"Bob", "2026-11-20T09:00:00Z"}};
  for (std::size_t i = 0; i < shared.size(); ++i) {
    auto d = retell("call_ended", ended("call_bshared_" + std::to_string(i), "ag_border_1"));
    d.event.call->from_number = "+15557770001";
    d.event.call->caller_name = shared[i].first;
    d.event.call->started_at = shared[i].second;
    ds.push_back(d);
  }
  auto c = connect();
  auto r = ingest_group(*c, ds);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), ds.size());
  for (std::size_t i = 0; i < r->size(); ++i)
    EXPECT_EQ((*r)[i].outcome, Outcome::stored) << i << ": " << (*r)[i].reason;
  // Written by the group's one transaction (not event by event after a failed group).
  EXPECT_EQ(count("SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM calls WHERE "
                  "org_id = $1 AND external_call_id <> 'call_bref' UNION ALL SELECT xmin::text "
                  "FROM " + schema + ".calls UNION ALL SELECT xmin::text FROM webhook_events "
                  "WHERE event_key LIKE 'call\\_bo\\_%' OR event_key LIKE 'call\\_bshared\\_%') t",
                  {tenant_id(slug)}),
            1);
  for (int k = 1; k <= 6; ++k)
    EXPECT_EQ(call_row(slug, "call_bo_ag_border_1_" + std::to_string(k)), reference) << k;
  // The schema tenant's rows: in its own schema, the same row as the row tenant's.
  EXPECT_EQ(count("SELECT count(*) FROM " + schema + ".calls"), 6);
  EXPECT_EQ(count("SELECT count(DISTINCT row(provider, direction, call_type, from_number, "
                  "to_number, status, started_at, ended_at, duration_seconds, is_billable, "
                  "provider_cost::text, transcript, summary, recording_url, sentiment, "
                  "ended_reason, lifecycle_stage, metadata->'turns')::text) FROM " +
                  schema + ".calls"),
            1);
  EXPECT_EQ(scalar("SELECT row(provider, direction, call_type, from_number, to_number, status, "
                   "started_at, ended_at, duration_seconds, is_billable, provider_cost::text, "
                   "transcript, summary, recording_url, sentiment, ended_reason, lifecycle_stage, "
                   "metadata->'turns')::text FROM " +
                   schema + ".calls LIMIT 1"),
            reference);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(schema_slug)}), 0);
  // Both tenants' agents were validated by the batch.
  EXPECT_EQ(scalar("SELECT status FROM agents WHERE org_id = $1", {tenant_id(slug)}), "active");
  EXPECT_EQ(scalar("SELECT status FROM " + schema + ".agents"), "active");
  // The shared customer: one contact, every call of the number linked to it.
  EXPECT_EQ(scalar("SELECT name || '|' || last_contacted_at::timestamptz(0) AT TIME ZONE 'UTC' "
                   "FROM contacts WHERE org_id = $1 AND phone = '+15557770001'",
                   {tenant_id(slug)}),
            "Ann O'Neil \"Ä\"|2026-11-20 11:00:00");
  EXPECT_EQ(count("SELECT count(*) FROM calls c JOIN contacts k ON k.id = c.contact_id WHERE "
                  "c.org_id = $1 AND k.phone = '+15557770001'",
                  {tenant_id(slug)}),
            3);
  // Each of the 12 lifecycle calls linked to the one contact of its tenant's caller.
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1 AND contact_id IS NULL",
                  {tenant_id(slug)}),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema + ".calls WHERE contact_id IS NULL"), 0);
}

// The group commit writes its JSON by hand: quotes, backslashes, control characters, a NUL and
// non-ASCII text come back exactly as the normaliser kept them.
TEST_F(WebhookIngest, OneBatchKeepsAwkwardTextExactly) {
  auto slug = tenant_with_agent("Awkward Text Co", "retell", "ag_awk_1");
  const std::string nasty = std::string("He said \"hi\" \\ back\n\ttab \x01\x1f ") + '\0' +
                            " nul; 'quote'; ü 🦷 \u202e; DROP TABLE calls;--";
  json a = ended("call_awk_1", "ag_awk_1");
  a["transcript"] = nasty;
  json b = ended("call_awk_2", "ag_awk_1");
  b["transcript"] = "plain";
  auto da = retell("call_ended", a), db_ = retell("call_ended", b);
  ASSERT_TRUE(da.event.call && da.event.call->transcript);
  const std::string kept = *da.event.call->transcript; // the NUL already replaced
  EXPECT_EQ(kept.find('\0'), std::string::npos);
  auto c = connect();
  auto r = ingest_batch(*c, {}, {&da, &db_});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0].outcome, Outcome::stored) << (*r)[0].reason;
  EXPECT_EQ((*r)[1].outcome, Outcome::stored) << (*r)[1].reason;
  EXPECT_EQ(scalar("SELECT transcript FROM calls WHERE org_id = $1 AND external_call_id = "
                   "'call_awk_1'",
                   {tenant_id(slug)}),
            kept);
  // One transaction for both (the group statement did not fail over to one by one).
  EXPECT_EQ(count("SELECT count(DISTINCT xmin::text) FROM calls WHERE org_id = $1",
                  {tenant_id(slug)}),
            1);
}

// The routes of a whole batch are read with one statement: per delivery its agent URL's agent
// (and nothing else), else the provider's agent id, else the called number.
TEST_F(WebhookIngest, OneBatchRoutesEachDeliveryByItsOwnKey) {
  auto by_agent = tenant_with_agent("Route Agent Co", "retell", "ag_route_1");
  auto by_number = make_tenant("Route Number Co");
  auto by_url = tenant_with_agent("Route Url Co", "retell", "ag_route_url");
  const std::string number = "+1555" + std::to_string(1000000 + std::rand() % 8999999);
  ASSERT_TRUE(m_conn->exec("INSERT INTO number_routes (e164, org_id) VALUES ($1, $2::uuid)",
                           {number, tenant_id(by_number)}));
  const std::string url_agent =
      scalar("SELECT id::text FROM agents WHERE org_id = $1", {tenant_id(by_url)});
  auto call_to = [&](const std::string& id, const std::string& agent, const std::string& to) {
    json c = ended(id, agent);
    c["to_number"] = to;
    return retell("call_ended", c);
  };
  std::vector<Delivery> ds;
  ds.push_back(call_to("call_route_a", "ag_route_1", number));    // agent id first
  ds.push_back(call_to("call_route_n", "ag_route_unknown", number)); // unknown agent: the number
  ds.push_back(call_to("call_route_u", "ag_route_1", number));    // the URL's agent wins
  ds.back().agent_uuid = url_agent;
  ds.back().route = "agent/" + url_agent;
  ds.push_back(call_to("call_route_x", "ag_route_unknown", "+15550000000")); // nothing
  auto c = connect();
  auto r = ingest_group(*c, ds);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].org_id, tenant_id(by_agent));
  EXPECT_EQ((*r)[1].org_id, tenant_id(by_number));
  EXPECT_EQ((*r)[2].org_id, tenant_id(by_url));
  EXPECT_EQ((*r)[3].outcome, Outcome::unrouted);
  EXPECT_EQ(scalar("SELECT (agent_id IS NOT NULL)::text FROM calls WHERE external_call_id = "
                   "'call_route_a'"),
            "true");
  EXPECT_EQ(scalar("SELECT (agent_id IS NULL)::text || ':' || org_id::text FROM calls WHERE "
                   "external_call_id = 'call_route_n'"),
            "true:" + tenant_id(by_number));
  EXPECT_EQ(scalar("SELECT agent_id::text FROM calls WHERE external_call_id = 'call_route_u'"),
            url_agent);
  // The same deliveries one at a time route the same way.
  for (std::size_t i = 0; i < ds.size(); ++i) {
    auto tx = c->admin();
    ASSERT_TRUE(tx);
    auto one = resolve(**tx, ds[i]);
    ASSERT_TRUE(one);
    EXPECT_EQ(*one ? (*one)->org_id : "", (*r)[i].org_id) << i;
  }
}

TEST_F(WebhookIngest, GroupCommitAcknowledgesNothingWhenTheDatabaseGoesAway) {
  auto slug = tenant_with_agent("Lost Co", "retell", "ag_lost_1");
  auto d1 = retell("call_ended", ended("call_lost_1", "ag_lost_1"));
  auto c = connect();
  // The session dies under the batch (as in a server restart): an error, no results.
  auto pid = (*c).exec("SELECT pg_backend_pid()::text AS p");
  ASSERT_TRUE(pid);
  ASSERT_TRUE(m_conn->exec("SELECT pg_terminate_backend($1::int)", {pid->get(0, "p")}));
  auto r = ingest_batch(*c, {}, {&d1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::db_unavailable);
  EXPECT_EQ(count("SELECT count(*) FROM calls WHERE org_id = $1", {tenant_id(slug)}), 0);
}
