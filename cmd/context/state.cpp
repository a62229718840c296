#include "cmd/context/state.hpp"
#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace crm::cmd {
namespace fs = std::filesystem;

std::string context_profile(Deps& d) {
  auto s = d.settings();
  return s && !(*s)->profile_name.empty() ? (*s)->profile_name : "default";
}

std::string context_state_path(Deps& d) {
  if (auto f = d.env()("CRMCTL_CONTEXT_FILE"); f && !f->empty()) return *f;
  auto s = d.settings();
  if (s && !(*s)->config_path.empty())
    return (fs::path((*s)->config_path).parent_path() / "crmctl-context.json").string();
  std::string base;
  if (auto x = d.env()("XDG_CONFIG_HOME"); x && !x->empty())
    base = *x;
  else if (auto h = d.env()("HOME"); h && !h->empty())
    base = *h + "/.config";
  else
    base = ".";
  return base + "/crmctl/context.json";
}

namespace {

nlohmann::json load_state(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return nlohmann::json::object();
  auto text = read_file(path, "context file");
  if (!text) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

} // namespace

std::optional<CurrentContext> current_context(Deps& d) {
  auto j = load_state(context_state_path(d));
  std::string profile = context_profile(d);
  if (!j.contains("contexts") || !j["contexts"].is_object() || !j["contexts"].contains(profile))
    return std::nullopt;
  const auto& e = j["contexts"][profile];
  if (!e.is_object() || !e.contains("tenant_id") || !e["tenant_id"].is_string())
    return std::nullopt;
  CurrentContext c;
  c.profile = profile;
  c.tenant_id = e["tenant_id"].get<std::string>();
  c.slug = e.value("slug", std::string());
  c.set_at = e.value("set_at", std::string());
  return c;
}

Status store_context(Deps& d, const std::optional<CurrentContext>& ctx) {
  std::string path = context_state_path(d);
  auto j = load_state(path);
  if (!j.contains("contexts") || !j["contexts"].is_object())
    j["contexts"] = nlohmann::json::object();
  std::string profile = context_profile(d);
  if (ctx)
    j["contexts"][profile] = {
        {"tenant_id", ctx->tenant_id}, {"slug", ctx->slug}, {"set_at", ctx->set_at}};
  else
    j["contexts"].erase(profile);
  j["format"] = "crmctl-context/1";
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (!dir.empty()) fs::create_directories(dir, ec);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(ErrorKind::config, "cannot write the context file " + path +
                                             ": check the directory's permissions");
  std::string text = j.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return make_error(ErrorKind::config, "cannot write the context file " + path);
  }
  return {};
}

} // namespace crm::cmd
