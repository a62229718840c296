#include "cmd/creds/commands.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

namespace crm::cmd {

void register_creds_rotate(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsRotateOptions>();
  auto* app = add_command(
      noun, ctx, "rotate-key",
      {"Re-encrypt every tenant's credentials under a new master key, in one transaction",
       "The current key comes from the usual place (CRMCTL_MASTER_KEY, ...); the new one from "
       "--new-key-file or CRMCTL_NEW_MASTER_KEY. Rows already under the new key are skipped, so a "
       "rerun is "
       "safe; any row the current key cannot decrypt aborts with nothing changed. Afterwards, "
       "switch "
       "CRMCTL_MASTER_KEY to the new key.",
       {"CRMCTL_NEW_MASTER_KEY=$(openssl rand -base64 32) crmctl creds rotate-key --yes",
        "crmctl creds rotate-key --new-key-file /run/secrets/crm-key-2 --dry-run"}});
  app->add_option("--new-key-file", o->new_key_file,
                  "File holding the new key (base64 of 32 bytes)");
  on_run(app, ctx, o, run_creds_rotate);
}

Result<void> run_creds_rotate(const CredsRotateOptions& o, Deps& d) {
  CRM_TRY_ASSIGN(auto from, master_key(d));
  std::string text;
  if (!o.new_key_file.empty()) {
    CRM_TRY_ASSIGN(text, resolve_ref("file:" + o.new_key_file, d.env()));
  } else if (auto v = d.env()("CRMCTL_NEW_MASTER_KEY"); v && !v->empty()) {
    text = *v;
  } else {
    return make_error(ErrorKind::config,
                      "no new master key: pass --new-key-file or set CRMCTL_NEW_MASTER_KEY");
  }
  d.redactor().add(text);
  CRM_TRY_ASSIGN(auto to, master_key_from_base64(text, "the new key"));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes,
                   d.confirm("re-encrypt all credentials from key " + from.id + " to " + to.id));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto j, tenant::rotate_key(*c, from, to, actor_of(d), d.global().dry_run));
  if (!d.global().dry_run)
    d.notice("done: set CRMCTL_MASTER_KEY to the new key (id " + to.id + ") now");
  d.print(j);
  return {};
}

} // namespace crm::cmd
