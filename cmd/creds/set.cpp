#include "cmd/creds/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_set(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsSetOptions>();
  auto* app = add_command(
      noun, ctx, "set",
      {"Store a tenant's provider credentials (twilio, elevenlabs, retell, google)",
       "Fields: twilio account_sid + auth_token; elevenlabs api_key; retell api_key; google "
       "client_id + "
       "client_secret + refresh_token. --from-stdin takes a JSON object or KEY=VALUE lines; "
       "--from-env reads "
       "PROVIDER_FIELD variables (TWILIO_AUTH_TOKEN, ...).",
       {"printf 'account_sid=AC...\\nauth_token=...\\n' | crmctl creds set --tenant acme twilio "
        "--from-stdin",
        "ELEVENLABS_API_KEY=sk_... crmctl creds set --tenant acme elevenlabs --from-env"}});
  app->add_option("provider", o->provider, "twilio, elevenlabs, retell or google")->required();
  auto* s = app->add_flag("--from-stdin", o->from_stdin, "Read the values from stdin");
  auto* e = app->add_flag("--from-env", o->from_env, "Read the values from the environment");
  s->excludes(e);
  on_run(app, ctx, o, run_creds_set, Effect::writes);
}

Result<void> run_creds_set(const CredsSetOptions& o, Deps& d) {
  if (!o.from_stdin && !o.from_env)
    return make_error(
        ErrorKind::usage,
        "pass --from-stdin or --from-env: credentials are never taken from arguments");
  tenant::Values v;
  if (o.from_stdin) {
    std::string text = read_all_stdin(d);
    CRM_TRY_ASSIGN(v, tenant::parse_credential_text(o.provider, text));
  } else {
    CRM_TRY_ASSIGN(v, tenant::credential_from_env(o.provider, d.env()));
  }
  for (const auto& [k, val] : v)
    d.redactor().add(val);
  CRM_TRY_ASSIGN(auto key, master_key(d));
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto r, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::set_credentials(tx, call.tenant, o.provider, v, key, call.actor,
                                                  dry_run_of(d));
                 }));
  d.print(json_of(r));
  return {};
}

} // namespace crm::cmd
