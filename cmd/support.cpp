#include "cmd/support.hpp"
#include "cmd/context/state.hpp"
#include "core/crypto.hpp"
#include "core/input.hpp"

#include <filesystem>
#include <iostream>
#include <iterator>
#include <termios.h>
#include <unistd.h>

namespace crm::cmd {

tenant::Tenancy tenancy_of(Deps& d) {
  tenant::Tenancy t;
  if (auto s = d.settings(); s) {
    t.app_role = (*s)->profile.app_role;
    t.guc = (*s)->profile.guc;
  }
  return t;
}

tenant::Actor actor_of(Deps& d) {
  auto u = d.env()("USER");
  return {std::string("crmctl:") + (u && !u->empty() ? *u : "unknown"), ""};
}

DryRun dry_run_of(Deps& d) {
  return dry_run_if(d.global().dry_run);
}

Result<std::string> read_only_reason(Deps& d) {
  if (d.global().read_only) return std::string("--read-only is set");
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  if (s->profile.read_only) return "profile '" + s->profile_name + "' is read-only";
  return std::string();
}

Status refuse_if_read_only(Deps& d, const std::string& what) {
  CRM_TRY_ASSIGN(auto who, read_only_reason(d));
  if (who.empty()) return {};
  return make_error(ErrorKind::conflict, what + " changes platform data and " + who +
                                             ": drop it, or use a writable profile");
}

Result<TenantCall> open_tenant(Deps& d, const std::string& arg, NeedActive need) {
  std::string who = arg.empty() ? d.global().tenant : arg;
  std::string via;
  if (who.empty())
    if (auto c = current_context(d)) {
      who = c->tenant_id;
      via = c->slug + " (" + c->profile + ")";
    }
  if (who.empty())
    return make_error(ErrorKind::usage,
                      "no tenant given: pass --tenant ID|SLUG (or set one with `crmctl context "
                      "use SLUG`)");
  TenantCall call;
  CRM_TRY_ASSIGN(call.conn, d.db());
  {
    CRM_TRY_ASSIGN(auto tx, call.conn->admin());
    CRM_TRY_ASSIGN(call.tenant, tenant::resolve(*tx, who));
  }
  if (need == NeedActive::yes) CRM_TRY(tenant::require_active(call.tenant));
  call.tenancy = tenancy_of(d);
  call.actor = actor_of(d);
  call.actor.via_context = via;
  return call;
}

std::string templates_dir(Deps& d) {
  namespace fs = std::filesystem;
  if (auto v = d.env()("CRMCTL_TEMPLATES_DIR"); v && !v->empty()) return *v;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path installed = exe.parent_path() / "../share/crmctl/templates";
  if (!ec && fs::exists(installed / "tenant", ec))
    return fs::weakly_canonical(installed, ec).string();
  return (fs::path(CRM_SOURCE_DIR) / "templates").string();
}

Result<std::string> read_secret(Deps& d, const std::string& prompt) {
  std::string line;
  if (d.io().stdin_tty && isatty(0)) {
    d.io().err << prompt << ": " << std::flush;
    termios old{};
    tcgetattr(0, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(0, TCSANOW, &quiet);
    std::getline(d.io().in, line);
    tcsetattr(0, TCSANOW, &old);
    d.io().err << "\n";
  } else {
    std::getline(d.io().in, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return make_error(ErrorKind::usage, "empty input on stdin: " + prompt);
  // A NUL would truncate the secret where it is hashed (and so bypass the length rule): the one
  // text validator refuses it, and every other control character, without quoting the secret.
  CRM_TRY(check_text(line, TextRule(prompt, 1024, LineBreaks::refused, Echo::never)));
  return line;
}

std::string read_all_stdin(Deps& d) {
  return std::string(std::istreambuf_iterator<char>(d.io().in), std::istreambuf_iterator<char>());
}

Result<std::optional<Decimal>> optional_decimal(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::optional<Decimal>{};
  // Tenant money flags land in numeric(20, 6) columns: too many digits is a usage error naming
  // the limit, never rounded and never a database overflow.
  auto v = Decimal::parse(text, k_numeric_20_6);
  if (!v) return make_error(ErrorKind::usage, flag + ": " + v.error().message);
  return std::optional<Decimal>{*v};
}

Result<MasterKey> master_key(Deps& d) {
  CRM_TRY_ASSIGN(const Settings* s, d.settings());
  auto k = load_master_key(*s, d.env());
  if (k) d.redactor().add(crypto::base64_encode(k->bytes)); // never printed, even by accident
  return k;
}

} // namespace crm::cmd
