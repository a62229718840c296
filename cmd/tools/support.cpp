#include "cmd/tools/support.hpp"
#include "cmd/context/state.hpp"
#include "cmd/migrate/support.hpp"
#include "cmd/support.hpp"
#include "db/pool.hpp"
#include "providers/verify.hpp"
#include "tenant/lifecycle.hpp"

#include <filesystem>

namespace crm::cmd::tools_support {

namespace {

using nlohmann::json;

/// A profile value with its secret reference resolved (redacted when it was a reference).
Result<std::string> resolved(Deps& d, const std::string& value, const std::string& key) {
  if (value.empty()) return std::string();
  auto v = resolve_ref(value, d.env());
  if (!v) return make_error(ErrorKind::config, key + " of the profile: " + v.error().message);
  if (is_secret_ref(value)) d.redactor().add(*v);
  return *v;
}

/// The platform Vapi account of the profile (config error without a private key).
Result<providers::vapi::Account> vapi_account(Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  providers::vapi::Account a;
  a.base_url = providers::default_base_url("vapi");
  auto it = s->profile.providers.find("vapi");
  std::string key;
  if (it != s->profile.providers.end()) {
    if (!it->second.base_url.empty()) a.base_url = it->second.base_url;
    if (auto k = it->second.values.find("private_key"); k != it->second.values.end()) {
      CRM_TRY_ASSIGN(key, resolved(d, k->second, "providers.vapi.private_key"));
      d.redactor().add(key);
    }
  }
  if (key.empty())
    return make_error(ErrorKind::config,
                      "the profile has no providers.vapi.private_key: tools are registered with "
                      "the platform's one Vapi private key (tenants have no Vapi keys); set "
                      "providers: {vapi: {private_key: env:VAPI_PRIVATE_KEY}}");
  while (!a.base_url.empty() && a.base_url.back() == '/')
    a.base_url.pop_back();
  a.private_key = key;
  return a;
}

/// The placeholder values: backend_url and tools.values (references resolved).
Result<tools::Values> values(Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  tools::Values v;
  const auto& t = s->profile.tools;
  CRM_TRY_ASSIGN(v["backend_url"], resolved(d, t.backend_url, "tools.backend_url"));
  while (!v["backend_url"].empty() && v["backend_url"].back() == '/')
    v["backend_url"].pop_back();
  for (const auto& [k, val] : t.values) {
    CRM_TRY_ASSIGN(v[k], resolved(d, val, "tools.values." + k));
  }
  return v;
}

Result<std::string> definitions_dir(const ToolsCommonOptions& o, Deps& d) {
  if (!o.definitions.empty()) return o.definitions;
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  if (!s->profile.tools.definitions_dir.empty()) return s->profile.tools.definitions_dir;
  return (std::filesystem::path(templates_dir(d)) / "tools").string();
}

json strings(const std::vector<std::string>& v) {
  return json(v);
}

json render(const tools::Report& r) {
  json tools_out = json::array();
  std::map<std::string, std::size_t> by_action;
  for (const auto& t : r.tools) {
    ++by_action[t.action];
    tools_out.push_back({{"name", t.name},
                         {"action", t.action},
                         {"reason", t.reason},
                         {"provider_tool_id", t.provider_tool_id},
                         {"previous_provider_tool_id", t.previous_provider_tool_id},
                         {"definition_hash", t.hash},
                         {"recorded_hash", t.recorded_hash},
                         {"applied", t.applied},
                         {"error", t.error.empty() ? json(nullptr) : json(t.error)}});
  }
  json missing = json::array(), removes = json::array(), natives = json::array(),
       drift = json::array(), failures = json::array();
  std::size_t patched = 0, failed = 0;
  for (const auto& f : r.findings)
    drift.push_back({{"tenant", nullptr}, {"assistant_id", nullptr}, {"finding", f}});
  for (const auto& a : r.assistants) {
    if (!a.error.empty()) {
      ++failed;
      failures.push_back(
          {{"tenant", a.tenant}, {"assistant_id", a.assistant_id}, {"error", a.error}});
      continue;
    }
    if (a.patched) ++patched;
    if (!a.missing.empty())
      missing.push_back(
          {{"tenant", a.tenant}, {"assistant_id", a.assistant_id}, {"missing", strings(a.missing)}});
    if (!a.remove.empty())
      removes.push_back(
          {{"tenant", a.tenant}, {"assistant_id", a.assistant_id}, {"tool_ids", strings(a.remove)}});
    for (const auto& n : a.native) {
      json e = n;
      e["tenant"] = a.tenant;
      e["assistant_id"] = a.assistant_id;
      natives.push_back(e);
    }
    for (const auto& f : a.drift)
      drift.push_back({{"tenant", a.tenant}, {"assistant_id", a.assistant_id}, {"finding", f}});
  }
  for (const auto& t : r.tenant_failures)
    failures.push_back({{"tenant", t.tenant}, {"assistant_id", nullptr}, {"error", t.error}});
  for (const auto& t : r.tools)
    if (!t.error.empty())
      failures.push_back({{"tenant", nullptr}, {"tool", t.name}, {"error", t.error}});
  auto n = [&](const char* a) { return by_action.count(a) ? by_action.at(a) : std::size_t(0); };
  json out = {{"verb", tools::verb_name(r.verb)},
              {"dry_run", r.dry_run},
              {"mode", r.mode == tools::Mode::cached ? "cached" : "fresh"},
              {"tools", tools_out},
              {"assistants_missing_links", missing},
              {"links_to_remove", removes},
              {"native_tools", natives},
              {"failures", failures},
              {"counts",
               {{"tools", r.tools.size()},
                {"tools_to_register", n("register")},
                {"tools_to_update", n("update")},
                {"tools_to_adopt", n("adopt")},
                {"tools_unchanged", n("unchanged")},
                {"tools_no_longer_defined", n("remove")},
                {"tenants", r.tenants},
                {"assistants", r.assistants.size()},
                {"assistants_patched", patched},
                {"assistants_failed", failed},
                {"changes", r.changes()},
                {"failures", r.failures()}}}};
  if (r.verb == tools::Verb::verify) out["drift"] = drift;
  return out;
}

} // namespace

void add_common_flags(CLI::App* app, ToolsCommonOptions& o) {
  app->add_flag("--all-tenants", o.all_tenants,
                "Every active tenant (the default without --tenant or a context)");
  app->add_option("--definitions", o.definitions,
                  "Directory of tool definitions (default: the profile's tools.definitions_dir, "
                  "then templates/tools)");
  app->add_option("--jobs", o.jobs, "Tenants worked on at once (default 8)")
      ->check(CLI::Range(1, 64));
  app->add_flag("--cached", o.cached,
                "Trust recorded hashes whose Vapi updatedAt is unchanged and read assistants from "
                "the paged list (each read at most once)");
}

Result<void> run_verb(const ToolsCommonOptions& o, Deps& d, tools::Verb verb,
                      const tools::RunOptions& extra, bool exit_code) {
  if (o.all_tenants && !d.global().tenant.empty())
    return make_error(ErrorKind::usage, "pass either --tenant or --all-tenants");
  // Definitions and the profile first: bad files and missing values fail before any connection.
  CRM_TRY_ASSIGN(auto vals, values(d));
  CRM_TRY_ASSIGN(auto dir, definitions_dir(o, d));
  CRM_TRY_ASSIGN(auto defs, tools::load_definitions(dir, vals));
  CRM_TRY_ASSIGN(auto account, vapi_account(d));

  tools::RunOptions ro = extra;
  ro.verb = verb;
  ro.mode = o.cached ? tools::Mode::cached : tools::Mode::fresh;
  ro.dry_run = dry_run_of(d);
  std::vector<db::FanOutTarget> targets;
  if (!o.all_tenants && (!d.global().tenant.empty() || current_context(d))) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, "", NeedActive::yes));
    targets.push_back({call.tenant.id, call.tenant.slug});
    ro.whole_fleet = false;
  } else {
    CRM_TRY_ASSIGN(auto* c, d.db());
    CRM_TRY_ASSIGN(auto tx, c->admin());
    CRM_TRY_ASSIGN(auto tenants, tenant::list(*tx, {"active", "", ""}));
    for (const auto& t : tenants)
      targets.push_back({t.id, t.slug});
  }
  CRM_TRY_ASSIGN(auto* coordinator, d.db());
  CRM_TRY_ASSIGN(db::ConnectionSource * source, migrate_support::source(d, o.jobs));
  ro.fan_out.jobs = static_cast<std::size_t>(o.jobs);
  ro.fan_out.run_name = std::string("tools_") + tools::verb_name(verb);
  ro.fan_out.clock = &d.clock();
  FanOutEventSink sink;
  if (!d.global().quiet && d.io().stderr_tty)
    sink = fan_out_renderer(d.io(), d.clock(), d.redactor(),
                            {std::string("tools ") + tools::verb_name(verb), "tenant"},
                            [&log = d.log()](std::string_view text) { log.write_raw(text); });
  tools::Env env{d.http(), account, tenancy_of(d), actor_of(d), d.clock()};
  d.interrupt().cooperative = true;
  auto rep = tools::run(*coordinator, *source, defs, targets, env, ro, d.interrupt().requested, sink);
  d.interrupt().cooperative = false;
  if (!rep) return std::move(rep).error();
  json out = render(*rep);
  if (d.format() == Format::table) {
    d.print(out["tools"], {{"name", "action", "reason", "provider_tool_id", "error"}});
    const auto& c = out["counts"];
    d.notice(std::to_string(c["tenants"].get<std::size_t>()) + " tenant(s), " +
             std::to_string(c["assistants"].get<std::size_t>()) + " assistant(s): " +
             std::to_string(out["assistants_missing_links"].size()) + " missing links, " +
             std::to_string(out["links_to_remove"].size()) + " with links to remove, " +
             std::to_string(out["native_tools"].size()) + " native tool(s), " +
             std::to_string(c["assistants_patched"].get<std::size_t>()) + " patched, " +
             std::to_string(c["assistants_failed"].get<std::size_t>()) + " failed");
    for (const auto& f : out["failures"])
      d.notice("failed: " + f.dump());
    if (out.contains("drift"))
      for (const auto& f : out["drift"])
        d.notice("drift: " + f["finding"].get<std::string>());
  } else {
    d.print(out);
  }
  CRM_TRY(tools::run_result(*rep));
  if (exit_code && rep->changes() > 0)
    return make_error(ErrorKind::findings,
                      std::to_string(rep->changes()) + " change(s) pending: run `crmctl tools sync`");
  return {};
}

} // namespace crm::cmd::tools_support
