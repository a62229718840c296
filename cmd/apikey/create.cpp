#include "cmd/apikey/commands.hpp"
#include "cmd/support.hpp"
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
  on_run(app, ctx, o, run_apikey_create);
}

Result<void> run_apikey_create(const ApikeyCreateOptions& o, Deps& d) {
  tenant::ApiKeySpec spec;
  spec.name = o.name;
  std::stringstream ss(o.scopes);
  std::string s;
  while (std::getline(ss, s, ','))
    if (!s.empty()) spec.scopes.push_back(s);
  if (!o.expires.empty()) {
    CRM_TRY_ASSIGN(auto dur, parse_duration(o.expires));
    spec.expires_in = dur;
  }
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::create_api_key(*c, t, tenancy_of(d), spec, d.clock().now(),
                                                actor_of(d), d.global().dry_run));
  if (j.contains("secret"))
    d.notice("store the secret now: it is not shown again and cannot be recovered");
  d.print(j);
  return {};
}

} // namespace crm::cmd
