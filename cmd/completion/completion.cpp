#include "cmd/completion/commands.hpp"
#include "cmd/docs/generate.hpp"

namespace crm::cmd {

void register_completion(CLI::App& root, Context& ctx) {
  auto opts = std::make_shared<CompletionOptions>();
  opts->root = &root;
  auto* app = add_command(
      root, ctx, "completion",
      {"Print a shell completion script (bash, zsh, fish)",
       "Writes the completion script for the shell to stdout. The same scripts "
       "are checked in under completions/.",
       {"source <(crmctl completion bash)", "crmctl completion zsh > \"${fpath[1]}/_crmctl\"",
        "crmctl completion fish > ~/.config/fish/completions/crmctl.fish"}});
  app->add_option("shell", opts->shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  on_run(app, ctx, opts, run_completion, Effect::reads);
}

Result<void> run_completion(const CompletionOptions& o, Deps& d) {
  d.io().out << completion_script(*o.root, o.shell);
  return {};
}

} // namespace crm::cmd
