#include "cmd/cli.hpp"
#include "cmd/context/state.hpp"
#include "cmd/support.hpp"
#include "core/exit_codes.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <ostream>
#include <string_view>
#include <vector>

namespace crm::cmd {
namespace {

void print_error(std::ostream& err, const Error& e, bool json, const Redactor& r) {
  std::string msg = r.redact(e.full_message());
  if (json) {
    // Valid JSON whatever the message holds: invalid UTF-8 becomes U+FFFD (never a throw), and C1
    // and bidi controls are written as \uXXXX (same string once parsed).
    nlohmann::json j = {{"error", {{"kind", std::string(kind_name(e.kind))}, {"message", msg}}}};
    if (!e.sqlstate.empty()) j["error"]["sqlstate"] = e.sqlstate;
    err << escape_for_terminal(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                               EscapeSet::unicode_controls)
        << "\n";
  } else {
    // The one output escaper: one line, no raw control, escape sequence or bidi override.
    err << "crmctl: error: " << escape_for_terminal(msg) << "\n";
  }
}

// Commands that work without a config file, a database or a context.
bool is_local(const std::string& path) {
  return path == "version" || path.rfind("completion", 0) == 0 || path == "__gendocs" ||
         path.rfind("context", 0) == 0;
}

// The option `name` ("--slug", "-o") of `app` or of a parent (fallthrough), or null.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app; app = app->get_parent())
    if (const CLI::Option* o = app->get_option_no_throw(name)) return o;
  return nullptr;
}

// The closest visible subcommand of `app` to `word` (a prefix of it, or within two edits).
std::string closest_command(const CLI::App* app, const std::string& word) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue; // hidden
    const std::string& n = sub->get_name();
    std::size_t d = n.rfind(word, 0) == 0 ? 0 : edit_distance(word, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  return best;
}

// What argv says that CLI11's messages do not: a value-taking option followed by a word that
// looks like a flag (`--slug -x`, `--timezone -5`, which CLI11 either rejects generically or takes
// as the value), and, when `unknown_words` is set, a word where a subcommand was expected
// (`tenant lst`). Empty when neither.
std::string argv_problem(const CLI::App& root, const std::vector<std::string>& args,
                         bool unknown_words) {
  const CLI::App* app = &root;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-') {
      bool is_long = a.rfind("--", 0) == 0;
      if (a.find('=') != std::string::npos || (!is_long && a.size() != 2)) continue;
      const CLI::Option* o = find_option(app, a);
      if (!o || o->get_expected_max() == 0 || i + 1 >= args.size()) continue; // a flag
      const std::string& v = args[i + 1];
      if (v.size() > 1 && v[0] == '-') {
        std::string name = o->get_lnames().empty() ? a : "--" + o->get_lnames().front();
        return a + " needs a value; '" + v + "' looks like a flag (use " + name + "=" + v +
               " if it is the value)";
      }
      ++i; // the option's value
      continue;
    }
    auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) continue; // a positional of a leaf command
    auto it = std::find_if(subs.begin(), subs.end(),
                           [&](const CLI::App* s) { return s->get_name() == a; });
    if (it != subs.end()) {
      app = *it;
      continue;
    }
    if (!unknown_words) continue;
    std::string path = command_path(app);
    std::string msg =
        "unknown command '" + a + "' for `crmctl" + (path.empty() ? "" : " " + path) + "`";
    if (auto best = closest_command(app, a); !best.empty()) msg += "; did you mean '" + best + "'?";
    return msg;
  }
  return "";
}

} // namespace

Status before_run(const Context& ctx, Deps& d) {
  const CLI::App* app = ctx.selected_app;
  std::string path = command_path(app);
  auto it = ctx.effects.find(app);
  Effect effect = it == ctx.effects.end() ? Effect::writes : it->second;
  if (effect != Effect::reads) {
    CRM_TRY_ASSIGN(auto who, read_only_reason(d));
    if (!who.empty())
      return make_error(ErrorKind::conflict,
                        "`crmctl " + path + "` " +
                            (effect == Effect::destroys ? "destroys" : "changes") +
                            " platform data and " + who +
                            ": use a writable profile (--profile NAME) for changes");
  }
  if (!is_local(path))
    if (auto c = current_context(d); c && d.global().tenant.empty())
      d.io().err << "crmctl: acting as " << c->slug << " (" << c->profile << ")\n";
  return {};
}

int run_cli(const std::vector<std::string>& args, IO& io, Clock& clock, const EnvLookup& env,
            Interrupt& interrupt, const Services& services) {
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
    if (std::string problem = argv_problem(root, args, true); !problem.empty()) {
      msg = problem;
    } else if (msg.find("subcommand is required") != std::string::npos) {
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
  // CLI11 takes `--timezone -5` as the value -5; a value that looks like a flag is refused the
  // same way whether CLI11 rejected it or not.
  if (std::string problem = argv_problem(root, args, false); !problem.empty()) {
    print_error(io.err, make_error(ErrorKind::usage, problem + " (run with --help for usage)"),
                global.output == "json", Redactor{});
    return 2;
  }
  if (!ctx.selected) {
    io.out << root.help();
    return 0;
  }
  io.color = io.color && !global.no_color && !env("NO_COLOR");
  Deps deps(io, clock, env, global, interrupt, services);
  try {
    if (auto r = before_run(ctx, deps); !r) {
      print_error(io.err, r.error(), global.output == "json", deps.redactor());
      return exit_code_for(r.error().kind);
    }
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
