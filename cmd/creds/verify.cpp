#include "providers/verify.hpp"
#include "cmd/creds/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_verify(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsVerifyOptions>();
  auto* app = add_command(
      noun, ctx, "verify",
      {"Check stored credentials with the provider and record the result",
       "Records last_verified_at, or the provider's reason in verification_error. Exit 10 when a "
       "provider rejects the credentials, 6 when it cannot be reached.",
       {"crmctl creds verify --tenant acme", "crmctl creds verify --tenant acme twilio"}});
  app->add_option("provider", o->provider, "One provider (default: all stored)");
  on_run(app, ctx, o, run_creds_verify, Effect::writes);
}

Result<void> run_creds_verify(const CredsVerifyOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto key, master_key(d));
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  auto base = [s](const std::string& p) {
    auto it = s->profile.providers.find(p);
    return it != s->profile.providers.end() && !it->second.base_url.empty()
               ? it->second.base_url
               : providers::default_base_url(p);
  };
  // Verification results are recorded even under --dry-run: checking changes nothing remote.
  CRM_TRY_ASSIGN(auto tx, call.conn->tenant(call.scope()));
  CRM_TRY_ASSIGN(auto rep, tenant::verify_stored(*tx, call.tenant, o.provider, key, d.http(), base,
                                                 call.actor));
  CRM_TRY(tx->commit());
  d.print(json_list(rep.results), {{"provider", "ok", "error"}});
  if (rep.failure) return *rep.failure;
  return {};
}

} // namespace crm::cmd
