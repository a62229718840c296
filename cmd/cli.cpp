#include "cmd/cli.hpp"
#include "core/exit_codes.hpp"

#include <ostream>

namespace crm::cmd {
namespace {

void print_error(std::ostream& err, const Error& e, bool json, const Redactor& r) {
  std::string msg = r.redact(e.full_message());
  if (json) {
    nlohmann::json j = {{"error", {{"kind", std::string(kind_name(e.kind))}, {"message", msg}}}};
    if (!e.sqlstate.empty()) j["error"]["sqlstate"] = e.sqlstate;
    err << j.dump() << "\n";
  } else {
    err << "crmctl: error: " << msg << "\n";
  }
}

} // namespace

int run_cli(const std::vector<std::string>& args, IO& io, Clock& clock, const EnvLookup& env,
            Interrupt& interrupt) {
  GlobalOptions global;
  Context ctx;
  CLI::App root{"crmctl: operate a multi-tenant voice-AI CRM platform", "crmctl"};
  build_root(root, ctx, global);
  std::vector<std::string> rev(args.rbegin(), args.rend()); // CLI11 takes a reversed vector
  try {
    root.parse(rev);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) { // --help, --version
      return root.exit(e, io.out, io.err);
    }
    std::string msg = e.what();
    if (msg.find("subcommand is required") != std::string::npos) {
      // Name the command and its choices.
      const CLI::App* deepest = &root;
      for (bool deeper = true; deeper;) {
        deeper = false;
        for (const auto* sub : deepest->get_subcommands([](const CLI::App*) { return true; }))
          if (sub->parsed()) {
            deepest = sub;
            deeper = true;
            break;
          }
      }
      std::string verbs;
      for (const auto* sub : deepest->get_subcommands([](const CLI::App*) { return true; }))
        if (!sub->get_group().empty()) verbs += (verbs.empty() ? "" : ", ") + sub->get_name();
      msg = "`crmctl " + deepest->get_name() + "` needs a subcommand: " + verbs;
    }
    print_error(io.err, make_error(ErrorKind::usage, msg + " (run with --help for usage)"),
                global.output == "json", Redactor{});
    return 2;
  }
  if (!ctx.selected) {
    io.out << root.help();
    return 0;
  }
  io.color = io.color && !global.no_color && !env("NO_COLOR");
  Deps deps(io, clock, env, global, interrupt);
  try {
    auto r = ctx.selected(deps);
    if (!r.ok()) {
      print_error(io.err, r.error(), global.output == "json", deps.redactor());
      return exit_code_for(r.error().kind);
    }
    return interrupt.requested.load() ? 130 : 0;
  } catch (const std::exception& e) {
    print_error(io.err,
                make_error(ErrorKind::unexpected, std::string("unexpected failure: ") + e.what()),
                global.output == "json", deps.redactor());
    return 1;
  }
}

} // namespace crm::cmd
