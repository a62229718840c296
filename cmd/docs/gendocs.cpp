#include "cmd/docs/gendocs.hpp"
#include "cmd/docs/generate.hpp"

#include <filesystem>
#include <fstream>

namespace crm::cmd {

void register_gendocs(CLI::App& root, Context& ctx) {
  auto opts = std::make_shared<GendocsOptions>();
  opts->root = &root;
  opts->ctx = &ctx;
  auto* app = add_command(root, ctx, "__gendocs",
                          {"Write man pages and completions from the command tree", "", {}});
  app->group("");
  app->add_option("--out", opts->out_dir, "Directory that receives man/ and completions/");
  on_run(app, ctx, opts, run_gendocs, Effect::reads);
}

Result<void> run_gendocs(const GendocsOptions& o, Deps& d) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(o.out_dir) / "man", ec);
  fs::create_directories(fs::path(o.out_dir) / "completions", ec);
  auto write = [&](const fs::path& p, const std::string& text) -> Result<void> {
    std::ofstream f(p, std::ios::binary);
    f << text;
    if (!f) return make_error(ErrorKind::unexpected, "cannot write " + p.string());
    return {};
  };
  auto pages = man_pages(*o.root, *o.ctx);
  for (const auto& [name, text] : pages)
    CRM_TRY(write(fs::path(o.out_dir) / "man" / name, text));
  // A page of a command that no longer exists goes too, so man/ is exactly the command tree.
  for (const auto& e : fs::directory_iterator(fs::path(o.out_dir) / "man", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("crmctl", 0) == 0 && e.path().extension() == ".1" && !pages.count(name))
      fs::remove(e.path(), ec);
  }
  CRM_TRY(write(fs::path(o.out_dir) / "completions" / "crmctl.bash",
                completion_script(*o.root, "bash")));
  CRM_TRY(
      write(fs::path(o.out_dir) / "completions" / "_crmctl", completion_script(*o.root, "zsh")));
  CRM_TRY(write(fs::path(o.out_dir) / "completions" / "crmctl.fish",
                completion_script(*o.root, "fish")));
  d.notice("wrote man pages and completions under " + o.out_dir);
  return {};
}

} // namespace crm::cmd
