#include "cmd/context/state.hpp"
#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"
#include "core/units.hpp"
#include "tenant/lifecycle.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_reconcile(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberReconcileOptions>();
  auto* app = add_command(
      noun, ctx, "reconcile",
      {"Compare recorded numbers with Twilio and ElevenLabs; --fix repairs what is safe",
       "Reports: bought_unrecorded (Twilio sold it, the record is missing — e.g. the answer was "
       "lost), purchase_not_made, recorded_but_gone, not_imported, import_missing, "
       "import_unrecorded, wrong_agent, wrong_webhook_url, release_incomplete, interrupted "
       "activations and routings, and untracked numbers on the tenant's own account (or, for "
       "every tenant, on the platform account). --fix records what was bought, closes what did "
       "not happen, finishes releases, re-points URLs and agents; untracked numbers are never "
       "adopted or released. Operations younger than --min-age are left to the command running "
       "them. Exit 5 when findings remain.",
       {"crmctl number reconcile --tenant acme", "crmctl number reconcile --fix -o json",
        "crmctl number reconcile --tenant acme --fix --min-age 0s"}});
  app->add_flag("--fix", o->fix, "Repair what is safe");
  app->add_option("--min-age", o->min_age,
                  "Leave operations younger than this alone (default 3m; 0s for all)");
  on_run(app, ctx, o, run_number_reconcile, Effect::reads);
}

Result<void> run_number_reconcile(const NumberReconcileOptions& o, Deps& d) {
  if (o.fix) CRM_TRY(refuse_if_read_only(d, "`number reconcile --fix`"));
  CRM_TRY_ASSIGN(auto age, parse_duration(o.min_age));
  telephony::ReconcileOptions ro;
  ro.fix = o.fix && !d.global().dry_run;
  ro.min_age = std::chrono::duration_cast<std::chrono::seconds>(age);
  telephony::ProviderSnapshot snapshot;
  std::vector<telephony::Finding> findings;
  if (!d.global().tenant.empty() || current_context(d)) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::no));
    CRM_TRY_ASSIGN(auto e, env(d, call, true));
    CRM_TRY_ASSIGN(findings, telephony::reconcile_tenant(e, snapshot, ro));
  } else {
    CRM_TRY_ASSIGN(auto* c, d.db());
    std::vector<tenant::TenantSummary> tenants;
    {
      CRM_TRY_ASSIGN(auto tx, c->admin());
      CRM_TRY_ASSIGN(tenants, tenant::list(*tx, {}));
    }
    std::vector<std::string> sids;
    for (const auto& s : tenants) {
      CRM_TRY_ASSIGN(auto call, open_tenant(d, s.id, NeedActive::no));
      CRM_TRY_ASSIGN(auto e, env(d, call, true));
      CRM_TRY_ASSIGN(auto some, telephony::reconcile_tenant(e, snapshot, ro));
      findings.insert(findings.end(), some.begin(), some.end());
      if (auto read = in_tenant_tx(d, call,
                                   [&](db::TenantTx& tx) -> Status {
                                     CRM_TRY_ASSIGN(auto list,
                                                    telephony::list_numbers(tx, call.tenant));
                                     for (const auto& n : list)
                                       if (!n.twilio_sid.empty()) sids.push_back(n.twilio_sid);
                                     return {};
                                   });
          !read)
        return std::move(read).error();
    }
    CRM_TRY_ASSIGN(auto p, platform(d));
    CRM_TRY_ASSIGN(auto extra, telephony::untracked_platform_numbers(d.http(), p, snapshot, sids));
    findings.insert(findings.end(), extra.begin(), extra.end());
  }
  nlohmann::json out = nlohmann::json::array();
  std::size_t open = 0;
  for (const auto& f : findings) {
    out.push_back(json_of(f));
    if (!f.fixed) ++open;
  }
  d.print(out, {{"tenant", "e164", "kind", "fixed", "detail"}});
  if (findings.empty()) d.notice("numbers reconciled: database, Twilio and ElevenLabs agree");
  if (open == 0) return {};
  std::size_t fixable = 0;
  for (const auto& f : findings)
    if (!f.fixed && f.fixable) ++fixable;
  return make_error(ErrorKind::findings, std::to_string(open) + " finding(s) remain" +
                                             (fixable && !ro.fix ? " (" + std::to_string(fixable) +
                                                                       " fixable: rerun with --fix)"
                                                                 : ""));
}

} // namespace crm::cmd
