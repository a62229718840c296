// What a new user hit on the command line: a mistyped verb, a value that looks like a flag, a
// verb's --help without the global flags, and commands without a man page.
#include "cmd/docs/generate.hpp"
#include "cmd_harness.hpp"

using namespace crm;
using test::Cli;

namespace {

const char* k_nowhere = "postgresql://127.0.0.1:1/nowhere";

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

long lines(const std::string& s) {
  return std::count(s.begin(), s.end(), '\n');
}

} // namespace

TEST(Papercuts, UnknownVerbNamesTheWordAndSuggestsTheClosest) {
  Cli cli;
  auto r = cli({"tenant", "lst"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_EQ(lines(r.err), 1) << r;
  EXPECT_TRUE(contains(r.err, "unknown command 'lst' for `crmctl tenant`; did you mean 'list'?"))
      << r;
  EXPECT_TRUE(r.out.empty()) << r;

  auto prefix = cli({"tenant", "cre", "Acme"});
  EXPECT_EQ(prefix.code, 2) << prefix;
  EXPECT_TRUE(contains(prefix.err, "unknown command 'cre' for `crmctl tenant`; did you mean "
                                   "'create'?"))
      << prefix;

  auto noun = cli({"tenantz", "list"});
  EXPECT_EQ(noun.code, 2) << noun;
  EXPECT_TRUE(contains(noun.err, "unknown command 'tenantz' for `crmctl`; did you mean 'tenant'?"))
      << noun;

  auto after_flags = cli({"--db", k_nowhere, "-o", "table", "migrate", "stauts"});
  EXPECT_EQ(after_flags.code, 2) << after_flags;
  EXPECT_TRUE(contains(after_flags.err, "unknown command 'stauts' for `crmctl migrate`; did you "
                                        "mean 'status'?"))
      << after_flags;

  // Nothing close: the word is still named, no guess.
  auto far = cli({"creds", "frobnicate"});
  EXPECT_EQ(far.code, 2) << far;
  EXPECT_TRUE(contains(far.err, "unknown command 'frobnicate' for `crmctl creds`")) << far;
  EXPECT_FALSE(contains(far.err, "did you mean")) << far;
  // A hidden command is never suggested.
  EXPECT_FALSE(contains(cli({"__gendoc"}).err, "__gendocs"));

  // Under -o json the same message, as a JSON usage error.
  auto j = cli({"-o", "json", "user", "lsit"});
  EXPECT_EQ(j.code, 2) << j;
  auto e = j.error_json();
  EXPECT_EQ(e["kind"], "usage");
  EXPECT_TRUE(contains(e["message"].get<std::string>(), "did you mean 'list'?")) << j;
}

TEST(Papercuts, MissingSubcommandStillListsTheChoices) {
  Cli cli;
  auto r = cli({"tenant"});
  EXPECT_EQ(r.code, 2) << r;
  EXPECT_TRUE(contains(r.err, "needs a subcommand")) << r;
  EXPECT_FALSE(contains(r.err, "unknown command")) << r;
}

TEST(Papercuts, ValueThatLooksLikeAFlag) {
  Cli cli;
  auto slug = cli({"--db", k_nowhere, "tenant", "create", "--slug", "-x", "Foo"});
  EXPECT_EQ(slug.code, 2) << slug;
  EXPECT_EQ(lines(slug.err), 1) << slug;
  EXPECT_TRUE(contains(slug.err, "--slug needs a value; '-x' looks like a flag (use --slug=-x if "
                                 "it is the value)"))
      << slug;

  // CLI11 would take -5 as the value; it is reported the same way, before any connection.
  auto tz = cli({"--db", k_nowhere, "tenant", "create", "Foo", "--timezone", "-5"});
  EXPECT_EQ(tz.code, 2) << tz;
  EXPECT_TRUE(contains(tz.err, "--timezone needs a value; '-5' looks like a flag (use "
                               "--timezone=-5 if it is the value)"))
      << tz;

  // Global options too, and a short name is answered with the long form to use.
  auto tenant = cli({"--tenant", "--dry-run", "tenant", "list"});
  EXPECT_EQ(tenant.code, 2) << tenant;
  EXPECT_TRUE(contains(tenant.err, "--tenant needs a value; '--dry-run' looks like a flag"))
      << tenant;
  auto out = cli({"-o", "-q", "version"});
  EXPECT_EQ(out.code, 2) << out;
  EXPECT_TRUE(contains(out.err, "-o needs a value; '-q' looks like a flag (use --output=-q"))
      << out;

  // The `=` form is how such a value is given: no flag complaint, and `version` still works
  // with a flag after a value-taking option.
  auto eq = cli({"--db", k_nowhere, "--dry-run", "tenant", "create", "Foo", "--slug=-x"});
  EXPECT_FALSE(contains(eq.err, "looks like a flag")) << eq;
  auto ok = cli({"--config", "/nonexistent.yaml", "-o", "json", "version"});
  EXPECT_EQ(ok.code, 0) << ok;
  // A flag followed by a flag is no problem: flags take no value.
  auto flags = cli({"-q", "-o", "json", "--dry-run", "-v", "--no-color", "version"});
  EXPECT_EQ(flags.code, 0) << flags;
  // "-" alone is a value (stdin/stdout), not a flag.
  auto dash = cli({"-o", "json", "--db", k_nowhere, "user", "import", "--tenant", "x", "-"});
  EXPECT_FALSE(contains(dash.err, "looks like a flag")) << dash;
}

TEST(Papercuts, VerbHelpShowsTheGlobalFlags) {
  Cli cli;
  for (std::vector<std::string> argv : {std::vector<std::string>{"tenant", "create", "--help"},
                                        std::vector<std::string>{"creds", "rotate-key", "--help"},
                                        std::vector<std::string>{"doctor", "--help"},
                                        std::vector<std::string>{"tenant", "--help"}}) {
    auto r = cli(argv);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_TRUE(contains(r.out, "Global flags")) << r.out;
    for (const char* flag : {"--dry-run", "--tenant", "-o, --output", "--config", "--profile",
                             "--db", "-y, --yes", "--read-only", "--no-color"})
      EXPECT_TRUE(contains(r.out, flag)) << argv[0] << ": " << flag << " missing in\n" << r.out;
    EXPECT_FALSE(contains(r.out, "--version")) << r.out;
  }
  // The verb's own flags and examples are still there.
  auto r = cli({"tenant", "create", "--help"});
  EXPECT_TRUE(contains(r.out, "--if-not-exists")) << r.out;
  EXPECT_TRUE(contains(r.out, "Examples:")) << r.out;
}

TEST(Papercuts, ManPageForEveryTopLevelCommand) {
  test::Parsed p;
  auto pages = cmd::man_pages(p.root, p.ctx);
  for (const char* name : {"version", "config", "context", "doctor", "completion", "migrate",
                           "tenant", "user", "apikey", "creds"}) {
    std::string file = "crmctl-" + std::string(name) + ".1";
    ASSERT_TRUE(pages.count(file)) << file << " not generated";
    EXPECT_TRUE(contains(pages.at(file), "crmctl\\-" + std::string(name) + " \\- ")) << file;
    EXPECT_TRUE(contains(pages.at("crmctl.1"), "crmctl\\-" + std::string(name) + "(1)")) << name;
    // And checked in (tests/e2e/docs_fresh.sh checks that they are current).
    EXPECT_TRUE(std::filesystem::exists(std::string(CRM_SOURCE_DIR) + "/man/" + file)) << file;
  }
  EXPECT_FALSE(pages.count("crmctl-__gendocs.1"));
  // A command without verbs gets its own synopsis, options and examples; flags take no VALUE.
  const auto& doctor = pages.at("crmctl-doctor.1");
  EXPECT_TRUE(contains(doctor, ".B crmctl doctor\n")) << doctor;
  EXPECT_TRUE(contains(doctor, ".SH EXAMPLES")) << doctor;
  EXPECT_TRUE(contains(doctor, ".SH GLOBAL OPTIONS")) << doctor;
  EXPECT_FALSE(contains(pages.at("crmctl.1"), "\\-\\-dry\\-run VALUE"));
}
