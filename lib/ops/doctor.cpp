#include "ops/doctor.hpp"
#include "core/mask.hpp"
#include "core/master_key.hpp"
#include "db/catalog.hpp"
#include "migrate/migrate.hpp"

namespace crm::ops {

std::string status_name(CheckStatus s) {
  switch (s) {
  case CheckStatus::ok:
    return "ok";
  case CheckStatus::warn:
    return "warn";
  case CheckStatus::fail:
    return "fail";
  case CheckStatus::skip:
    return "skip";
  }
  return "?";
}

std::vector<Check> run_doctor(DoctorInput& in) {
  std::vector<Check> out;
  const Settings& s = *in.settings;
  out.push_back({"config", CheckStatus::ok,
                 (s.config_path.empty() ? std::string("no config file") : s.config_path) +
                     (s.profile_name.empty() ? "" : ", profile " + s.profile_name),
                 "", ErrorKind::config});

  if (auto k = load_master_key(s, in.env))
    out.push_back(
        {"master_key", CheckStatus::ok, "present (id " + k->id + ")", "", ErrorKind::config});
  else
    out.push_back({"master_key", CheckStatus::fail, k.error().message,
                   "write one to a private file first: (umask 077; openssl rand -base64 32 > "
                   "~/.config/crmctl/master.key), then set master_key: file:PATH in the profile",
                   ErrorKind::config});

  if (!in.db.ok()) {
    const Error& e = in.db.error();
    out.push_back({"database", CheckStatus::fail, e.message,
                   e.kind == ErrorKind::config ? "pass --db or set CRMCTL_DATABASE_URL"
                                               : "start PostgreSQL or fix the URL (" +
                                                     mask_url_password(s.database_url) + ")",
                   e.kind == ErrorKind::config ? ErrorKind::config : ErrorKind::db_unavailable});
    for (const char* n : {"roles", "schema_version", "rls"})
      out.push_back({n, CheckStatus::skip, "no database connection", "", ErrorKind::unexpected});
    return out;
  }
  db::Connection& c = *in.db.value();
  auto ver = c.exec("SELECT current_setting('server_version') AS v, current_user AS u, "
                    "current_database() AS d");
  if (!ver) {
    out.push_back(
        {"database", CheckStatus::fail, ver.error().message, "", ErrorKind::db_unavailable});
    return out;
  }
  out.push_back({"database", CheckStatus::ok,
                 c.target() + " db " + ver->get(0, "d") + " as " + ver->get(0, "u") +
                     ", PostgreSQL " + ver->get(0, "v"),
                 "", ErrorKind::db_unavailable});

  auto roles = c.exec(
      "SELECT r.name, x.rolname IS NOT NULL AS present, coalesce(x.rolcanlogin, false) AS login, "
      "       coalesce(x.rolbypassrls, false) AS bypass, "
      "       CASE WHEN x.rolname IS NULL THEN false ELSE pg_has_role(current_user, x.oid, "
      "'MEMBER') END AS member "
      "FROM unnest(ARRAY['crm_owner', $1::text, 'crm_readonly']) AS r(name) "
      "LEFT JOIN pg_roles x ON x.rolname = r.name",
      {s.profile.app_role});
  if (!roles) {
    out.push_back({"roles", CheckStatus::fail, roles.error().message, "", ErrorKind::findings});
  } else {
    std::string missing, problems;
    for (std::size_t i = 0; i < roles->size(); ++i) {
      std::string n = roles->get(i, "name");
      if (roles->get(i, "present") != "t")
        missing += (missing.empty() ? "" : ", ") + n;
      else if (n == s.profile.app_role) {
        if (roles->get(i, "bypass") == "t") problems += n + " has BYPASSRLS; ";
        if (roles->get(i, "login") == "t") problems += n + " can log in (should be NOLOGIN); ";
        if (roles->get(i, "member") != "t") problems += "current user cannot SET ROLE " + n + "; ";
      }
    }
    if (!missing.empty())
      out.push_back({"roles", CheckStatus::warn, "missing: " + missing,
                     "run `crmctl migrate up` to create the canonical roles", ErrorKind::findings});
    else if (!problems.empty())
      out.push_back(
          {"roles", CheckStatus::fail, problems,
           "fix the role attributes (ALTER ROLE ... NOBYPASSRLS NOLOGIN; GRANT role TO login)",
           ErrorKind::findings});
    else
      out.push_back({"roles", CheckStatus::ok,
                     "crm_owner, " + s.profile.app_role + ", crm_readonly", "",
                     ErrorKind::findings});
  }

  auto st = migrate::schema_version_summary(c, in.migrations_dir);
  if (!st)
    out.push_back(
        {"schema_version", CheckStatus::fail, st.error().message, "", ErrorKind::findings});
  else if (st->applied_global.empty())
    out.push_back({"schema_version", CheckStatus::warn, "no migrations applied",
                   "run `crmctl migrate up`", ErrorKind::findings});
  else
    out.push_back(
        {"schema_version",
         st->pending_global + st->pending_tenant_schemas > 0 ? CheckStatus::warn : CheckStatus::ok,
         "global at " + st->applied_global + ", " + std::to_string(st->pending_global) +
             " pending; " + std::to_string(st->tenant_schemas) + " tenant schemas, " +
             std::to_string(st->pending_tenant_schemas) + " behind",
         st->pending_global + st->pending_tenant_schemas > 0 ? "run `crmctl migrate up`" : "",
         ErrorKind::findings});

  // RLS: enabled, forced, and every permissive policy of the application role uses the tenant
  // predicate (a second policy USING (true) would OR every row in).
  auto rls = [&]() -> Result<std::vector<db::TenantTableRls>> {
    CRM_TRY_ASSIGN(auto tx, c.admin());
    db::RlsExpectation want;
    if (in.settings) want.app_roles = {in.settings->profile.app_role};
    return db::tenant_table_rls(*tx, want);
  }();
  if (!rls) {
    out.push_back({"rls", CheckStatus::fail, rls.error().message, "", ErrorKind::findings});
  } else {
    std::string list;
    std::size_t bad = 0;
    for (const auto& t : *rls)
      if (!t.problems.empty() && bad++ < 10)
        list += std::string(list.empty() ? "" : "; ") + t.schema + "." + t.table + ": " +
                t.problems.front();
    if (bad == 0)
      out.push_back({"rls", CheckStatus::ok,
                     std::to_string(rls->size()) +
                         " tenant tables: RLS enabled, forced, one tenant predicate",
                     "", ErrorKind::findings});
    else
      out.push_back({"rls", CheckStatus::fail,
                     std::to_string(bad) + " tenant table(s) not isolated: " + list +
                         (bad > 10 ? "; ..." : ""),
                     "ENABLE and FORCE ROW LEVEL SECURITY and use only the tenant predicate "
                     "(SELECT crm.enable_tenant_rls('table'))",
                     ErrorKind::findings});
  }
  return out;
}

Status doctor_outcome(const std::vector<Check>& checks) {
  for (ErrorKind k :
       {ErrorKind::db_unavailable, ErrorKind::config, ErrorKind::upstream, ErrorKind::findings})
    for (const auto& c : checks)
      if (c.status == CheckStatus::fail && c.kind == k)
        return make_error(k, "doctor: " + c.name + " failed: " + c.detail);
  return {};
}

} // namespace crm::ops
