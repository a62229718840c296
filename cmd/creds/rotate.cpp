#include "cmd/creds/commands.hpp"
#include "cmd/render.hpp"
#include "cmd/support.hpp"
#include "tenant/vault.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace crm::cmd {

void register_creds_rotate(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<CredsRotateOptions>();
  auto* app = add_command(
      noun, ctx, "rotate-key",
      {"Re-encrypt every tenant's credentials under a new master key, in one transaction",
       "The current key comes from the usual place (CRMCTL_MASTER_KEY, CRMCTL_MASTER_KEY_FILE or "
       "the profile's master_key). The new key is read only from --new-key-file: write it to a "
       "file first, so it exists somewhere safe before any credential depends on it. The file "
       "must be a regular file you own with mode 0600 or stricter; it is checked before anything "
       "changes (exit 10 otherwise). Rows already under the new key are skipped, so a rerun is "
       "safe; any row the current key cannot decrypt aborts with nothing changed. Afterwards point "
       "crmctl at the new key (`master_key: file:PATH` in the profile, or "
       "CRMCTL_MASTER_KEY_FILE=PATH) and keep a backup of the file: without it no credential can "
       "be decrypted.",
       {"(umask 077; openssl rand -base64 32 > ~/.config/crmctl/master-2.key)",
        "crmctl creds rotate-key --new-key-file ~/.config/crmctl/master-2.key --dry-run",
        "crmctl creds rotate-key --new-key-file ~/.config/crmctl/master-2.key --yes"}});
  app->add_option("--new-key-file", o->new_key_file,
                  "Required: file holding the new key (base64 of 32 bytes), mode 0600, yours");
  on_run(app, ctx, o, run_creds_rotate, Effect::destroys);
}

namespace {

// Reads the new key from `path` after checking that it cannot be lost or read by others: a
// regular file, owned by the current user, mode 0600 or stricter. The checks and the read use
// one open descriptor, so they are about the file that is read.
Result<std::string> read_new_key_file(const std::string& path) {
  const std::string create =
      "write the key there first: (umask 077; openssl rand -base64 32 > " + path + ")";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return make_error(ErrorKind::config,
                        "--new-key-file " + path + " does not exist: " + create + ", then retry");
    return make_error(ErrorKind::config,
                      "cannot read --new-key-file " + path + ": " + std::strerror(err) +
                          " (it must be yours and readable: chmod 600 " + path + ")");
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(ErrorKind::config,
                      "cannot stat --new-key-file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorKind::config, "--new-key-file " + path +
                                             " is not a regular file: the new master key must "
                                             "live in a file you keep; " +
                                             create + " and chmod 600 " + path);
  if (st.st_uid != ::geteuid())
    return make_error(ErrorKind::config,
                      "--new-key-file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                          ", not by you (uid " + std::to_string(::geteuid()) +
                          "): use a key file of your own (chmod 600 " + path + ")");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(ErrorKind::config, "--new-key-file " + path + " has mode " + mode +
                                             ": group or others can read the new master key; "
                                             "run chmod 600 " +
                                             path + " and retry (nothing was rotated)");
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(ErrorKind::config,
                        "cannot read --new-key-file " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 64 * 1024)
      return make_error(ErrorKind::config, "--new-key-file " + path +
                                               " is too large for a key: it must hold the base64 "
                                               "of 32 bytes (`openssl rand -base64 32`)");
  }
  return text;
}

} // namespace

Result<void> run_creds_rotate(const CredsRotateOptions& o, Deps& d) {
  auto env_key = d.env()("CRMCTL_NEW_MASTER_KEY");
  const bool env_key_set = env_key && !env_key->empty();
  if (o.new_key_file.empty()) {
    if (env_key_set)
      return make_error(ErrorKind::config,
                        "CRMCTL_NEW_MASTER_KEY is not read: a new master key that lives only in "
                        "the environment is lost with the shell, and every credential with it. "
                        "Write the key to a file first, (umask 077; printf '%s\\n' "
                        "\"$CRMCTL_NEW_MASTER_KEY\" > PATH), then run `crmctl creds rotate-key "
                        "--new-key-file PATH`");
    return make_error(ErrorKind::usage,
                      "--new-key-file PATH is required: write the new key to a file first, "
                      "(umask 077; openssl rand -base64 32 > PATH), then pass it");
  }
  if (env_key_set)
    d.notice("CRMCTL_NEW_MASTER_KEY is ignored: the new key is read from --new-key-file only");
  std::error_code ec;
  std::string path = std::filesystem::absolute(o.new_key_file, ec).lexically_normal().string();
  if (ec) path = o.new_key_file;
  // Everything about the new key is checked before the current key, the database or a prompt.
  CRM_TRY_ASSIGN(std::string text, read_new_key_file(path));
  d.redactor().add(text);
  CRM_TRY_ASSIGN(auto to, master_key_from_base64(text, "--new-key-file " + path));
  CRM_TRY_ASSIGN(auto from, master_key(d));
  if (!d.global().dry_run) {
    CRM_TRY_ASSIGN(bool yes,
                   d.confirm("re-encrypt all credentials from key " + from.id + " to " + to.id));
    if (!yes) return make_error(ErrorKind::usage, "not confirmed; nothing changed");
  }
  CRM_TRY_ASSIGN(auto* c, d.db());
  CRM_TRY_ASSIGN(auto r, in_admin_tx(d, *c, [&](db::AdminTx& tx) {
                   return tenant::rotate_key(tx, from, to, actor_of(d), dry_run_of(d));
                 }));
  // Where the new key lives and how to point crmctl at it: without it nothing decrypts.
  std::string profile;
  if (auto s = d.settings(); s && !(*s)->profile_name.empty())
    profile = " in profile '" + (*s)->profile_name + "'" +
              ((*s)->config_path.empty() ? "" : " of " + (*s)->config_path);
  std::string next =
      "set `master_key: file:" + path + "`" + profile + ", or CRMCTL_MASTER_KEY_FILE=" + path;
  if (auto cur = d.env()("CRMCTL_MASTER_KEY"); cur && !cur->empty())
    next = "unset CRMCTL_MASTER_KEY (it takes precedence) and " + next;
  if (d.global().dry_run)
    d.notice("dry run: nothing changed; after the real run the new key (id " + to.id + ") in " +
             path + " is the only one that decrypts: " + next);
  else
    d.notice("done: every credential is now under the new key (id " + to.id + "), kept in " + path +
             "; keep that file (and a backup): " + next + " before the next command");
  auto j = json_of(r);
  j["new_key_file"] = path;
  d.print(j);
  return {};
}

} // namespace crm::cmd
