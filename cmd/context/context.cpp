#include "cmd/context/commands.hpp"
#include "cmd/context/state.hpp"
#include "cmd/support.hpp"

namespace crm::cmd {

void register_context(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "context",
      {"Act as one tenant by default (like kubectl's current context)",
       "`context use` makes a tenant the default of tenant-scoped commands for the current "
       "profile. While it is set, every command says \"acting as <slug> (<profile>)\" on "
       "stderr, and audit rows written through it carry via_context. An explicit --tenant "
       "overrides it. The state file lives beside the config file.",
       {"crmctl context use serenity-medspa", "crmctl context show -o json",
        "crmctl context clear"}});
  noun->require_subcommand(1);
  auto u = std::make_shared<ContextUseOptions>();
  auto* use = add_command(*noun, ctx, "use",
                          {"Make a tenant the current context of this profile",
                           "The tenant is resolved once and stored by UUID (a later slug change "
                           "keeps the context).",
                           {"crmctl context use acme", "crmctl --profile prod context use acme"}});
  use->add_option("tenant", u->tenant, "Tenant UUID or slug")->required();
  on_run(use, ctx, u, run_context_use, Effect::reads);
  auto s = std::make_shared<ContextShowOptions>();
  on_run(add_command(*noun, ctx, "show",
                     {"Show the current context of this profile",
                      "",
                      {"crmctl context show", "crmctl context show -o json"}}),
         ctx, s, run_context_show, Effect::reads);
  auto c = std::make_shared<ContextClearOptions>();
  on_run(add_command(*noun, ctx, "clear",
                     {"Forget the current context of this profile", "", {"crmctl context clear"}}),
         ctx, c, run_context_clear, Effect::reads);
}

Result<void> run_context_use(const ContextUseOptions& o, Deps& d) {
  CRM_TRY(d.settings()); // an unknown --profile is a config error, not an empty context
  CRM_TRY_ASSIGN(auto call, open_tenant(d, o.tenant, NeedActive::no));
  CurrentContext c{context_profile(d), call.tenant.id, call.tenant.slug,
                   format_rfc3339(d.clock().now())};
  CRM_TRY(store_context(d, c));
  d.notice("acting as " + c.slug + " (" + c.profile + ") until `crmctl context clear`");
  d.print({{"profile", c.profile},
           {"tenant", c.slug},
           {"tenant_id", c.tenant_id},
           {"set_at", c.set_at},
           {"file", context_state_path(d)}},
          {{"profile", "tenant", "tenant_id", "set_at"}});
  return {};
}

Result<void> run_context_show(const ContextShowOptions&, Deps& d) {
  CRM_TRY(d.settings()); // an unknown --profile is a config error, not an empty context
  auto c = current_context(d);
  if (!c) {
    d.print({{"profile", context_profile(d)}, {"tenant", nullptr}, {"tenant_id", nullptr}},
            {{"profile", "tenant", "tenant_id"}});
    return {};
  }
  d.print({{"profile", c->profile},
           {"tenant", c->slug},
           {"tenant_id", c->tenant_id},
           {"set_at", c->set_at}},
          {{"profile", "tenant", "tenant_id", "set_at"}});
  return {};
}

Result<void> run_context_clear(const ContextClearOptions&, Deps& d) {
  CRM_TRY(d.settings()); // an unknown --profile is a config error, not an empty context
  auto c = current_context(d);
  if (c) CRM_TRY(store_context(d, std::nullopt));
  d.print({{"profile", context_profile(d)}, {"cleared", c.has_value()}}, {{"profile", "cleared"}});
  return {};
}

} // namespace crm::cmd
