#include "cmd/support.hpp"
#include "cmd/webhooks/commands.hpp"
#include "db/sql.hpp"

namespace crm::cmd {

void register_webhooks_list(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<WebhooksListOptions>();
  auto* app = add_command(noun, ctx, "list",
                          {"List inbox rows, newest first (never the bodies)",
                           "--tenant limits to one tenant; --status picks processed, failed, held "
                           "or unresolved (no tenant yet).",
                           {"crmctl webhooks list --status failed",
                            "crmctl webhooks list --tenant acme --limit 20 -o json"}});
  app->add_option("--status", o->status, "processed, failed, held or unresolved")
      ->check(CLI::IsMember({"processed", "failed", "held", "unresolved"}));
  app->add_option("--limit", o->limit, "At most this many rows (1-10000)")
      ->check(CLI::Range(1, 10000));
  on_run(app, ctx, o, run_webhooks_list, Effect::reads);
}

Result<void> run_webhooks_list(const WebhooksListOptions& o, Deps& d) {
  std::string org;
  if (!d.global().tenant.empty()) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
    org = call.tenant.id;
  }
  const std::string state = o.status == "unresolved" ? "unrouted" : o.status;
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto tx, c->admin({db::TxIsolation::read_committed, db::TxAccess::read_only}));
  CRM_TRY_ASSIGN(auto r, tx->exec("SELECT e.id, " + db::rfc3339_sql("e.received_at") +
                                      " AS received_at, e.provider, e.route, e.event_type, "
                                      "e.event_key, e.state, coalesce(o.slug, '') AS tenant, "
                                      "e.attempts, coalesce(e.error, '') AS error FROM "
                                      "webhook_events e LEFT JOIN organizations o ON o.id = "
                                      "e.org_id WHERE ($1 = '' OR e.org_id = $1::uuid) AND ($2 = "
                                      "'' OR e.state = $2) ORDER BY e.id DESC LIMIT $3",
                                  {org, state, std::to_string(o.limit)}));
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = 0; i < r.size(); ++i)
    rows.push_back({{"id", std::stoll(r.get(i, "id"))},
                    {"received_at", r.get(i, "received_at")},
                    {"provider", r.get(i, "provider")},
                    {"route", r.get(i, "route")},
                    {"event_type", r.get(i, "event_type")},
                    {"event_key", r.get(i, "event_key")},
                    {"state", r.get(i, "state")},
                    {"tenant", r.get(i, "tenant")},
                    {"attempts", std::stoll(r.get(i, "attempts"))},
                    {"error", r.get(i, "error")}});
  d.print(rows, {{"id", "received_at", "provider", "route", "event_type", "state", "tenant",
                  "attempts", "error"}});
  return {};
}

} // namespace crm::cmd
