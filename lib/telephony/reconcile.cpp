// Reconcile: the database against Twilio and ElevenLabs, with safe repairs.
#include "telephony/saga.hpp"

#include <set>

namespace crm::telephony {

using detail::Operation;
using nlohmann::json;
namespace tw = providers::twilio;
namespace el = providers::elevenlabs;

Result<const std::vector<tw::IncomingNumber>*> ProviderSnapshot::twilio(http::Client& http,
                                                                        const tw::Account& a) {
  {
    std::lock_guard lk(m_mu);
    if (auto it = m_twilio.find(a.account_sid); it != m_twilio.end()) return &it->second;
  }
  CRM_TRY_ASSIGN(auto list, tw::list_numbers(http, a));
  std::lock_guard lk(m_mu);
  return &(m_twilio[a.account_sid] = std::move(list));
}

Result<const std::vector<el::PhoneNumber>*> ProviderSnapshot::elevenlabs(http::Client& http,
                                                                         const el::Account& a) {
  {
    std::lock_guard lk(m_mu);
    if (auto it = m_el.find(a.api_key); it != m_el.end()) return &it->second;
  }
  CRM_TRY_ASSIGN(auto list, el::list_phone_numbers(http, a));
  std::lock_guard lk(m_mu);
  return &(m_el[a.api_key] = std::move(list));
}

void ProviderSnapshot::clear() {
  std::lock_guard lk(m_mu);
  m_twilio.clear();
  m_el.clear();
}

namespace {

const tw::IncomingNumber* by_sid(const std::vector<tw::IncomingNumber>& list,
                                 const std::string& sid) {
  for (const auto& n : list)
    if (n.sid == sid) return &n;
  return nullptr;
}

const el::PhoneNumber* by_id(const std::vector<el::PhoneNumber>& list, const std::string& id) {
  for (const auto& p : list)
    if (p.phone_number_id == id) return &p;
  return nullptr;
}

/// The friendly-name marker of a crmctl purchase (" crmctl:" + 12 hex at the end).
bool has_marker(const std::string& name) {
  auto at = name.rfind(" crmctl:");
  return at != std::string::npos && name.size() - at == 8 + 12;
}

class Reconciler {
public:
  Reconciler(NumberEnv& env, ProviderSnapshot& snap, const ReconcileOptions& o)
      : m_env(env), m_snap(snap), m_opts(o) {}

  Result<std::vector<Finding>> run() {
    struct Db {
      std::vector<NumberRecord> records;
      std::vector<Operation> ops;
      std::map<std::string, std::string> ai_urls;
    };
    CRM_TRY_ASSIGN(auto db, detail::tenant_step(m_env, [&](db::TenantTx& tx) -> Result<Db> {
                     Db d;
                     CRM_TRY_ASSIGN(d.records, list_numbers(tx, m_env.tenant, true));
                     CRM_TRY_ASSIGN(d.ops, detail::open_operations(tx, m_opts.min_age));
                     CRM_TRY_ASSIGN(auto r, tx.exec("SELECT e164, coalesce(ai_voice_url, '') AS u "
                                                    "FROM phone_numbers WHERE org_id = $1",
                                                    {tx.org_id()}));
                     for (std::size_t i = 0; i < r.size(); ++i)
                       d.ai_urls[r.get(i, "e164")] = r.get(i, "u");
                     return d;
                   }));
    m_ai_urls = std::move(db.ai_urls);
    // Numbers whose open operation is still unsettled are judged by that operation alone.
    std::set<std::string> unsettled;
    for (const auto& op : db.ops) {
      std::size_t first = m_findings.size();
      CRM_TRY(operation(op));
      for (std::size_t i = first; i < m_findings.size(); ++i)
        if (!m_findings[i].fixed && !op.e164.empty()) unsettled.insert(op.e164);
    }
    if (m_fixed_any) {
      // Fixes changed records: read them again before comparing.
      m_snap.clear();
      CRM_TRY_ASSIGN(db.records, detail::tenant_step(m_env, [&](db::TenantTx& tx) {
                       return list_numbers(tx, m_env.tenant, true);
                     }));
    }
    for (const auto& rec : db.records)
      if (!unsettled.count(rec.e164)) CRM_TRY(record(rec));
    CRM_TRY(unrecorded(db.records));
    return m_findings;
  }

private:
  Finding& add(const std::string& e164, const std::string& kind, const std::string& detail,
               bool fixable) {
    m_findings.push_back({m_env.tenant.slug, e164, kind, detail, fixable, false, ""});
    return m_findings.back();
  }

  /// Applies `fix` when --fix is given and the finding is fixable.
  void apply(Finding& f, const std::function<Status()>& fix) {
    if (!m_opts.fix || !f.fixable) return;
    auto r = fix();
    if (r) {
      f.fixed = true;
      m_fixed_any = true;
    } else {
      f.fix_error = r.error().message;
    }
  }

  Status audit_fix(db::Tx& tx, const Finding& f) {
    return detail::audit(tx, m_env, "number.reconcile", f.e164,
                         {{"kind", f.kind}, {"detail", f.detail}}, "ok");
  }

  // --- open operations ---

  Status operation(const Operation& op) {
    if (op.kind == "buy") return open_buy(op);
    if (op.kind == "activate") {
      auto& f = add(op.e164, "activation_interrupted",
                    "activation " + op.id + " stopped at step " + op.step +
                        ": run `crmctl number activate` again",
                    true);
      apply(f, [&] { return close_activation(op, f); });
      return {};
    }
    if (op.kind == "release") {
      auto& f = add(op.e164, "release_incomplete",
                    "release " + op.id + " stopped at step " + op.step, true);
      apply(f, [&]() -> Status {
        if (auto stepped = detail::tenant_step(m_env,
                                               [&](db::TenantTx& tx) -> Status {
                                                 Operation o = op;
                                                 o.state = "failed";
                                                 o.error = "interrupted; finished by reconcile";
                                                 return detail::set_operation(tx, o);
                                               });
            !stepped)
          return std::move(stepped).error();
        CRM_TRY(release_number(m_env, op.e164, DryRun::no));
        return {};
      });
      return {};
    }
    // route: setting the VoiceUrl is repeatable; close it and let the URL check judge.
    auto& f = add(op.e164, "route_interrupted",
                  "routing " + op.id + " stopped before it was recorded", true);
    apply(f, [&]() -> Status {
      return detail::tenant_step(m_env, [&](db::TenantTx& tx) -> Status {
        Operation o = op;
        o.state = "failed";
        o.error = "interrupted; closed by reconcile";
        CRM_TRY(detail::set_operation(tx, o));
        return audit_fix(tx, f);
      });
    });
    return {};
  }

  Status open_buy(const Operation& op) {
    auto acct = m_env.accounts.twilio_for(m_env.tenant, op.refs.value("account_sid", ""));
    if (!acct) {
      add(op.e164, "purchase_unresolved", acct.error().message, false);
      return {};
    }
    CRM_TRY_ASSIGN(auto list, m_snap.twilio(m_env.http, *acct));
    std::string marker = op.refs.value("friendly_name", "");
    const tw::IncomingNumber* found = nullptr;
    for (const auto& n : *list)
      if (!marker.empty() && n.friendly_name == marker &&
          (op.e164.empty() || n.phone_number == op.e164))
        found = &n;
    if (found) {
      auto& f = add(found->phone_number, "bought_unrecorded",
                    "Twilio sold " + found->phone_number + " (" + found->sid + ") to operation " +
                        op.id + " but it was never recorded",
                    true);
      tw::IncomingNumber n = *found;
      apply(f, [&]() -> Status {
        if (n.account_sid.empty()) n.account_sid = acct->account_sid;
        CRM_TRY(detail::complete_purchase(m_env, op, n));
        return {};
      });
    } else {
      auto& f = add(op.e164, "purchase_not_made",
                    "operation " + op.id +
                        " never got an answer and Twilio does not list the "
                        "number: nothing was bought",
                    true);
      apply(f, [&] {
        return detail::abandon_purchase(m_env, op,
                                        "closed by reconcile: Twilio has no such number");
      });
    }
    return {};
  }

  Status close_activation(const Operation& op, const Finding& f) {
    // Record an import that happened, then leave the number purchased for a new activation.
    std::string el_id = op.refs.value("elevenlabs_phone_number_id", "");
    if (el_id.empty() && m_env.accounts.elevenlabs) {
      CRM_TRY_ASSIGN(auto list, m_snap.elevenlabs(m_env.http, *m_env.accounts.elevenlabs));
      for (const auto& p : *list)
        if (p.phone_number == op.e164) el_id = p.phone_number_id;
    }
    return detail::tenant_step(m_env, [&](db::TenantTx& tx) -> Status {
      CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'purchased', elevenlabs_phone_number_id "
                      "= coalesce(nullif($3, ''), elevenlabs_phone_number_id), updated_at = now() "
                      "WHERE org_id = $1 AND e164 = $2 AND status = 'importing'",
                      {tx.org_id(), op.e164, el_id}));
      Operation o = op;
      o.state = "failed";
      o.error = "interrupted; closed by reconcile";
      CRM_TRY(detail::set_operation(tx, o));
      return audit_fix(tx, f);
    });
  }

  // --- records ---

  Status record(const NumberRecord& rec) {
    if (rec.status == "released" || rec.status == "failed" || rec.status == "purchasing") return {};
    if (rec.status == "releasing") {
      auto& f = add(rec.e164, "release_incomplete", "the release was interrupted", true);
      apply(f, [&]() -> Status {
        CRM_TRY(release_number(m_env, rec.e164, DryRun::no));
        return {};
      });
      return {};
    }
    if (rec.twilio_sid.empty()) return {};
    auto acct = m_env.accounts.twilio_for(m_env.tenant, rec.twilio_account_sid);
    if (!acct) {
      add(rec.e164, "account_missing", acct.error().message, false);
      return {};
    }
    CRM_TRY_ASSIGN(auto list, m_snap.twilio(m_env.http, *acct));
    const tw::IncomingNumber* live = by_sid(*list, rec.twilio_sid);
    if (!live) {
      auto& f =
          add(rec.e164, "recorded_but_gone",
              "Twilio no longer has " + rec.twilio_sid + " on account " + acct->account_sid, true);
      apply(f, [&] { return forget(rec, f); });
      return {};
    }
    CRM_TRY(urls(rec, *live, *acct));
    return elevenlabs(rec);
  }

  /// The voice URL a number should have, or "" when any non-forward URL is right (an imported
  /// number whose AI URL ElevenLabs set and crmctl has not seen yet).
  std::string expected_voice(const NumberRecord& rec) const {
    if (!rec.ai_enabled) return m_env.urls.forward_to(rec.forward_to);
    auto it = m_ai_urls.find(rec.e164);
    if (it != m_ai_urls.end() && !it->second.empty()) return it->second;
    if (rec.elevenlabs_phone_number_id.empty()) return m_env.urls.voice;
    return "";
  }

  Status urls(const NumberRecord& rec, const tw::IncomingNumber& live, const tw::Account& acct) {
    tw::Update u;
    std::string what;
    std::string voice = expected_voice(rec);
    bool voice_wrong = voice.empty()
                           ? m_env.urls.is_forward(live.voice_url) || live.voice_url.empty()
                           : live.voice_url != voice;
    if (voice_wrong) {
      u.voice_url = voice.empty() ? m_env.urls.voice : voice;
      what += "VoiceUrl is '" + live.voice_url + "', expected '" + *u.voice_url + "'";
    }
    if (live.sms_url != m_env.urls.sms) {
      u.sms_url = m_env.urls.sms;
      what += std::string(what.empty() ? "" : "; ") + "SmsUrl is '" + live.sms_url +
              "', expected '" + m_env.urls.sms + "'";
    }
    if (what.empty()) return {};
    auto& f = add(rec.e164, "wrong_webhook_url", what, true);
    apply(f, [&]() -> Status {
      CRM_TRY(tw::update(m_env.http, acct, rec.twilio_sid, u));
      return detail::tenant_step(m_env, [&](db::TenantTx& tx) { return audit_fix(tx, f); });
    });
    return {};
  }

  Status elevenlabs(const NumberRecord& rec) {
    if (!m_env.accounts.elevenlabs) {
      if (!rec.elevenlabs_phone_number_id.empty())
        add(rec.e164, "account_missing",
            "no ElevenLabs credentials to check " + rec.elevenlabs_phone_number_id, false);
      return {};
    }
    const auto& acct = *m_env.accounts.elevenlabs;
    CRM_TRY_ASSIGN(auto list, m_snap.elevenlabs(m_env.http, acct));
    if (rec.elevenlabs_phone_number_id.empty()) {
      for (const auto& p : *list)
        if (p.phone_number == rec.e164) {
          auto& f =
              add(rec.e164, "import_unrecorded",
                  "ElevenLabs has it as " + p.phone_number_id + " but it is not recorded", true);
          std::string id = p.phone_number_id;
          apply(f, [&] {
            return detail::tenant_step(m_env, [&](db::TenantTx& tx) -> Status {
              CRM_TRY(tx.exec("UPDATE phone_numbers SET elevenlabs_phone_number_id = $3, "
                              "updated_at = now() WHERE org_id = $1 AND e164 = $2",
                              {tx.org_id(), rec.e164, id}));
              return audit_fix(tx, f);
            });
          });
          return {};
        }
      add(rec.e164, "not_imported",
          "bought but not in ElevenLabs: run `crmctl number activate --tenant " +
              m_env.tenant.slug + " " + rec.e164 + "`",
          false);
      return {};
    }
    const el::PhoneNumber* live = by_id(*list, rec.elevenlabs_phone_number_id);
    if (!live) {
      auto& f = add(rec.e164, "import_missing",
                    "ElevenLabs no longer has " + rec.elevenlabs_phone_number_id +
                        ": the record is cleared; activate the number again",
                    true);
      apply(f, [&] {
        return detail::tenant_step(m_env, [&](db::TenantTx& tx) -> Status {
          CRM_TRY(tx.exec("UPDATE phone_numbers SET elevenlabs_phone_number_id = NULL, agent_id "
                          "= NULL, status = 'purchased', updated_at = now() WHERE org_id = $1 "
                          "AND e164 = $2",
                          {tx.org_id(), rec.e164}));
          return audit_fix(tx, f);
        });
      });
      return {};
    }
    if (rec.status == "active" && live->agent_id != rec.agent_external_id) {
      auto& f = add(rec.e164, "wrong_agent",
                    "ElevenLabs assigns '" + live->agent_id + "', expected '" +
                        rec.agent_external_id + "'",
                    !rec.agent_external_id.empty());
      apply(f, [&]() -> Status {
        CRM_TRY(el::assign_agent(m_env.http, acct, rec.elevenlabs_phone_number_id,
                                 rec.agent_external_id));
        return detail::tenant_step(m_env, [&](db::TenantTx& tx) { return audit_fix(tx, f); });
      });
    }
    return {};
  }

  /// A number gone at Twilio: the ElevenLabs import goes too, the record is released, the route
  /// freed.
  Status forget(const NumberRecord& rec, const Finding& f) {
    if (!rec.elevenlabs_phone_number_id.empty() && m_env.accounts.elevenlabs)
      CRM_TRY(el::delete_phone_number(m_env.http, *m_env.accounts.elevenlabs,
                                      rec.elevenlabs_phone_number_id));
    return detail::routing_step(m_env, [&](db::AdminTx& admin, detail::InTenant& in) -> Status {
      CRM_TRY(admin.exec("DELETE FROM number_routes WHERE e164 = $1 AND org_id = $2",
                         {rec.e164, m_env.tenant.id}));
      return in([&](db::TenantTx& tx) -> Status {
        CRM_TRY(tx.exec("UPDATE phone_numbers SET status = 'released', agent_id = NULL, "
                        "elevenlabs_phone_number_id = NULL, updated_at = now() WHERE org_id = $1 "
                        "AND e164 = $2",
                        {tx.org_id(), rec.e164}));
        return audit_fix(tx, f);
      });
    });
  }

  // --- numbers the providers have and the tenant does not record ---

  Status unrecorded(const std::vector<NumberRecord>& records) {
    std::set<std::string> recorded_sids;
    for (const auto& r : records)
      if (r.status != "released" && !r.twilio_sid.empty()) recorded_sids.insert(r.twilio_sid);
    std::vector<tw::Account> accounts;
    if (m_env.accounts.twilio) accounts.push_back(*m_env.accounts.twilio);
    if (m_env.accounts.platform.twilio &&
        (!m_env.accounts.twilio ||
         m_env.accounts.platform.twilio->account_sid != m_env.accounts.twilio->account_sid))
      accounts.push_back(*m_env.accounts.platform.twilio);
    std::string mine = m_env.tenant.slug.substr(0, 40) + " crmctl:";
    for (const auto& acct : accounts) {
      CRM_TRY_ASSIGN(auto list, m_snap.twilio(m_env.http, acct));
      for (const auto& n : *list) {
        if (recorded_sids.count(n.sid)) continue;
        if (has_marker(n.friendly_name) && n.friendly_name.rfind(mine, 0) == 0) {
          // Bought by one of this tenant's operations that gave up on it (or was lost).
          CRM_TRY_ASSIGN(auto op, detail::tenant_step(m_env, [&](db::TenantTx& tx) {
                           return detail::operation_by_marker(tx, n.friendly_name);
                         }));
          if (op && (op->state == "failed" || op->state == "done")) {
            auto& f = add(n.phone_number, "bought_unrecorded",
                          "Twilio holds " + n.phone_number + " (" + n.sid +
                              ") bought by operation " + op->id + ", which recorded no number",
                          true);
            tw::IncomingNumber copy = n;
            if (copy.account_sid.empty()) copy.account_sid = acct.account_sid;
            apply(f, [&]() -> Status {
              CRM_TRY(detail::complete_purchase(m_env, *op, copy));
              return {};
            });
            continue;
          }
        }
        // Only the tenant's own account is the tenant's business; the platform account holds
        // every tenant's numbers (reported by untracked_platform_numbers).
        if (m_env.accounts.twilio_source == AccountSource::tenant && m_env.accounts.twilio &&
            acct.account_sid == m_env.accounts.twilio->account_sid)
          add(n.phone_number, "untracked",
              "Twilio account " + acct.account_sid + " holds " + n.phone_number + " (" + n.sid +
                  ") that crmctl never recorded: adopt it with care or release it in Twilio",
              false);
      }
    }
    return {};
  }

  NumberEnv& m_env;
  ProviderSnapshot& m_snap;
  ReconcileOptions m_opts;
  std::vector<Finding> m_findings;
  std::map<std::string, std::string> m_ai_urls;
  bool m_fixed_any = false;
};

} // namespace

Result<std::vector<Finding>> reconcile_tenant(NumberEnv& env, ProviderSnapshot& snapshot,
                                              const ReconcileOptions& options) {
  Reconciler r(env, snapshot, options);
  return r.run();
}

Result<std::vector<Finding>> untracked_platform_numbers(http::Client& http, const Platform& p,
                                                        ProviderSnapshot& snapshot,
                                                        const std::vector<std::string>& recorded) {
  std::vector<Finding> out;
  if (!p.twilio) return out;
  std::set<std::string> known(recorded.begin(), recorded.end());
  CRM_TRY_ASSIGN(auto list, snapshot.twilio(http, *p.twilio));
  for (const auto& n : *list)
    if (!known.count(n.sid))
      out.push_back({"", n.phone_number, "untracked",
                     "the platform Twilio account " + p.twilio->account_sid + " holds " +
                         n.phone_number + " (" + n.sid + ") that no tenant records",
                     false, false, ""});
  return out;
}

} // namespace crm::telephony
