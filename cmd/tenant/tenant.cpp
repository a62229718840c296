#include "cmd/tenant/commands.hpp"

namespace crm::cmd {

void register_tenant(CLI::App& root, Context& ctx) {
  auto* noun = add_command(
      root, ctx, "tenant",
      {"Provision and operate tenants (organizations)",
       "A tenant is addressed by UUID or slug; a slug is resolved to the UUID once, up front. "
       "Provisioning is one transaction: organization, settings and modules, services price list, "
       "credit account, tenant schema (schema isolation), first admin user and membership, audit "
       "row.",
       {"crmctl tenant create \"Serenity MedSpa\" --admin-email owner@serenity.example --timezone "
        "Europe/London",
        "crmctl tenant list -o json", "crmctl tenant show serenity-medspa"}});
  noun->require_subcommand(1);
  register_tenant_create(*noun, ctx);
  register_tenant_list(*noun, ctx);
  register_tenant_show(*noun, ctx);
  register_tenant_update(*noun, ctx);
  register_tenant_suspend_resume(*noun, ctx);
  register_tenant_delete(*noun, ctx);
  register_tenant_export(*noun, ctx);
}

} // namespace crm::cmd
