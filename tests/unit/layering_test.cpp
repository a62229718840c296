// The layering rule of lib/README.md, checked on the source tree: heavy third-party headers stay
// in their adapters, and cmd/ reaches the database and HTTP only through the library.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Include {
  std::string file; // relative to the source root
  std::string header;
};

std::vector<Include> includes_under(const std::vector<std::string>& roots) {
  static const std::regex k_inc(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  std::vector<Include> out;
  fs::path src(CRM_SOURCE_DIR);
  for (const auto& r : roots) {
    if (!fs::exists(src / r)) continue;
    for (const auto& e : fs::recursive_directory_iterator(src / r)) {
      auto ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, k_inc))
          out.push_back({fs::relative(e.path(), src).string(), m[1].str()});
      }
    }
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

// Files that may include `header_prefix`: the adapter folder(s) or exact files.
void expect_only_in(const std::string& header_prefix, const std::vector<std::string>& allowed) {
  for (const auto& inc : includes_under({"lib", "cmd", "tests", "bench"})) {
    if (!starts_with(inc.header, header_prefix)) continue;
    bool ok = false;
    for (const auto& a : allowed)
      ok = ok || starts_with(inc.file, a);
    EXPECT_TRUE(ok) << inc.file << " includes <" << inc.header << ">, which belongs in "
                    << allowed.front();
  }
}

} // namespace

TEST(Layering, PqxxOnlyInLibDb) {
  expect_only_in("pqxx/", {"lib/db/"});
}

TEST(Layering, CurlOnlyInLibHttp) {
  expect_only_in("curl/", {"lib/http/"});
}

TEST(Layering, HttplibOnlyInTheDaemonServerAndTheSimulator) {
  expect_only_in("httplib.h", {"lib/webhook/server.cpp", "tests/sim/"});
}

TEST(Layering, CairoOnlyInTheStatementRenderer) {
  expect_only_in("cairo", {"lib/billing/statement.cpp"});
}

TEST(Layering, CoreKnowsNoOtherLayer) {
  for (const auto& inc : includes_under({"lib/core"}))
    for (const char* layer :
         {"db/", "http/", "tenant/", "migrate/", "providers/", "ops/", "audit/", "billing/", "webhook/",
          "cmd/"})
      EXPECT_FALSE(starts_with(inc.header, layer)) << inc.file << " includes " << inc.header;
}

TEST(Layering, TheScannerSeesTheTree) {
  // Guards the checks above against passing vacuously (a wrong root finds nothing).
  auto all = includes_under({"lib", "cmd"});
  EXPECT_GT(all.size(), 100u);
  bool saw_pqxx = false;
  for (const auto& i : all)
    saw_pqxx = saw_pqxx || starts_with(i.header, "pqxx/");
  EXPECT_TRUE(saw_pqxx);
}
