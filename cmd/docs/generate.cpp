#include "cmd/docs/generate.hpp"

#include <sstream>
#include <vector>

namespace crm::cmd {
namespace {

struct Node {
  std::string path; // "tenant create"
  const CLI::App* app;
};

bool hidden(const CLI::App* a) {
  return a->get_group().empty();
}

std::vector<const CLI::App*> visible_subs(const CLI::App* a) {
  std::vector<const CLI::App*> out;
  for (const auto* s : a->get_subcommands([](const CLI::App*) { return true; }))
    if (!hidden(s)) out.push_back(s);
  return out;
}

void walk(const CLI::App* a, const std::string& path, std::vector<Node>& out) {
  for (const auto* s : visible_subs(a)) {
    std::string p = path.empty() ? s->get_name() : path + " " + s->get_name();
    out.push_back({p, s});
    walk(s, p, out);
  }
}

std::vector<std::string> flags_of(const CLI::App* a) {
  std::vector<std::string> out;
  for (const auto* o : a->get_options()) {
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) continue;
    for (const auto& l : o->get_lnames())
      out.push_back("--" + l);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string words_for(const CLI::App* a) {
  std::vector<std::string> w;
  for (const auto* s : visible_subs(a))
    w.push_back(s->get_name());
  for (const auto& f : flags_of(a))
    w.push_back(f);
  return join(w, " ");
}

std::string roff_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\')
      o += "\\e";
    else if (c == '-')
      o += "\\-";
    else
      o.push_back(c);
  }
  if (!o.empty() && (o[0] == '.' || o[0] == '\'')) o = "\\&" + o;
  return o;
}

std::string option_synopsis(const CLI::Option* o) {
  std::string names;
  for (const auto& s : o->get_snames())
    names += (names.empty() ? "-" : ", -") + s;
  for (const auto& l : o->get_lnames())
    names += (names.empty() ? "--" : ", --") + l;
  if (names.empty()) return "";
  if (o->get_expected_max() != 0) { // a flag (expected 0) takes no value
    std::string t = o->get_type_name();
    names += " " + (t.empty() ? std::string("VALUE") : t);
  }
  return names;
}

std::string positional_synopsis(const CLI::App* a) {
  std::string s;
  for (const auto* o : a->get_options())
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) {
      std::string n = o->get_name();
      for (auto& c : n)
        c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      if (o->get_expected_max() > 1) n += "...";
      s += o->get_required() ? " " + n : " [" + n + "]";
    }
  return s;
}

// One .TP entry per option of `a` (not --help); empty when it has none.
std::string man_option_entries(const CLI::App* a) {
  std::ostringstream m;
  for (const auto* o : a->get_options()) {
    std::string syn = option_synopsis(o);
    if (syn.empty() || syn == "-h, --help") continue;
    m << ".TP\n.B " << roff_escape(syn) << "\n" << roff_escape(o->get_description()) << "\n";
  }
  return m.str();
}

void man_options(std::ostringstream& m, const CLI::App* a) {
  if (auto entries = man_option_entries(a); !entries.empty())
    m << ".TP\n.B Options\n.RS\n" << entries << ".RE\n";
}

// Every command accepts the root's options; a command's page names them and points at crmctl(1).
std::string global_options_note(const CLI::App& root) {
  std::vector<std::string> names;
  for (const auto* o : root.get_options()) {
    if (o == root.get_help_ptr() || o == root.get_version_ptr()) continue;
    std::string n;
    for (const auto& s : o->get_snames())
      n += (n.empty() ? "-" : ", -") + s;
    for (const auto& l : o->get_lnames())
      n += (n.empty() ? "--" : ", --") + l;
    if (!n.empty()) names.push_back(n);
  }
  if (names.empty()) return "";
  return ".SH GLOBAL OPTIONS\n" + roff_escape(join(names, "; ")) + " (described in crmctl(1)).\n";
}

} // namespace

std::string completion_script(const CLI::App& root, const std::string& shell) {
  std::vector<Node> nodes;
  walk(&root, "", nodes);
  std::ostringstream s;
  if (shell == "bash" || shell == "zsh") {
    if (shell == "zsh")
      s << "#compdef crmctl\n# zsh completion for crmctl (generated; do not edit)\n"
           "autoload -U +X bashcompinit && bashcompinit\n";
    else
      s << "# bash completion for crmctl (generated; do not edit)\n";
    s << "_crmctl() {\n  local cur path w i words\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
         "  path=\"\"\n  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=\"${COMP_WORDS[i]}\"\n"
         "    case \"${path:+$path }$w\" in\n";
    for (const auto& n : nodes)
      s << "      \"" << n.path << "\") path=\"" << n.path << "\" ;;\n";
    s << "    esac\n  done\n  case \"$path\" in\n";
    s << "    \"\") words=\"" << words_for(&root) << "\" ;;\n";
    for (const auto& n : nodes)
      s << "    \"" << n.path << "\") words=\"" << words_for(n.app) << " "
        << join(flags_of(&root), " ") << "\" ;;\n";
    s << "  esac\n  case \"$path\" in\n    completion) words=\"bash zsh fish\" ;;\n  esac\n"
         "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -F _crmctl crmctl\n";
    return s.str();
  }
  if (shell == "fish") {
    s << "# fish completion for crmctl (generated; do not edit)\n";
    std::vector<std::string> top;
    for (const auto* a : visible_subs(&root))
      top.push_back(a->get_name());
    for (const auto* o : root.get_options())
      for (const auto& l : o->get_lnames())
        s << "complete -c crmctl -l " << l << " -d '" << o->get_description().substr(0, 60)
          << "'\n";
    for (const auto* a : visible_subs(&root)) {
      s << "complete -c crmctl -f -n '__fish_use_subcommand' -a " << a->get_name() << " -d '"
        << a->get_description() << "'\n";
      std::vector<std::string> verbs;
      for (const auto* v : visible_subs(a))
        verbs.push_back(v->get_name());
      for (const auto* v : visible_subs(a)) {
        s << "complete -c crmctl -f -n '__fish_seen_subcommand_from " << a->get_name()
          << "; and not __fish_seen_subcommand_from " << join(verbs, " ") << "' -a "
          << v->get_name() << " -d '" << v->get_description() << "'\n";
        for (const auto& f : flags_of(v))
          s << "complete -c crmctl -n '__fish_seen_subcommand_from " << v->get_name() << "' -l "
            << f.substr(2) << "\n";
      }
      for (const auto& f : flags_of(a))
        s << "complete -c crmctl -n '__fish_seen_subcommand_from " << a->get_name() << "' -l "
          << f.substr(2) << "\n";
    }
    s << "complete -c crmctl -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n";
    return s.str();
  }
  return "";
}

std::map<std::string, std::string> man_pages(const CLI::App& root, const Context& ctx) {
  std::map<std::string, std::string> pages;
  const std::string header_date = "crmctl " + std::string(version_string());
  auto doc_of = [&](const CLI::App* a) -> CommandDoc {
    auto it = ctx.docs.find(a);
    return it == ctx.docs.end() ? CommandDoc{a->get_description(), "", {}} : it->second;
  };
  {
    std::ostringstream m;
    m << ".TH CRMCTL 1 \"\" \"" << header_date << "\" \"crmctl manual\"\n"
      << ".SH NAME\ncrmctl \\- operate a multi-tenant voice-AI CRM platform\n"
      << ".SH SYNOPSIS\n.B crmctl\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
      << ".SH DESCRIPTION\n"
      << "One binary for tenant provisioning, migrations, credentials, numbers, tool sync, "
         "audits, billing and exports, built on a tenant-aware library in which every read or "
         "write of tenant data runs in a transaction scoped to that tenant by row-level "
         "security.\n"
      << ".SH GLOBAL OPTIONS\n";
    for (const auto* o : root.get_options()) {
      std::string syn = option_synopsis(o);
      if (syn.empty() || syn == "-h, --help") continue;
      m << ".TP\n.B " << roff_escape(syn) << "\n" << roff_escape(o->get_description()) << "\n";
    }
    m << ".SH COMMANDS\n";
    std::vector<Node> nodes;
    walk(&root, "", nodes);
    for (const auto& n : nodes)
      m << ".TP\n.B crmctl " << roff_escape(n.path) << "\n"
        << roff_escape(n.app->get_description()) << "\n";
    m << ".SH EXIT STATUS\n"
      << ".TP\n0\nsuccess, including nothing to do\n.TP\n1\nunexpected failure\n"
      << ".TP\n2\nusage error\n.TP\n3\nnot found\n.TP\n4\nconflict or failed precondition\n"
      << ".TP\n5\nfindings at or above the threshold (drift, audits)\n.TP\n6\nupstream provider "
         "error\n.TP\n7\ndatabase unavailable\n.TP\n8\npartial failure of a fan-out\n"
      << ".TP\n10\nconfiguration or credential error\n.TP\n130\ninterrupted\n"
      << ".SH ENVIRONMENT\n"
      << ".TP\nCRMCTL_CONFIG, CRMCTL_PROFILE\nconfig file and profile\n"
      << ".TP\nCRMCTL_DATABASE_URL, DATABASE_URL\nPostgreSQL URL when \\-\\-db is not given\n"
      << ".TP\nCRMCTL_MASTER_KEY, CRMCTL_MASTER_KEY_FILE\nbase64 32\\-byte key of the "
         "credentials vault\n"
      << ".TP\nNO_COLOR\ndisable colour\n"
      << ".SH FILES\n$XDG_CONFIG_HOME/crmctl/config.yaml, /etc/crmctl/config.yaml\n"
      << ".SH SEE ALSO\n";
    std::vector<std::string> refs;
    for (const auto* a : visible_subs(&root))
      refs.push_back("crmctl\\-" + a->get_name() + "(1)");
    m << join(refs, ", ") << "\n";
    pages["crmctl.1"] = m.str();
  }
  // One page per top-level command: a noun lists its verbs; a command without verbs (doctor,
  // version, completion) is its own page.
  for (const auto* a : visible_subs(&root)) {
    auto verbs = visible_subs(a);
    std::ostringstream m;
    std::string up = a->get_name();
    for (auto& c : up)
      c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    m << ".TH CRMCTL-" << up << " 1 \"\" \"" << header_date << "\" \"crmctl manual\"\n"
      << ".SH NAME\ncrmctl\\-" << a->get_name() << " \\- " << roff_escape(a->get_description())
      << "\n.SH SYNOPSIS\n";
    if (verbs.empty()) {
      auto d = doc_of(a);
      m << ".B crmctl " << a->get_name() << "\n"
        << roff_escape(positional_synopsis(a)) << " [\\fIOPTIONS\\fR]\n";
      if (!d.description.empty()) m << ".SH DESCRIPTION\n" << roff_escape(d.description) << "\n";
      if (auto entries = man_option_entries(a); !entries.empty()) m << ".SH OPTIONS\n" << entries;
      if (!d.examples.empty()) {
        m << ".SH EXAMPLES\n.nf\n";
        for (const auto& e : d.examples)
          m << "  " << roff_escape(e) << "\n";
        m << ".fi\n";
      }
      m << global_options_note(root) << ".SH SEE ALSO\ncrmctl(1)\n";
      pages["crmctl-" + a->get_name() + ".1"] = m.str();
      continue;
    }
    for (const auto* v : verbs)
      m << ".B crmctl " << a->get_name() << " " << v->get_name() << "\n"
        << roff_escape(positional_synopsis(v)) << " [\\fIOPTIONS\\fR]\n.br\n";
    auto nd = doc_of(a);
    if (!nd.description.empty()) m << ".SH DESCRIPTION\n" << roff_escape(nd.description) << "\n";
    m << ".SH COMMANDS\n";
    for (const auto* v : verbs) {
      auto d = doc_of(v);
      m << ".SS \"crmctl " << a->get_name() << " " << v->get_name() << "\"\n"
        << roff_escape(d.summary) << "\n";
      if (!d.description.empty()) m << ".PP\n" << roff_escape(d.description) << "\n";
      man_options(m, v);
      if (!d.examples.empty()) {
        m << ".PP\nExamples:\n.nf\n";
        for (const auto& e : d.examples)
          m << "  " << roff_escape(e) << "\n";
        m << ".fi\n";
      }
    }
    m << global_options_note(root) << ".SH SEE ALSO\ncrmctl(1)\n";
    pages["crmctl-" + a->get_name() + ".1"] = m.str();
  }
  return pages;
}

} // namespace crm::cmd
