#include "cmd/apikey/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "core/text.hpp"
#include "core/units.hpp"
#include "tenant/users.hpp"

#include <sstream>

namespace crm::cmd {

void register_apikey_create(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<ApikeyCreateOptions>();
  std::string scopes;
  for (const auto& s : tenant::api_key_scopes())
    scopes += (scopes.empty() ? "" : ", ") + s;
  auto* app = add_command(noun, ctx, "create",
                          {"Create an API key (the secret is printed once)",
                           "Known scopes: " + scopes + ".",
                           {"crmctl apikey create --tenant acme --name zapier --scopes "
                            "calls:read,contacts:read --expires 90d"}});
  app->add_option("--name", o->name, "What the key is for")->required();
  app->add_option("--scopes", o->scopes, "Comma-separated scopes")->required();
  app->add_option("--expires", o->expires, "Lifetime, e.g. 90d or 12h (default: never)");
  on_run(app, ctx, o, run_apikey_create, Effect::writes);
}

Result<void> run_apikey_create(const ApikeyCreateOptions& o, Deps& d) {
  tenant::ApiKeySpec spec;
  spec.name = o.name;
  // An empty list or entry is an error (never "no scopes" or "all"); unknown scopes are all
  // named by create_api_key.
  CRM_TRY_ASSIGN(spec.scopes, split_list(o.scopes, "--scopes"));
  if (!o.expires.empty()) {
    CRM_TRY_ASSIGN(auto dur, parse_duration(o.expires));
    spec.expires_in = dur;
  }
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto k, in_tenant_tx(d, call, [&](db::TenantTx& tx) {
                   return tenant::create_api_key(tx, call.tenant, spec, d.clock().now(), call.actor,
                                                 dry_run_of(d));
                 }));
  if (!k.secret.empty())
    d.notice("store the secret now: it is not shown again and cannot be recovered");
  d.print(json_of(k));
  return {};
}

} // namespace crm::cmd
