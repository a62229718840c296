#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "core/text.hpp"
#include "tenant/user_import.hpp"
#include "tenant/users.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

namespace crm::cmd {

void register_user_import(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserImportOptions>();
  auto* app = add_command(
      noun, ctx, "import",
      {"Import users from CSV (email,name,role) into a tenant, all or nothing",
       "Every row is validated first; one bad row means nothing is written and every row is "
       "reported (exit 2). Existing users are reused by email. A member whose row names another "
       "role is a conflict (exit 4, nothing written) unless --update-roles is given; a disabled "
       "member is reported as disabled and left as it is. Use - for stdin.",
       {"crmctl user import users.csv --tenant acme",
        "crmctl user import - --tenant acme < users.csv",
        "crmctl user import users.csv --tenant acme --update-roles"}});
  app->add_option("file", o->file, "CSV file with a header row, or -")->required();
  app->add_flag("--update-roles", o->update_roles,
                "Change the role of existing members whose row names another role");
  on_run(app, ctx, o, run_user_import, Effect::writes);
}

Result<void> run_user_import(const UserImportOptions& o, Deps& d) {
  std::string text;
  if (o.file == "-") {
    text = read_all_stdin(d);
  } else {
    CRM_TRY_ASSIGN(text, read_file(o.file, "CSV file"));
  }
  CRM_TRY_ASSIGN(auto rows, tenant::parse_users_csv(text));
  CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
  CRM_TRY_ASSIGN(auto done, in_admin_tx(d, *call.conn, [&](db::AdminTx& tx) {
                   return tenant::import_users(
                       tx, call.tenant, call.tenancy, rows, call.actor, dry_run_of(d),
                       o.update_roles ? tenant::UpdateRoles::yes : tenant::UpdateRoles::no);
                 }));
  std::map<std::string, int> summary;
  for (const auto& r : done)
    ++summary[r.result];
  d.print(json_list(done), {{"line", "email", "role", "result", "error"}});
  std::string s;
  for (const auto& [k, n] : summary)
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  for (auto [result, kind, what] :
       {std::tuple{"error", ErrorKind::usage, " bad row(s)"},
        std::tuple{"conflict", ErrorKind::conflict, " member(s) with another role"}}) {
    if (!summary.count(result)) continue;
    auto first = std::find_if(done.begin(), done.end(),
                              [&](const tenant::ImportRow& r) { return r.result == result; });
    return make_error(kind, std::to_string(summary[result]) + what + ", first on line " +
                                std::to_string(first->line) + " (" + first->error +
                                "); nothing imported (" + s + ")");
  }
  d.notice("import into '" + call.tenant.slug + "': " + s);
  return {};
}

} // namespace crm::cmd
