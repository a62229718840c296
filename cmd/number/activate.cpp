#include "cmd/migrate/support.hpp"
#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"
#include "tenant/lifecycle.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_activate(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberActivateOptions>();
  auto* app = add_command(
      noun, ctx, "activate",
      {"Import numbers into ElevenLabs, assign the agent, mark them active",
       "What seed 001 does by hand in a dashboard: imports the Twilio number into ElevenLabs with "
       "the credentials of the Twilio account that owns it, assigns the agent (--agent: our agent "
       "id or the ElevenLabs agent id; default the tenant's only ElevenLabs agent), stores the "
       "ElevenLabs phone number id and marks the number active. Without numbers, every purchased "
       "number of the tenant; with --all-tenants, of every active tenant, --jobs tenants at a "
       "time. A lost import answer is settled by listing ElevenLabs' numbers, never by importing "
       "again; re-running resumes at the missing step.",
       {"crmctl number activate --tenant acme +14155550100 --agent agent_8f2c",
        "crmctl number activate --tenant acme", "crmctl number activate --all-tenants --jobs 8"}});
  app->add_option("numbers", o->numbers, "E.164 numbers (default: every purchased number)");
  app->add_option("--agent", o->agent, "Agent to assign: our UUID or the ElevenLabs agent id");
  app->add_flag("--all-tenants", o->all_tenants, "Every active tenant's purchased numbers");
  app->add_option("--jobs", o->jobs, "Tenants activated at once (default 4)")
      ->check(CLI::Range(1, 64));
  on_run(app, ctx, o, run_number_activate, Effect::writes);
}

namespace {

Result<void> activate_all(const NumberActivateOptions& o, Deps& d) {
  if (!o.numbers.empty())
    return make_error(ErrorKind::usage, "--all-tenants activates every purchased number: "
                                        "give no numbers with it");
  if (!d.global().tenant.empty())
    return make_error(ErrorKind::usage, "pass either --tenant or --all-tenants");
  CRM_TRY_ASSIGN(auto p, platform(d));
  telephony::BulkEnv bulk{tenancy_of(d), actor_of(d), d.http(), p, optional_master_key(d), {}};
  if (auto u = urls(d)) bulk.urls = *u;
  std::vector<db::FanOutTarget> targets;
  {
    CRM_TRY_ASSIGN(auto* c, d.db());
    CRM_TRY_ASSIGN(auto tx, c->admin());
    CRM_TRY_ASSIGN(auto tenants, tenant::list(*tx, {"active", "", ""}));
    for (const auto& t : tenants)
      targets.push_back({t.id, t.slug});
  }
  if (d.global().dry_run) {
    d.print({{"dry_run", true}, {"tenants", targets.size()}});
    return {};
  }
  CRM_TRY_ASSIGN(db::ConnectionSource * source, migrate_support::source(d, o.jobs));
  db::FanOutOptions fo;
  fo.jobs = static_cast<std::size_t>(o.jobs);
  fo.on_error = db::OnError::keep_going;
  fo.run_name = "number_activate";
  fo.clock = &d.clock();
  FanOutEventSink sink;
  if (!d.global().quiet)
    sink = fan_out_renderer(d.io(), d.clock(), d.redactor(), {"activate", "tenant"},
                            [&log = d.log()](std::string_view text) { log.write_raw(text); });
  telephony::AgentDirectory agents(/*prefer_list=*/true);
  std::vector<telephony::TenantActivation> results;
  d.interrupt().cooperative = true;
  auto rep = telephony::activate_pending(targets, fo, *source, d.interrupt().requested, sink, bulk,
                                         o.agent, agents, results);
  d.interrupt().cooperative = false;
  nlohmann::json tenants = nlohmann::json::array();
  std::size_t activated = 0, failed = 0;
  for (const auto& t : results) {
    activated += t.activated.size();
    failed += t.errors.size();
    nlohmann::json nums = nlohmann::json::array();
    for (const auto& n : t.activated)
      nums.push_back(n.number.e164);
    tenants.push_back({{"tenant", t.tenant}, {"activated", nums}, {"errors", t.errors}});
  }
  d.print({{"tenants", tenants},
           {"activated", activated},
           {"failed", failed},
           {"agent_lookups", agents.requests()}});
  return db::fan_out_result(rep, "tenant");
}

} // namespace

Result<void> run_number_activate(const NumberActivateOptions& o, Deps& d) {
  if (o.all_tenants) return activate_all(o, d);
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto e, env(d, call, false));
  std::vector<std::string> numbers = o.numbers;
  if (numbers.empty()) {
    if (auto read = in_tenant_tx(d, call,
                                 [&](db::TenantTx& tx) -> Status {
                                   CRM_TRY_ASSIGN(auto list,
                                                  telephony::list_numbers(tx, call.tenant));
                                   for (const auto& n : list)
                                     if (n.status == "purchased") numbers.push_back(n.e164);
                                   return {};
                                 });
        !read)
      return std::move(read).error();
    if (numbers.empty()) {
      d.notice("tenant '" + call.tenant.slug + "' has no purchased number waiting for activation");
      d.print(nlohmann::json::array());
      return {};
    }
  }
  telephony::AgentDirectory agents(numbers.size() > 1);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::string> errors;
  std::optional<Error> first;
  d.interrupt().cooperative = true;
  for (const auto& n : numbers) {
    if (d.interrupt().requested.load()) {
      d.interrupt().cooperative = false;
      return make_error(ErrorKind::interrupted, "interrupted: rerun to activate the rest");
    }
    auto r = telephony::activate_number(e, n, o.agent, agents, dry_run_of(d));
    if (r) {
      for (const auto& note : r->notes)
        d.notice(note);
      out.push_back(json_of(*r));
    } else {
      errors.push_back(n + ": " + r.error().message);
      if (!first) first = r.error();
    }
  }
  d.interrupt().cooperative = false;
  if (numbers.size() == 1) {
    if (first) return *first;
    d.print(out.front());
    return {};
  }
  d.print(out, {{"e164", "status", "agent_external_id", "elevenlabs_phone_number_id", "changed"}});
  if (errors.empty()) return {};
  if (out.empty() && first) return *first;
  std::string list;
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i)
    list += (i ? "; " : "") + errors[i];
  return make_error(ErrorKind::partial, std::to_string(errors.size()) + " of " +
                                            std::to_string(numbers.size()) +
                                            " number(s) failed: " + list);
}

} // namespace crm::cmd
