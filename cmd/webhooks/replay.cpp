#include "cmd/support.hpp"
#include "cmd/webhooks/commands.hpp"
#include "core/rfc3339.hpp"
#include "db/audit.hpp"
#include "webhook/ingest.hpp"

namespace crm::cmd {

void register_webhooks_replay(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<WebhooksReplayOptions>();
  auto* app = add_command(
      noun, ctx, "replay",
      {"Apply unrouted, held or failed inbox rows again",
       "Each row is re-normalised from its stored body, routed again (a number or agent registered "
       "since, a tenant resumed) and applied in one transaction; rows another replay holds are "
       "skipped (SKIP LOCKED), processed rows are never applied twice.",
       {"crmctl webhooks replay --id 42",
        "crmctl webhooks replay --since 2026-11-21T00:00:00Z --dry-run"}});
  app->add_option("--id", o->id, "One inbox row");
  app->add_option("--since", o->since, "Every replayable row received since (RFC 3339)");
  on_run(app, ctx, o, run_webhooks_replay, Effect::writes);
}

Result<void> run_webhooks_replay(const WebhooksReplayOptions& o, Deps& d) {
  if ((o.id > 0) == !o.since.empty())
    return make_error(ErrorKind::usage, "pass either --id ID or --since TIME");
  if (!o.since.empty() && !parse_rfc3339(o.since))
    return make_error(ErrorKind::usage, "--since: not an RFC 3339 time (2026-11-21T00:00:00Z)");
  CRM_TRY_ASSIGN(auto* c, d.db());
  std::vector<long long> ids;
  {
    CRM_TRY_ASSIGN(auto tx, c->admin({db::TxIsolation::read_committed, db::TxAccess::read_only}));
    CRM_TRY_ASSIGN(auto r, tx->exec("SELECT id FROM webhook_events WHERE state IN ('unrouted', "
                                    "'held', 'failed') AND ($1 = 0 OR id = $1) AND ($2 = '' OR "
                                    "received_at >= $2::timestamptz) ORDER BY id",
                                    {std::to_string(o.id), o.since}));
    for (std::size_t i = 0; i < r.size(); ++i)
      ids.push_back(std::stoll(r.get(i, "id")));
  }
  if (o.id > 0 && ids.empty())
    return make_error(ErrorKind::not_found, "inbox row " + std::to_string(o.id) +
                                                " does not exist or needs no replay (see "
                                                "`crmctl webhooks list`)");
  nlohmann::json rows = nlohmann::json::array();
  if (d.global().dry_run) {
    for (auto id : ids)
      rows.push_back({{"id", id}, {"outcome", "would replay"}});
    d.print(rows, {{"id", "outcome"}});
    return {};
  }
  std::size_t stored = 0;
  for (auto id : ids) {
    CRM_TRY_ASSIGN(auto r, webhook::replay(*c, tenancy_of(d), id));
    if (!r) {
      rows.push_back({{"id", id}, {"outcome", "skipped"}, {"tenant", ""}, {"reason", "taken by another replay or done"}});
      continue;
    }
    if (r->outcome == webhook::Outcome::stored) ++stored;
    rows.push_back({{"id", id},
                    {"outcome", webhook::outcome_name(r->outcome)},
                    {"tenant", r->org_id},
                    {"reason", r->reason}});
  }
  CRM_TRY(db::write_audit(*c, {actor_of(d).name, "", "webhooks.replay",
                               o.id > 0 ? std::to_string(o.id) : o.since,
                               nlohmann::json({{"rows", ids.size()}, {"stored", stored}}).dump(),
                               "ok", ""}));
  d.print(rows, {{"id", "outcome", "tenant", "reason"}});
  return {};
}

} // namespace crm::cmd
