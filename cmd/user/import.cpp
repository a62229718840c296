#include "cmd/support.hpp"
#include "cmd/user/commands.hpp"
#include "tenant/users.hpp"

#include <fstream>
#include <sstream>

namespace crm::cmd {

void register_user_import(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<UserImportOptions>();
  auto* app = add_command(
      noun, ctx, "import",
      {"Import users from CSV (email,name,role) into a tenant, all or nothing",
       "Every row is validated first; one bad row means nothing is written and every row is "
       "reported (exit 2). Existing users are reused by email. Use - for stdin.",
       {"crmctl user import users.csv --tenant acme",
        "crmctl user import - --tenant acme < users.csv"}});
  app->add_option("file", o->file, "CSV file with a header row, or -")->required();
  on_run(app, ctx, o, run_user_import);
}

Result<void> run_user_import(const UserImportOptions& o, Deps& d) {
  std::string text;
  if (o.file == "-") {
    text = read_all_stdin(d);
  } else {
    std::ifstream f(o.file, std::ios::binary);
    if (!f) return make_error(ErrorKind::usage, "cannot read " + o.file);
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  CRM_TRY_ASSIGN(auto rows, tenant::parse_users_csv(text));
  CRM_TRY_ASSIGN(auto t, resolve_tenant(d, ""));
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto done,
                 tenant::import_users(*c, t, tenancy_of(d), rows, actor_of(d), d.global().dry_run));
  nlohmann::json out = nlohmann::json::array();
  std::map<std::string, int> summary;
  for (const auto& r : done) {
    ++summary[r.result];
    out.push_back({{"line", r.line},
                   {"email", r.email},
                   {"role", r.role},
                   {"result", r.result},
                   {"error", r.error}});
  }
  d.print(out, {{"line", "email", "role", "result", "error"}});
  std::string s;
  for (const auto& [k, n] : summary)
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  if (summary.count("error")) {
    std::size_t first = 0;
    for (const auto& r : done)
      if (r.result == "error") {
        first = r.line;
        break;
      }
    return make_error(ErrorKind::usage, std::to_string(summary["error"]) +
                                            " bad row(s), first on line " + std::to_string(first) +
                                            "; nothing imported (" + s + ")");
  }
  d.notice("import into '" + t.slug + "': " + s);
  return {};
}

} // namespace crm::cmd
