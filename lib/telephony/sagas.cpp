// The number sagas: buy, activate, release, route. Each provider call that changes state has an
// intent row committed before it; unknown outcomes are resolved by reading the provider.
#include "core/e164.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "telephony/agents.hpp"
#include "telephony/saga.hpp"

#include <regex>

namespace crm::telephony {

using detail::Operation;
using nlohmann::json;

namespace {

namespace tw = providers::twilio;
namespace el = providers::elevenlabs;

/// The friendly name crmctl gives a number it buys: the tenant slug and the operation, so a
/// purchase whose answer was lost can be found again (at most 64 characters, Twilio's limit).
std::string purchase_marker(const std::string& slug, const std::string& op_id) {
  std::string hex;
  for (char c : op_id)
    if (c != '-' && hex.size() < 12) hex += c;
  return slug.substr(0, 40) + " crmctl:" + hex;
}

NumberResult unchanged(NumberRecord rec, std::string note) {
  NumberResult r;
  r.number = std::move(rec);
  r.notes.push_back(std::move(note));
  return r;
}

/// Adds what to do next to an error whose outcome at the provider is not known.
Error reconcile_advice(Error e, const tenant::TenantRef& t) {
  e.message += "; run `crmctl number reconcile --tenant " + t.slug + " --fix` to settle it";
  return e;
}

/// A buy whose intent row is committed: call Twilio, then record or undo.
Result<NumberResult> run_purchase(NumberEnv& env, const tw::Account& acct, Operation op) {
  tw::Purchase p;
  p.phone_number = op.e164;
  p.area_code = op.refs.value("area_code", "");
  p.friendly_name = op.refs.value("friendly_name", "");
  p.voice_url = env.urls.voice;
  p.sms_url = env.urls.sms;
  p.status_callback = env.urls.status;
  auto bought = tw::buy(env.http, acct, p);
  std::optional<tw::IncomingNumber> number;
  if (bought) {
    number = *bought;
  } else if (bought.error().kind == ErrorKind::outcome_unknown) {
    // The purchase may have happened: read Twilio's state, never send it again.
    auto found = detail::find_purchase(env, acct, op);
    if (!found)
      return reconcile_advice(
          Error{ErrorKind::outcome_unknown,
                "the purchase" + (op.e164.empty() ? "" : " of " + op.e164) +
                    " got no answer and Twilio could not be asked whether it happened (" +
                    found.error().message + ")"},
          env.tenant);
    if (!*found) {
      std::string why = "Twilio did not answer the purchase and does not list the number: "
                        "nothing was bought";
      CRM_TRY(detail::abandon_purchase(env, op, why));
      return Error{ErrorKind::upstream, why + "; run the command again"};
    }
    number = **found;
  } else {
    Error e = std::move(bought).error();
    if (e.kind == ErrorKind::interrupted || e.http_status > 0 || e.kind == ErrorKind::upstream) {
      // Refused (4xx), rate limited past the retries, or never sent: nothing was bought.
      if (auto a = detail::abandon_purchase(env, op, e.message); !a)
        return std::move(a).error().with_context("after " + e.message);
      if (e.provider_code == "21422")
        e.message += ": pick another number with `crmctl number search`";
      else if (e.provider_code == "21452")
        e.message += ": try another area code or `crmctl number search`";
      return e;
    }
    return reconcile_advice(std::move(e), env.tenant);
  }
  if (number->account_sid.empty()) number->account_sid = acct.account_sid;
  if (number->friendly_name.empty()) number->friendly_name = p.friendly_name;
  auto rec = detail::complete_purchase(env, op, *number);
  if (!rec) {
    Error e = std::move(rec).error();
    e.message = "Twilio sold " + number->phone_number + " (" + number->sid +
                ") but recording it failed: " + e.message;
    return reconcile_advice(std::move(e), env.tenant);
  }
  NumberResult out;
  out.number = *rec;
  out.operation_id = op.id;
  out.changed = true;
  return out;
}

/// Continues an operation found by its idempotency key.
Result<NumberResult> resume_buy(NumberEnv& env, const tw::Account& acct, const Operation& op) {
  if (op.kind != "buy")
    return make_error(ErrorKind::conflict, "idempotency key '" + op.idempotency_key +
                                               "' belongs to a " + op.kind + " operation");
  if (op.state == "done") {
    CRM_TRY_ASSIGN(auto rec, detail::tenant_step(env, [&](db::TenantTx& tx) {
                     return find_number(tx, env.tenant, op.e164);
                   }));
    auto r = unchanged(rec, "operation " + op.id + " already bought " + op.e164);
    r.operation_id = op.id;
    return r;
  }
  if (op.state == "failed" || op.state == "compensated")
    return make_error(ErrorKind::conflict, "operation " + op.id + " with this idempotency key " +
                                               "failed: " + op.error +
                                               "; use a new key to try again");
  auto found = detail::find_purchase(env, acct, op);
  if (!found) return reconcile_advice(std::move(found).error(), env.tenant);
  if (!*found) {
    std::string why = "an interrupted purchase that Twilio does not list: nothing was bought";
    CRM_TRY(detail::abandon_purchase(env, op, why));
    return make_error(ErrorKind::upstream,
                      "operation " + op.id + " was " + why + "; run the command with a new key");
  }
  CRM_TRY_ASSIGN(auto rec, detail::complete_purchase(env, op, **found));
  NumberResult r;
  r.number = rec;
  r.operation_id = op.id;
  r.changed = true;
  r.notes.push_back("resumed operation " + op.id + ": Twilio had bought the number");
  return r;
}

/// What the reservation step decided.
struct Reservation {
  std::optional<NumberRecord> existing; // already the tenant's: nothing to buy
  Operation op;
};

} // namespace

// --- buy -------------------------------------------------------------------------------------

Result<NumberResult> buy_number(NumberEnv& env, const BuyRequest& req_in, DryRun dry_run) {
  BuyRequest req = req_in;
  if (req.e164.empty() == req.area_code.empty())
    return make_error(ErrorKind::usage, "pass exactly one of --number E164 or --area-code NNN");
  if (!req.e164.empty()) {
    CRM_TRY_ASSIGN(req.e164, parse_e164(req.e164));
  }
  static const std::regex k_area(R"([2-9][0-9]{2})");
  if (!req.area_code.empty() && !std::regex_match(req.area_code, k_area))
    return make_error(ErrorKind::usage, "--area-code '" + req.area_code +
                                            "' is not a 3-digit North American area code");
  for (auto& c : req.country)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::regex k_country(R"([A-Z]{2})");
  if (!std::regex_match(req.country, k_country))
    return make_error(ErrorKind::usage,
                      "--country '" + req.country + "' is not an ISO 3166 code like US or CA");
  if (!req.idempotency_key.empty())
    CRM_TRY(check_text(req.idempotency_key, TextRule("--idempotency-key", 200)));
  CRM_TRY_ASSIGN(auto acct, env.accounts.need_twilio(env.tenant));

  if (!req.idempotency_key.empty()) {
    CRM_TRY_ASSIGN(auto prior, detail::tenant_step(env, [&](db::TenantTx& tx) {
                     return detail::operation_by_key(tx, req.idempotency_key);
                   }));
    if (prior) return resume_buy(env, acct, *prior);
  }

  std::string op_id = uuid_v4();
  json refs = {{"account_sid", acct.account_sid},
               {"account_source", source_name(env.accounts.twilio_source)},
               {"friendly_name", purchase_marker(env.tenant.slug, op_id)}};
  if (!req.area_code.empty()) {
    refs["area_code"] = req.area_code;
    refs["country"] = req.country;
  }

  // Reserve the number for this tenant (globally) and write the intent, in one transaction.
  auto reserve = [&](db::AdminTx& admin, detail::InTenant& in) -> Result<Reservation> {
    bool routed_here = false;
    if (!req.e164.empty()) {
      CRM_TRY_ASSIGN(auto ins, admin.exec("INSERT INTO number_routes (e164, org_id) VALUES ($1, "
                                          "$2) ON CONFLICT (e164) DO NOTHING RETURNING e164",
                                          {req.e164, env.tenant.id}));
      if (ins.empty()) {
        CRM_TRY_ASSIGN(auto owner, admin.exec("SELECT org_id::text AS org FROM number_routes "
                                              "WHERE e164 = $1",
                                              {req.e164}));
        if (!owner.empty() && owner.get(0, "org") != env.tenant.id)
          return make_error(ErrorKind::conflict, req.e164 + " belongs to another tenant");
        routed_here = true;
      }
    }
    return in([&](db::TenantTx& tx) -> Result<Reservation> {
      Reservation res;
      if (routed_here) {
        CRM_TRY_ASSIGN(auto rec, detail::read_number(tx, env.tenant, req.e164));
        if (rec &&
            (rec->status == "purchased" || rec->status == "importing" || rec->status == "active")) {
          res.existing = rec;
          return res;
        }
        if (rec && rec->status == "purchasing")
          return make_error(ErrorKind::conflict, "a purchase of " + req.e164 +
                                                     " is already in flight: wait for it, or "
                                                     "run `crmctl number reconcile --tenant " +
                                                     env.tenant.slug + " --fix`");
        if (rec && rec->status == "releasing")
          return make_error(ErrorKind::conflict,
                            req.e164 +
                                " is being released: finish it with `crmctl number "
                                "release --tenant " +
                                env.tenant.slug + " " + req.e164 + "` first");
      }
      if (!req.e164.empty())
        CRM_TRY(tx.exec("INSERT INTO phone_numbers (org_id, e164, status, twilio_account_sid, "
                        "friendly_name) VALUES ($1, $2, 'purchasing', $3, $4) ON CONFLICT (org_id, "
                        "e164) DO UPDATE SET status = 'purchasing', twilio_account_sid = "
                        "EXCLUDED.twilio_account_sid, friendly_name = EXCLUDED.friendly_name, "
                        "updated_at = now()",
                        {tx.org_id(), req.e164, acct.account_sid, refs["friendly_name"]}));
      std::string key = req.idempotency_key.empty() ? op_id : req.idempotency_key;
      CRM_TRY_ASSIGN(res.op,
                     detail::open_operation(tx, op_id, key, "buy", req.e164, "purchase", refs));
      return res;
    });
  };

  if (dry_run == DryRun::yes) {
    // Check everything the real run checks, then roll back.
    auto tx = env.conn.admin();
    if (!tx) return std::move(tx).error();
    detail::InTenant in(**tx, env.scope);
    CRM_TRY_ASSIGN(auto res, reserve(**tx, in));
    NumberResult r;
    r.dry_run = true;
    if (res.existing) {
      r.number = *res.existing;
      r.notes.push_back(req.e164 + " is already the tenant's number: nothing to buy");
      return r;
    }
    r.number.tenant = env.tenant.slug;
    r.number.e164 = req.e164;
    r.number.status = "purchasing";
    r.number.twilio_account_sid = acct.account_sid;
    r.number.friendly_name = refs["friendly_name"];
    r.notes.push_back(
        "would buy " + (req.e164.empty() ? "a number in area code " + req.area_code : req.e164) +
        " on the " + source_name(env.accounts.twilio_source) + " Twilio account " +
        acct.account_sid + " with VoiceUrl " + env.urls.voice + " and SmsUrl " + env.urls.sms);
    return r;
  }

  auto reserved = detail::routing_step(env, reserve);
  if (!reserved) {
    if (reserved.error().sqlstate == "23505")
      return make_error(ErrorKind::conflict,
                        req.e164 + " is being bought right now by another command");
    return std::move(reserved).error();
  }
  if (reserved->existing)
    return unchanged(*reserved->existing, req.e164 + " is already the tenant's number");
  return run_purchase(env, acct, reserved->op);
}

// --- agents for activation ---------------------------------------------------------------------

Result<bool> AgentDirectory::exists(http::Client& http, const el::Account& a,
                                    const std::string& agent_id) {
  {
    std::lock_guard lk(m_mu);
    auto& known = m_known[a.api_key];
    if (auto it = known.find(agent_id); it != known.end()) return it->second;
    if (m_listed[a.api_key]) return false;
  }
  if (m_prefer_list) {
    // One list per workspace: workers that need it meanwhile wait for it.
    std::lock_guard once(m_list_mu);
    {
      std::lock_guard lk(m_mu);
      if (m_listed[a.api_key]) return m_known[a.api_key].count(agent_id) > 0;
    }
    auto all = el::list_agents(http, a);
    std::lock_guard lk(m_mu);
    ++m_requests;
    if (!all) return std::move(all).error();
    auto& known = m_known[a.api_key];
    for (const auto& ag : *all)
      known[ag.agent_id] = true;
    m_listed[a.api_key] = true;
    return known.count(agent_id) > 0;
  }
  auto one = el::get_agent(http, a, agent_id);
  std::lock_guard lk(m_mu);
  ++m_requests;
  if (!one) return std::move(one).error();
  m_known[a.api_key][agent_id] = one->has_value();
  return one->has_value();
}

int AgentDirectory::requests() const {
  std::lock_guard lk(m_mu);
  return m_requests;
}

namespace {

/// The elevenlabs agent to assign: `ref` (our UUID or the provider id), or the only one.
Result<AgentInfo> pick_agent(db::TenantTx& tx, const tenant::TenantRef& t, const std::string& ref) {
  std::string create =
      "`crmctl agent create --tenant " + t.slug + " --provider elevenlabs --external-id AGENT_ID`";
  if (!ref.empty()) {
    auto found = find_agent(tx, t, ref, "elevenlabs");
    if (!found && found.error().kind == ErrorKind::not_found)
      if (auto other = find_agent(tx, t, ref))
        return make_error(ErrorKind::usage,
                          "agent '" + ref + "' is a " + other->provider +
                              " agent: ElevenLabs numbers need an elevenlabs agent");
    if (!found) return std::move(found).error();
    if (found->status == "disabled")
      return make_error(ErrorKind::conflict, "agent '" + ref + "' is disabled");
    return *found;
  }
  CRM_TRY_ASSIGN(auto all, list_agents(tx, t, {"elevenlabs", ""}));
  std::vector<AgentInfo> usable;
  for (auto& a : all)
    if (a.status != "disabled") usable.push_back(std::move(a));
  if (usable.empty())
    return make_error(ErrorKind::usage, "tenant '" + t.slug +
                                            "' has no ElevenLabs agent: register one with " +
                                            create);
  if (usable.size() > 1) {
    std::string ids;
    for (const auto& a : usable)
      ids += (ids.empty() ? "" : ", ") + a.external_id;
    return make_error(ErrorKind::usage, "tenant '" + t.slug +
                                            "' has several ElevenLabs agents: pass --agent (" +
                                            ids + ")");
  }
  return usable.front();
}

} // namespace

// --- activate --------------------------------------------------------------------------------

Result<NumberResult> activate_number(NumberEnv& env, const std::string& e164_in,
                                     const std::string& agent_ref, AgentDirectory& agents,
                                     DryRun dry_run) {
  CRM_TRY_ASSIGN(auto e164, parse_e164(e164_in));
  if (!agent_ref.empty()) CRM_TRY(check_text(agent_ref, TextRule("--agent", 200)));
  struct Start {
    NumberRecord rec;
    AgentInfo agent;
  };
  CRM_TRY_ASSIGN(auto start, detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<Start> {
                   CRM_TRY_ASSIGN(auto rec, find_number(tx, env.tenant, e164));
                   CRM_TRY_ASSIGN(auto agent, pick_agent(tx, env.tenant, agent_ref));
                   return Start{rec, agent};
                 }));
  NumberRecord rec = start.rec;
  const AgentInfo& agent = start.agent;
  if (rec.status == "purchasing" || rec.status == "releasing" || rec.status == "released" ||
      rec.status == "failed")
    return make_error(ErrorKind::conflict,
                      e164 + " is " + rec.status + ", not purchased: " +
                          (rec.status == "purchasing" ? "run `crmctl number reconcile --tenant " +
                                                            env.tenant.slug + " --fix` first"
                                                      : "buy it again with `crmctl number buy`"));
  if (rec.status == "active" && rec.agent_id == agent.id && !rec.elevenlabs_phone_number_id.empty())
    return unchanged(rec, e164 + " is already active with agent " + agent.external_id);
  CRM_TRY_ASSIGN(auto twilio, env.accounts.twilio_for(env.tenant, rec.twilio_account_sid));
  CRM_TRY_ASSIGN(auto eleven, env.accounts.need_elevenlabs(env.tenant));

  if (dry_run == DryRun::yes) {
    NumberResult r;
    r.dry_run = true;
    r.number = rec;
    r.notes.push_back((rec.elevenlabs_phone_number_id.empty()
                           ? "would import " + e164 + " into ElevenLabs and assign agent "
                           : "would assign agent ") +
                      agent.external_id);
    return r;
  }

  CRM_TRY_ASSIGN(bool agent_exists, agents.exists(env.http, eleven, agent.external_id));
  if (!agent_exists)
    return make_error(ErrorKind::not_found, "ElevenLabs has no agent '" + agent.external_id +
                                                "' in the workspace of tenant '" + env.tenant.slug +
                                                "'");

  std::string label = env.tenant.slug + " " + e164;
  std::string op_id = uuid_v4();
  std::string el_id = rec.elevenlabs_phone_number_id;
  CRM_TRY_ASSIGN(auto op, detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<Operation> {
                   CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'importing', updated_at = "
                                   "now() WHERE org_id = $1 AND e164 = $2",
                                   {tx.org_id(), e164}));
                   return detail::open_operation(tx, op_id, op_id, "activate", e164,
                                                 el_id.empty() ? "import" : "assign",
                                                 {{"agent", agent.external_id}, {"label", label}});
                 }));

  // Leaves the number purchased (imported or not) and the operation failed.
  auto fail = [&](Error e) -> Result<NumberResult> {
    op.state = "failed";
    op.error = e.message;
    auto undo = detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<void> {
      // An active number whose re-assignment failed stays active with its old agent.
      CRM_TRY(tx.exec("UPDATE phone_numbers SET status = $4, "
                      "elevenlabs_phone_number_id = nullif($3, ''), updated_at = now() WHERE "
                      "org_id = $1 AND e164 = $2",
                      {tx.org_id(), e164, el_id, rec.status == "active" ? "active" : "purchased"}));
      CRM_TRY(detail::set_operation(tx, op));
      return detail::audit(tx, env, "number.activate", e164, {{"operation_id", op.id}}, "error",
                           e.message);
    });
    if (!undo) return std::move(undo).error().with_context("after " + e.message);
    return e;
  };

  if (el_id.empty()) {
    auto imported = el::import_twilio_number(env.http, eleven,
                                             {e164, label, twilio.account_sid, twilio.auth_token});
    if (imported) {
      el_id = *imported;
    } else if (imported.error().kind == ErrorKind::outcome_unknown ||
               imported.error().http_status == 409) {
      // Imported already (lost answer, or imported by hand): find it, never import twice.
      auto list = el::list_phone_numbers(env.http, eleven);
      if (!list)
        return reconcile_advice(
            Error{ErrorKind::outcome_unknown,
                  "the import of " + e164 +
                      " got no answer and ElevenLabs could not be asked whether "
                      "it happened (" +
                      list.error().message + ")"},
            env.tenant);
      for (const auto& p : *list)
        if (p.phone_number == e164) el_id = p.phone_number_id;
      if (el_id.empty()) return fail(std::move(imported).error());
    } else {
      return fail(std::move(imported).error());
    }
    op.step = "assign";
    op.refs["elevenlabs_phone_number_id"] = el_id;
    if (auto stepped = detail::tenant_step(
            env,
            [&](db::TenantTx& tx) -> Result<void> {
              CRM_TRY(
                  tx.exec("UPDATE phone_numbers SET elevenlabs_phone_number_id = $3, updated_at = "
                          "now() WHERE org_id = $1 AND e164 = $2",
                          {tx.org_id(), e164, el_id}));
              return detail::set_operation(tx, op);
            });
        !stepped)
      return std::move(stepped).error();
  }

  if (auto a = el::assign_agent(env.http, eleven, el_id, agent.external_id); !a)
    return fail(std::move(a).error());

  CRM_TRY_ASSIGN(auto done, detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<NumberRecord> {
                   CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'active', agent_id = "
                                   "$3::uuid, elevenlabs_phone_number_id = $4, updated_at = now() "
                                   "WHERE org_id = $1 AND e164 = $2",
                                   {tx.org_id(), e164, agent.id, el_id}));
                   op.step = "assigned";
                   op.state = "done";
                   CRM_TRY(detail::set_operation(tx, op));
                   CRM_TRY(detail::audit(tx, env, "number.activate", e164,
                                         {{"operation_id", op.id},
                                          {"agent", agent.external_id},
                                          {"elevenlabs_phone_number_id", el_id}},
                                         "ok"));
                   return find_number(tx, env.tenant, e164);
                 }));
  NumberResult r;
  r.number = done;
  r.operation_id = op.id;
  r.changed = true;
  return r;
}

// --- release ---------------------------------------------------------------------------------

Result<NumberResult> release_number(NumberEnv& env, const std::string& e164_in, DryRun dry_run) {
  CRM_TRY_ASSIGN(auto e164, parse_e164(e164_in));
  CRM_TRY_ASSIGN(auto rec, detail::tenant_step(env, [&](db::TenantTx& tx) {
                   return find_number(tx, env.tenant, e164);
                 }));
  if (rec.status == "released") return unchanged(rec, e164 + " is already released");
  if (rec.status == "purchasing")
    return make_error(ErrorKind::conflict, "a purchase of " + e164 +
                                               " is in flight: run `crmctl number reconcile "
                                               "--tenant " +
                                               env.tenant.slug + " --fix` first");
  std::optional<tw::Account> twilio;
  if (!rec.twilio_sid.empty()) {
    CRM_TRY_ASSIGN(twilio, env.accounts.twilio_for(env.tenant, rec.twilio_account_sid));
  }
  std::optional<el::Account> eleven;
  if (!rec.elevenlabs_phone_number_id.empty()) {
    CRM_TRY_ASSIGN(eleven, env.accounts.need_elevenlabs(env.tenant));
  }
  if (dry_run == DryRun::yes) {
    NumberResult r;
    r.dry_run = true;
    r.number = rec;
    if (eleven)
      r.notes.push_back("would delete ElevenLabs phone number " + rec.elevenlabs_phone_number_id);
    if (twilio) r.notes.push_back("would release " + rec.twilio_sid + " on Twilio");
    r.notes.push_back("would mark " + e164 + " released and free its route");
    return r;
  }
  std::string op_id = uuid_v4();
  CRM_TRY_ASSIGN(auto op, detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<Operation> {
                   CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'releasing', updated_at = "
                                   "now() WHERE org_id = $1 AND e164 = $2",
                                   {tx.org_id(), e164}));
                   return detail::open_operation(
                       tx, op_id, op_id, "release", e164,
                       eleven ? "elevenlabs_delete" : "twilio_release",
                       {{"twilio_sid", rec.twilio_sid},
                        {"elevenlabs_phone_number_id", rec.elevenlabs_phone_number_id}});
                 }));
  auto fail = [&](Error e) -> Result<NumberResult> {
    op.state = "failed";
    op.error = e.message;
    auto r = detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<void> {
      CRM_TRY(detail::set_operation(tx, op));
      return detail::audit(tx, env, "number.release", e164, {{"operation_id", op.id}}, "error",
                           e.message);
    });
    if (!r) return std::move(r).error().with_context("after " + e.message);
    e.message += " (" + e164 + " stays 'releasing'; run the release again to finish it)";
    return e;
  };
  if (eleven) {
    auto d = el::delete_phone_number(env.http, *eleven, rec.elevenlabs_phone_number_id);
    if (!d) return fail(std::move(d).error());
    op.step = "twilio_release";
    if (auto stepped = detail::tenant_step(
            env,
            [&](db::TenantTx& tx) -> Result<void> {
              CRM_TRY(tx.exec(
                  "UPDATE phone_numbers SET elevenlabs_phone_number_id = NULL, updated_at = "
                  "now() WHERE org_id = $1 AND e164 = $2",
                  {tx.org_id(), e164}));
              return detail::set_operation(tx, op);
            });
        !stepped)
      return std::move(stepped).error();
  }
  if (twilio) {
    auto d = tw::release(env.http, *twilio, rec.twilio_sid);
    if (!d) return fail(std::move(d).error());
    if (!*d) op.refs["twilio_already_gone"] = true;
  }
  CRM_TRY_ASSIGN(
      auto done,
      detail::routing_step(
          env, [&](db::AdminTx& admin, detail::InTenant& in) -> Result<NumberRecord> {
            CRM_TRY(admin.exec("DELETE FROM number_routes WHERE e164 = $1 AND org_id = $2",
                               {e164, env.tenant.id}));
            return in([&](db::TenantTx& tx) -> Result<NumberRecord> {
              CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'released', agent_id = "
                              "NULL, elevenlabs_phone_number_id = NULL, updated_at = now() "
                              "WHERE org_id = $1 AND e164 = $2",
                              {tx.org_id(), e164}));
              op.step = "released";
              op.state = "done";
              CRM_TRY(detail::set_operation(tx, op));
              CRM_TRY(detail::audit(tx, env, "number.release", e164,
                                    {{"operation_id", op.id}, {"twilio_sid", rec.twilio_sid}},
                                    "ok"));
              return find_number(tx, env.tenant, e164);
            });
          }));
  NumberResult r;
  r.number = done;
  r.operation_id = op.id;
  r.changed = true;
  return r;
}

// --- route -----------------------------------------------------------------------------------

Result<NumberResult> route_number(NumberEnv& env, const std::string& e164_in, bool ai_on,
                                  const std::string& forward_to_in, DryRun dry_run) {
  CRM_TRY_ASSIGN(auto e164, parse_e164(e164_in));
  std::string forward_to = forward_to_in;
  if (!forward_to.empty()) {
    CRM_TRY_ASSIGN(forward_to, parse_e164(forward_to));
  }
  if (forward_to == e164)
    return make_error(ErrorKind::usage, "--forward-to must differ from the number itself");
  CRM_TRY_ASSIGN(auto rec, detail::tenant_step(env, [&](db::TenantTx& tx) {
                   return find_number(tx, env.tenant, e164);
                 }));
  if (rec.status != "purchased" && rec.status != "active" && rec.status != "importing")
    return make_error(ErrorKind::conflict, e164 + " is " + rec.status +
                                               ": only a purchased or "
                                               "active number can be routed");
  if (forward_to.empty()) forward_to = rec.forward_to;
  if (!ai_on && forward_to.empty())
    return make_error(
        ErrorKind::usage,
        "--forward-to E164 is required the first time a number is routed to its owner");
  CRM_TRY_ASSIGN(auto twilio, env.accounts.twilio_for(env.tenant, rec.twilio_account_sid));
  std::string ai_url;
  CRM_TRY_ASSIGN(auto stored,
                 detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<std::string> {
                   CRM_TRY_ASSIGN(auto r, tx.exec("SELECT coalesce(ai_voice_url, '') AS u FROM "
                                                  "phone_numbers WHERE org_id = $1 AND e164 = $2",
                                                  {tx.org_id(), e164}));
                   return r.get(0, "u");
                 }));
  ai_url = stored;
  if (!ai_on && ai_url.empty() && dry_run == DryRun::no) {
    // Remember what the AI answers on today (ElevenLabs points imported numbers at itself), so
    // that --ai on puts it back.
    CRM_TRY_ASSIGN(auto live, tw::fetch(env.http, twilio, rec.twilio_sid));
    if (!live)
      return make_error(ErrorKind::not_found,
                        "Twilio no longer has " + e164 + " (" + rec.twilio_sid +
                            "): run `crmctl number reconcile --tenant " + env.tenant.slug + "`");
    if (!live->voice_url.empty() && !env.urls.is_forward(live->voice_url)) ai_url = live->voice_url;
  }
  std::string target =
      ai_on ? (ai_url.empty() ? env.urls.voice : ai_url) : env.urls.forward_to(forward_to);
  if (dry_run == DryRun::yes) {
    NumberResult r;
    r.dry_run = true;
    r.number = rec;
    r.notes.push_back("would point the VoiceUrl of " + e164 + " at " + target);
    return r;
  }
  std::string op_id = uuid_v4();
  CRM_TRY_ASSIGN(auto op, detail::tenant_step(env, [&](db::TenantTx& tx) {
                   return detail::open_operation(tx, op_id, op_id, "route", e164, "update",
                                                 {{"voice_url", target}, {"ai", ai_on}});
                 }));
  auto updated = tw::update(env.http, twilio, rec.twilio_sid, {target, {}, {}, {}});
  if (!updated) {
    Error e = std::move(updated).error();
    op.state = "failed";
    op.error = e.message;
    auto r = detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<void> {
      CRM_TRY(detail::set_operation(tx, op));
      return detail::audit(tx, env, "number.route", e164, {{"operation_id", op.id}}, "error",
                           e.message);
    });
    if (!r) return std::move(r).error().with_context("after " + e.message);
    return e;
  }
  CRM_TRY_ASSIGN(
      auto done, detail::tenant_step(env, [&](db::TenantTx& tx) -> Result<NumberRecord> {
        CRM_TRY(tx.exec("UPDATE phone_numbers SET ai_enabled = $3, forward_to = "
                        "nullif($4, ''), ai_voice_url = nullif($5, ''), updated_at = "
                        "now() WHERE org_id = $1 AND e164 = $2",
                        {tx.org_id(), e164, ai_on ? "true" : "false", forward_to, ai_url}));
        op.state = "done";
        op.step = "updated";
        CRM_TRY(detail::set_operation(tx, op));
        CRM_TRY(detail::audit(tx, env, "number.route", e164,
                              {{"operation_id", op.id}, {"ai", ai_on}, {"forward_to", forward_to}},
                              "ok"));
        return find_number(tx, env.tenant, e164);
      }));
  NumberResult r;
  r.number = done;
  r.operation_id = op.id;
  r.changed = rec.ai_enabled != ai_on || rec.forward_to != forward_to;
  if (!r.changed) r.notes.push_back("already routed that way; the VoiceUrl was set again");
  return r;
}

} // namespace crm::telephony

namespace crm::telephony {

// --- bulk activation -------------------------------------------------------------------------

db::FanOutReport activate_pending(const std::vector<db::FanOutTarget>& tenants,
                                  const db::FanOutOptions& options, db::ConnectionSource& source,
                                  const std::atomic<bool>& cancel, const FanOutEventSink& events,
                                  BulkEnv& bulk, const std::string& agent, AgentDirectory& agents,
                                  std::vector<TenantActivation>& out) {
  std::mutex mu;
  auto work = [&](db::Connection& c, const db::FanOutTarget& target) -> db::ItemOutcome {
    TenantActivation mine;
    auto run = [&]() -> Status {
      tenant::TenantRef t;
      {
        CRM_TRY_ASSIGN(auto tx, c.admin());
        CRM_TRY_ASSIGN(t, tenant::resolve(*tx, target.id));
      }
      CRM_TRY(tenant::require_active(t));
      mine.tenant = t.slug;
      auto scope = tenant::scope_of(t, bulk.tenancy);
      std::vector<std::string> pending;
      Accounts accounts;
      {
        CRM_TRY_ASSIGN(auto tx, c.tenant(scope));
        CRM_TRY_ASSIGN(accounts, resolve_accounts(*tx, t, bulk.key, bulk.platform));
        CRM_TRY_ASSIGN(auto list, list_numbers(*tx, t));
        for (const auto& n : list)
          if (n.status == "purchased") pending.push_back(n.e164);
      }
      NumberEnv env{c, t, scope, bulk.actor, bulk.http, accounts, bulk.urls};
      for (const auto& e164 : pending) {
        if (cancel.load()) return make_error(ErrorKind::interrupted, "interrupted");
        auto r = activate_number(env, e164, agent, agents, DryRun::no);
        if (r)
          mine.activated.push_back(std::move(*r));
        else
          mine.errors.push_back(e164 + ": " + r.error().message);
      }
      return {};
    };
    auto st = run();
    std::size_t n_ok = mine.activated.size(), n_bad = mine.errors.size();
    {
      std::lock_guard lk(mu);
      out.push_back(mine);
    }
    if (!st) return db::ItemOutcome::from_error(st.error());
    if (n_bad > 0) {
      db::ItemOutcome o;
      o.status = db::ItemStatus::failed;
      o.detail = std::to_string(n_bad) + " failed: " + mine.errors.front();
      return o;
    }
    return db::ItemOutcome::ok(std::to_string(n_ok) + " activated");
  };
  return db::fan_out(tenants, options, source, cancel, events, work);
}

} // namespace crm::telephony
