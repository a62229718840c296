#include "tools/sync.hpp"
#include "core/text.hpp"
#include "db/audit.hpp"
#include "telephony/agents.hpp"
#include "tools/registry.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace crm::tools {
namespace {

using nlohmann::json;
namespace vapi = providers::vapi;

constexpr std::int32_t k_lock_space = 0x544f4f4c; // "TOOL"

bool mutating(const RunOptions& o) {
  return (o.verb == Verb::sync || o.verb == Verb::prune) && o.dry_run == DryRun::no;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// A session-level advisory lock held for the run on the coordinator.
class HeldLock {
public:
  explicit HeldLock(db::Connection& c) : m_conn(c) {}
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  ~HeldLock() {
    if (m_held) (void)db::release_lock(m_conn, sync_lock_key());
  }
  Status acquire(std::chrono::milliseconds wait, Clock& clock) {
    if (wait.count() <= 0) {
      CRM_TRY_ASSIGN(bool got, db::try_lock(m_conn, sync_lock_key()));
      if (!got) {
        std::string who;
        if (auto holders = db::lock_holders(m_conn, sync_lock_key()); holders && !holders->empty())
          who = " (pid " + std::to_string(holders->front().pid) + ", " +
                holders->front().application_name + ", running for " + holders->front().age + ")";
        return make_error(ErrorKind::conflict,
                          "another `crmctl tools sync` or `tools prune` is running" + who +
                              ": wait for it, or pass --lock-timeout to wait");
      }
    } else {
      CRM_TRY(db::acquire_lock(m_conn, sync_lock_key(), wait, clock));
    }
    m_held = true;
    return {};
  }

private:
  db::Connection& m_conn;
  bool m_held = false;
};

/// Remote tools whose function name is `name` and whose fields carry `definition`.
std::vector<const vapi::Tool*> matching(const std::vector<vapi::Tool>& remote,
                                        const std::string& name, const json& definition) {
  std::vector<const vapi::Tool*> out;
  for (const auto& t : remote)
    if (t.name == name && matches_remote(definition, t.body)) out.push_back(&t);
  return out;
}

/// Decides each defined tool's action, and `remove` for registry rows no longer defined.
std::vector<ToolAction> decide(const std::vector<Definition>& defs,
                               const std::map<std::string, RegistryRow>& registry,
                               const std::vector<vapi::Tool>& remote, Mode mode,
                               std::vector<std::string>& findings) {
  std::map<std::string, const vapi::Tool*> by_id;
  for (const auto& t : remote)
    by_id[t.id] = &t;
  std::vector<ToolAction> out;
  for (const auto& d : defs) {
    ToolAction a;
    a.name = d.name;
    a.hash = d.hash;
    auto row = registry.find(d.name);
    if (row != registry.end()) a.recorded_hash = row->second.definition_hash;
    const vapi::Tool* live = nullptr;
    if (row != registry.end() && !row->second.provider_tool_id.empty()) {
      a.provider_tool_id = row->second.provider_tool_id;
      auto it = by_id.find(a.provider_tool_id);
      if (it != by_id.end()) live = it->second;
    }
    if (live) {
      bool trusted = mode == Mode::cached && a.hash == a.recorded_hash &&
                     !row->second.updated_at.empty() && live->updated_at == row->second.updated_at;
      if (a.hash != a.recorded_hash) {
        a.action = "update";
        a.reason = "definition changed (recorded hash " + a.recorded_hash.substr(0, 12) + ")";
        findings.push_back("tool " + d.name + ": definition changed since it was recorded");
      } else if (!trusted && !matches_remote(d.body, live->body)) {
        a.action = "update";
        a.reason = "edited outside crmctl (Vapi differs from the definition)";
        findings.push_back("tool " + d.name + " (" + live->id +
                           "): edited outside crmctl, Vapi differs from the definition");
      } else {
        a.action = "unchanged";
      }
    } else if (row != registry.end() && !row->second.provider_tool_id.empty()) {
      a.action = "register";
      a.previous_provider_tool_id = a.provider_tool_id;
      a.provider_tool_id.clear();
      a.reason = "deleted at Vapi (was " + a.previous_provider_tool_id + ")";
      findings.push_back("tool " + d.name + ": " + a.previous_provider_tool_id +
                         " was deleted at Vapi");
    } else {
      auto same = matching(remote, d.name, d.body);
      if (!same.empty()) {
        a.action = "adopt";
        a.provider_tool_id = same.front()->id;
        a.reason = row != registry.end() ? "registration interrupted; found at Vapi"
                                         : "found at Vapi with the same definition";
      } else {
        a.action = "register";
        a.reason = row != registry.end() ? "registration interrupted; not at Vapi" : "new";
      }
      findings.push_back("tool " + d.name + ": not registered" +
                         (row != registry.end() ? " (registration interrupted)" : ""));
    }
    out.push_back(std::move(a));
  }
  for (const auto& [name, row] : registry) {
    if (std::any_of(defs.begin(), defs.end(), [&](const Definition& d) { return d.name == name; }))
      continue;
    ToolAction a;
    a.name = name;
    a.action = "remove";
    a.reason = "no longer defined";
    a.recorded_hash = row.definition_hash;
    a.provider_tool_id = row.provider_tool_id;
    if (a.provider_tool_id.empty()) {
      auto same = matching(remote, name, row.definition);
      if (!same.empty()) a.provider_tool_id = same.front()->id;
    }
    findings.push_back("tool " + name + ": recorded but no longer defined (tools prune removes it)");
    out.push_back(std::move(a));
  }
  return out;
}

Status audit(db::Tx& tx, const Env& env, const std::string& org_id, const std::string& action,
             const std::string& target, const json& args) {
  db::AuditEvent e;
  e.actor = env.actor.name;
  e.org_id = org_id;
  e.action = action;
  e.target = target;
  e.arguments_json = tenant::audit_args(env.actor, args.dump());
  return db::write_audit(tx, e);
}

/// Registers a tool: intent row, POST, record. An unknown outcome is settled by listing.
Status register_tool(db::Connection& c, Env& env, const Definition& d, ToolAction& a) {
  {
    CRM_TRY_ASSIGN(auto tx, c.admin());
    CRM_TRY(write_intent(*tx, d));
    CRM_TRY(tx->commit());
  }
  auto created = vapi::create_tool(env.http, env.vapi, d.body);
  vapi::Tool t;
  if (created) {
    t = std::move(*created);
  } else if (created.error().kind == ErrorKind::outcome_unknown) {
    CRM_TRY_ASSIGN(auto remote, vapi::list_tools(env.http, env.vapi));
    auto same = matching(remote, d.name, d.body);
    if (same.empty())
      return make_error(ErrorKind::upstream,
                        "registering " + d.name +
                            " got no answer and Vapi has no such tool: it was not created; run "
                            "`crmctl tools sync` again");
    t = *same.front();
    a.reason += "; the answer was lost, found at Vapi";
  } else {
    return std::move(created).error();
  }
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY(record_tool(*tx, d.name, d.body, d.hash, t.id, t.updated_at));
  CRM_TRY(audit(*tx, env, "", "tools.register", "tools/" + d.name,
                {{"provider_tool_id", t.id}, {"definition_hash", d.hash}}));
  CRM_TRY(tx->commit());
  a.provider_tool_id = t.id;
  return {};
}

Status apply_tool(db::Connection& c, Env& env, const Definition& d, ToolAction& a,
                  const std::map<std::string, RegistryRow>& registry,
                  const std::vector<vapi::Tool>& remote) {
  if (a.action == "register") return register_tool(c, env, d, a);
  if (a.action == "update") {
    auto u = vapi::update_tool(env.http, env.vapi, a.provider_tool_id, d.body);
    if (!u && u.error().kind == ErrorKind::not_found) {
      // Deleted at Vapi between the list and the update: register it again.
      a.previous_provider_tool_id = a.provider_tool_id;
      a.provider_tool_id.clear();
      a.action = "register";
      a.reason = "deleted at Vapi during the sync (was " + a.previous_provider_tool_id + ")";
      return register_tool(c, env, d, a);
    }
    if (!u) return std::move(u).error();
    CRM_TRY_ASSIGN(auto tx, c.admin());
    CRM_TRY(record_tool(*tx, d.name, d.body, d.hash, u->id, u->updated_at));
    CRM_TRY(audit(*tx, env, "", "tools.update", "tools/" + d.name,
                  {{"provider_tool_id", u->id}, {"definition_hash", d.hash}}));
    return tx->commit();
  }
  // adopt, or unchanged with Vapi's updatedAt not yet recorded: record without any provider write.
  std::string updated_at;
  for (const auto& t : remote)
    if (t.id == a.provider_tool_id) updated_at = t.updated_at;
  auto row = registry.find(d.name);
  if (a.action == "unchanged" && row != registry.end() && row->second.updated_at == updated_at &&
      row->second.definition_hash == d.hash)
    return {};
  CRM_TRY_ASSIGN(auto tx, c.admin());
  CRM_TRY(record_tool(*tx, d.name, d.body, d.hash, a.provider_tool_id, updated_at));
  if (a.action == "adopt")
    CRM_TRY(audit(*tx, env, "", "tools.adopt", "tools/" + d.name,
                  {{"provider_tool_id", a.provider_tool_id}, {"definition_hash", d.hash}}));
  return tx->commit();
}

/// What every tenant's work shares (read-only during the fan-out).
struct Shared {
  const RunOptions* options = nullptr;
  Env* env = nullptr;
  const std::vector<Definition>* defs = nullptr;
  std::map<std::string, std::string> provider_id_of;   // tool name -> Vapi id to link
  std::map<std::string, std::string> uuid_of;          // tool name -> our UUID
  std::map<std::string, std::string> name_of_provider; // every Vapi id we own -> tool name
  std::set<std::string> remove_ids;                    // ids to unlink
  std::set<std::string> undefined_uuids;               // prune: org_tools rows to delete
  std::map<std::string, std::string> remote_type;      // Vapi tool id -> type
  std::vector<std::string> planned_new;                // names with no id yet (plan)
  std::map<std::string, vapi::Assistant> listed;       // Mode::cached
  bool listed_ok = false;
};

/// The merged model an assistant should get: its own tool ids minus `remove`, plus ours; with
/// Native::remove, inline native tools dropped.
json merged_model(const vapi::Assistant& a, const std::vector<std::string>& ids, bool drop_native) {
  json model = a.model;
  model["toolIds"] = ids;
  if (drop_native && model.contains("tools") && model["tools"].is_array()) {
    json kept = json::array();
    for (const auto& t : model["tools"])
      if (!(t.is_object() && is_native_interceptor(t.value("type", "")))) kept.push_back(t);
    model["tools"] = kept;
  }
  return model;
}

/// One assistant: read, compare, patch when asked. Fills `r`; returns the tool ids it now has.
std::vector<std::string> work_assistant(const Shared& s, const std::string& assistant_id,
                                        const std::map<std::string, Link>& links,
                                        AssistantResult& r) {
  const RunOptions& o = *s.options;
  Env& env = *s.env;
  std::optional<vapi::Assistant> a;
  if (o.mode == Mode::cached && s.listed_ok) {
    auto it = s.listed.find(assistant_id);
    if (it != s.listed.end()) a = it->second;
  } else {
    auto got = vapi::get_assistant(env.http, env.vapi, assistant_id);
    if (!got) {
      r.error = got.error().message;
      return {};
    }
    a = std::move(*got);
  }
  if (!a) {
    r.error = "assistant " + assistant_id + " not found at Vapi (404)";
    return {};
  }
  const std::vector<std::string> current = a->tool_ids();
  bool drop_native = o.verb == Verb::prune && o.native == Native::remove;
  // Links to add: every defined tool (with a Vapi id) the assistant lacks; tools to be registered
  // are missing everywhere.
  for (const auto& d : *s.defs) {
    auto id = s.provider_id_of.find(d.name);
    if (id == s.provider_id_of.end()) {
      if (contains(s.planned_new, d.name) && o.verb != Verb::prune) r.missing.push_back(d.name);
      continue;
    }
    if (!contains(current, id->second) && o.verb != Verb::prune) r.missing.push_back(d.name);
  }
  std::vector<std::string> next;
  for (const auto& id : current) {
    auto type = s.remote_type.find(id);
    bool native = type != s.remote_type.end() && is_native_interceptor(type->second);
    if (native) r.native.push_back({{"where", "model.toolIds"}, {"id", id}, {"type", type->second}});
    if (s.remove_ids.count(id) || (drop_native && native)) {
      r.remove.push_back(id);
      continue;
    }
    if (!s.name_of_provider.count(id)) r.foreign.push_back(id);
    next.push_back(id);
  }
  bool inline_native = false;
  for (const auto& t : a->inline_tools())
    if (t.is_object() && is_native_interceptor(t.value("type", ""))) {
      r.native.push_back({{"where", "model.tools"}, {"type", t.value("type", "")}});
      inline_native = true;
    }
  for (const auto& name : r.missing) {
    auto id = s.provider_id_of.find(name);
    if (id != s.provider_id_of.end()) next.push_back(id->second);
  }
  if (o.verb == Verb::verify) {
    for (const auto& [uuid, link] : links) {
      if (!contains(link.assistant_ids, assistant_id)) continue;
      for (const auto& [name, u] : s.uuid_of) {
        if (u != uuid) continue;
        auto id = s.provider_id_of.find(name);
        if (id != s.provider_id_of.end() && !contains(current, id->second))
          r.drift.push_back("link to " + name + " removed outside crmctl");
        for (const auto& d : *s.defs)
          if (d.name == name && d.hash != link.definition_hash)
            r.drift.push_back("org_tools records " + name + " at hash " +
                              link.definition_hash.substr(0, 12) + ", the definition is " +
                              d.hash.substr(0, 12));
      }
    }
    for (const auto& name : r.missing)
      r.drift.push_back("not linked to " + name);
    for (const auto& n : r.native)
      r.drift.push_back("native interceptor tool " + n.value("type", "") + " present");
  }
  bool change = !r.missing.empty() || !r.remove.empty() || (drop_native && inline_native);
  if (!mutating(o) || !change) return current;
  // Only ids we can link (tools registered now); a tool whose registration failed stays missing.
  auto patched = vapi::update_assistant_model(env.http, env.vapi, assistant_id,
                                              merged_model(*a, next, drop_native));
  if (!patched) {
    r.error = patched.error().message;
    return current;
  }
  r.patched = true;
  return patched->tool_ids();
}

/// One tenant: its vapi agents, each assistant, then org_tools and the audit row.
db::ItemOutcome work_tenant(const Shared& s, db::Connection& c, const db::FanOutTarget& target,
                            std::vector<AssistantResult>& mine, std::string& tenant_error) {
  const RunOptions& o = *s.options;
  Env& env = *s.env;
  auto run = [&]() -> Status {
    tenant::TenantRef t;
    {
      CRM_TRY_ASSIGN(auto tx, c.admin());
      CRM_TRY_ASSIGN(t, tenant::resolve(*tx, target.id));
    }
    CRM_TRY(tenant::require_active(t));
    auto scope = tenant::scope_of(t, env.tenancy);
    std::vector<std::string> assistants;
    std::map<std::string, Link> links;
    {
      CRM_TRY_ASSIGN(auto tx, c.tenant(scope));
      CRM_TRY_ASSIGN(auto agents, telephony::list_agents(*tx, t, {"vapi", ""}));
      for (const auto& a : agents)
        if (a.status != "disabled") assistants.push_back(a.external_id);
      CRM_TRY_ASSIGN(links, load_links(*tx));
    }
    std::map<std::string, std::vector<std::string>> now; // assistant -> tool ids after the run
    bool any_error = false;
    for (const auto& id : assistants) {
      AssistantResult r;
      r.tenant = t.slug;
      r.org_id = t.id;
      r.assistant_id = id;
      auto ids = work_assistant(s, id, links, r);
      if (r.error.empty())
        now[id] = ids;
      else
        any_error = true;
      mine.push_back(std::move(r));
    }
    if (!mutating(o)) return {};
    CRM_TRY_ASSIGN(auto tx, c.tenant(scope));
    json patched = json::array();
    for (const auto& r : mine)
      if (r.patched) patched.push_back(r.assistant_id);
    bool wrote = false;
    if (o.verb == Verb::sync) {
      for (const auto& d : *s.defs) {
        auto uuid = s.uuid_of.find(d.name);
        auto pid = s.provider_id_of.find(d.name);
        if (uuid == s.uuid_of.end() || pid == s.provider_id_of.end()) continue;
        std::vector<std::string> linked;
        for (const auto& [aid, ids] : now)
          if (contains(ids, pid->second)) linked.push_back(aid);
        // An assistant we could not read keeps whatever was recorded for it.
        auto old = links.find(uuid->second);
        if (old != links.end())
          for (const auto& aid : old->second.assistant_ids)
            if (!now.count(aid) && contains(assistants, aid)) linked.push_back(aid);
        std::sort(linked.begin(), linked.end());
        linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
        if (old != links.end() && old->second.definition_hash == d.hash &&
            old->second.assistant_ids == linked)
          continue;
        if (old == links.end() && linked.empty()) continue;
        CRM_TRY(write_link(*tx, uuid->second, d.hash, linked));
        wrote = true;
      }
    } else if (!any_error) { // prune: the rows of tools no longer defined
      for (const auto& uuid : s.undefined_uuids)
        if (links.count(uuid)) {
          CRM_TRY(delete_link(*tx, uuid));
          wrote = true;
        }
    }
    if (wrote || !patched.empty())
      CRM_TRY(audit(*tx, env, t.id, o.verb == Verb::sync ? "tools.link" : "tools.prune",
                    "tenant/" + t.slug, {{"assistants_patched", patched}}));
    CRM_TRY(tx->commit());
    return {};
  };
  auto st = run();
  if (!st) {
    tenant_error = st.error().message;
    return db::ItemOutcome::from_error(st.error());
  }
  std::size_t failed = 0, patched = 0;
  std::string first;
  for (const auto& r : mine) {
    if (!r.error.empty()) {
      if (first.empty()) first = r.assistant_id + ": " + r.error;
      ++failed;
    }
    if (r.patched) ++patched;
  }
  if (failed) {
    db::ItemOutcome out;
    out.status = db::ItemStatus::failed;
    out.detail = std::to_string(failed) + " assistant(s) failed: " + first;
    return out;
  }
  return db::ItemOutcome::ok(std::to_string(mine.size()) + " assistant(s), " +
                             std::to_string(patched) + " patched");
}

} // namespace

const char* verb_name(Verb v) {
  switch (v) {
  case Verb::plan:
    return "plan";
  case Verb::sync:
    return "sync";
  case Verb::verify:
    return "verify";
  case Verb::prune:
    return "prune";
  }
  return "?";
}

db::LockKey sync_lock_key() {
  return {k_lock_space, "tools:sync"};
}

std::size_t Report::changes() const {
  std::size_t n = 0;
  for (const auto& t : tools)
    if (t.action != "unchanged" && (verb != Verb::sync || t.action != "remove")) ++n;
  for (const auto& a : assistants)
    if (a.error.empty() && a.changes()) ++n;
  return n;
}

std::size_t Report::failures() const {
  std::size_t n = tenant_failures.size();
  for (const auto& t : tools)
    if (!t.error.empty()) ++n;
  for (const auto& a : assistants)
    if (!a.error.empty()) ++n;
  return n;
}

Result<Report> run(db::Connection& coordinator, db::ConnectionSource& source,
                   const std::vector<Definition>& defs,
                   const std::vector<db::FanOutTarget>& tenants, Env& env,
                   const RunOptions& options, const std::atomic<bool>& cancel,
                   const FanOutEventSink& events) {
  Report rep;
  rep.verb = options.verb;
  rep.dry_run = options.dry_run == DryRun::yes;
  rep.mode = options.mode;
  rep.tenants = tenants.size();
  HeldLock lock(coordinator);
  if (options.verb == Verb::sync || options.verb == Verb::prune)
    CRM_TRY(lock.acquire(options.lock_wait, env.clock));

  std::map<std::string, RegistryRow> registry;
  {
    CRM_TRY_ASSIGN(auto tx, coordinator.admin());
    CRM_TRY_ASSIGN(registry, load_registry(*tx));
  }
  CRM_TRY_ASSIGN(auto remote, vapi::list_tools(env.http, env.vapi));
  rep.tools = decide(defs, registry, remote, options.mode, rep.findings);

  // Apply the tool phase (sync: register/update/adopt; prune writes nothing here).
  if (mutating(options) && options.verb == Verb::sync) {
    for (auto& a : rep.tools) {
      if (a.action == "remove") continue;
      if (cancel.load()) return make_error(ErrorKind::interrupted, "interrupted: rerun to finish");
      const Definition* d = nullptr;
      for (const auto& x : defs)
        if (x.name == a.name) d = &x;
      auto st = apply_tool(coordinator, env, *d, a, registry, remote);
      if (!st) {
        if (st.error().kind == ErrorKind::config || st.error().kind == ErrorKind::db_unavailable)
          return std::move(st).error();
        a.error = st.error().message;
      } else {
        a.applied = a.action != "unchanged";
      }
    }
    CRM_TRY_ASSIGN(auto tx, coordinator.admin());
    CRM_TRY_ASSIGN(registry, load_registry(*tx));
  }

  Shared s;
  s.options = &options;
  s.env = &env;
  s.defs = &defs;
  for (const auto& t : remote)
    s.remote_type[t.id] = t.type;
  for (const auto& [name, row] : registry) {
    s.uuid_of[name] = row.id;
    if (!row.provider_tool_id.empty()) s.name_of_provider[row.provider_tool_id] = name;
  }
  for (const auto& a : rep.tools) {
    if (!a.previous_provider_tool_id.empty()) {
      s.remove_ids.insert(a.previous_provider_tool_id);
      s.name_of_provider[a.previous_provider_tool_id] = a.name;
    }
    if (a.action == "remove") {
      if (!a.provider_tool_id.empty()) {
        s.name_of_provider[a.provider_tool_id] = a.name;
        if (options.verb == Verb::prune || options.verb == Verb::plan)
          s.remove_ids.insert(a.provider_tool_id);
      }
      auto row = registry.find(a.name);
      if (row != registry.end()) s.undefined_uuids.insert(row->second.id);
      continue;
    }
    if (!a.error.empty()) continue;
    bool has_id = !a.provider_tool_id.empty();
    // Sync links what exists now; plan and dry runs link by name what a sync would register.
    if (has_id && (mutating(options) || a.action == "unchanged" || a.action == "update" ||
                   a.action == "adopt"))
      s.provider_id_of[a.name] = a.provider_tool_id;
    else if (!mutating(options))
      s.planned_new.push_back(a.name);
  }
  if (options.mode == Mode::cached && !tenants.empty()) {
    CRM_TRY_ASSIGN(auto listed, vapi::list_assistants(env.http, env.vapi));
    for (auto& a : listed)
      s.listed[a.id] = std::move(a);
    s.listed_ok = true;
  }

  std::mutex mu;
  std::map<std::string, std::vector<AssistantResult>> by_tenant;
  auto work = [&](db::Connection& c, const db::FanOutTarget& target) -> db::ItemOutcome {
    std::vector<AssistantResult> mine;
    std::string tenant_error;
    auto out = work_tenant(s, c, target, mine, tenant_error);
    std::lock_guard lk(mu);
    by_tenant[target.id] = std::move(mine);
    if (!tenant_error.empty())
      rep.tenant_failures.push_back(
          {target.label.empty() ? target.id : target.label, tenant_error});
    return out;
  };
  if (!tenants.empty()) {
    auto fo = options.fan_out;
    fo.on_error = db::OnError::keep_going;
    rep.fan_out = db::fan_out(tenants, fo, source, cancel, events, work);
  }
  for (const auto& t : tenants) {
    auto it = by_tenant.find(t.id);
    if (it == by_tenant.end()) continue;
    for (auto& a : it->second)
      rep.assistants.push_back(std::move(a));
  }

  // prune: delete tools no longer defined, once no assistant links them (whole fleet only).
  if (mutating(options) && options.verb == Verb::prune) {
    bool clean = rep.fan_out.failed_count() == 0 && rep.fan_out.not_attempted.empty() &&
                 rep.tenant_failures.empty();
    for (auto& a : rep.tools) {
      if (a.action != "remove") continue;
      if (!options.whole_fleet) {
        a.reason += "; unlinked for the selected tenant only (prune every tenant to delete it)";
        continue;
      }
      if (!clean) {
        a.error = "not deleted: some tenants failed, their assistants may still link it";
        continue;
      }
      if (!a.provider_tool_id.empty()) {
        auto del = vapi::delete_tool(env.http, env.vapi, a.provider_tool_id);
        if (!del) {
          a.error = del.error().message;
          continue;
        }
      }
      auto row = registry.find(a.name);
      if (row != registry.end()) {
        auto st = [&]() -> Status {
          CRM_TRY_ASSIGN(auto tx, coordinator.admin());
          CRM_TRY(delete_tool_row(*tx, row->second.id));
          CRM_TRY(audit(*tx, env, "", "tools.delete", "tools/" + a.name,
                        {{"provider_tool_id", a.provider_tool_id}}));
          return tx->commit();
        }();
        if (!st) {
          a.error = st.error().message;
          continue;
        }
      }
      a.applied = true;
    }
  }
  return rep;
}

Result<void> run_result(const Report& report) {
  if (report.fan_out.status == db::FanOutStatus::interrupted ||
      report.fan_out.status == db::FanOutStatus::db_unavailable)
    return db::fan_out_result(report.fan_out, "tenant");
  std::vector<std::string> failures;
  for (const auto& t : report.tools)
    if (!t.error.empty()) failures.push_back("tool " + t.name + ": " + t.error);
  for (const auto& t : report.tenant_failures)
    failures.push_back("tenant " + t.tenant + ": " + t.error);
  for (const auto& a : report.assistants)
    if (!a.error.empty()) failures.push_back(a.tenant + "/" + a.assistant_id + ": " + a.error);
  if (!failures.empty()) {
    std::vector<std::string> first(failures.begin(),
                                   failures.begin() + static_cast<long>(std::min<std::size_t>(
                                                          failures.size(), 10)));
    return make_error(ErrorKind::partial, std::to_string(failures.size()) + " failure(s): " +
                                              join(first, "; "));
  }
  if (report.verb == Verb::verify) {
    std::size_t drift = report.findings.size();
    for (const auto& a : report.assistants)
      drift += a.drift.size();
    if (drift > 0)
      return make_error(ErrorKind::findings,
                        std::to_string(drift) + " drift finding(s): run `crmctl tools plan` to see "
                                                "what `tools sync` would change");
  }
  return {};
}

} // namespace crm::tools
