// A fresh database per test fixture in the throwaway cluster started by `make test`; optionally
// cloned from a template database that is already migrated (built once per migration set and
// shared by every test process, so fixtures do not re-run every migration).
#pragma once
#include "core/crypto.hpp"
#include "db/db.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace crm::test {

/// The superuser URL of the test cluster (CRMCTL_TEST_DATABASE_URL, set by make test).
inline std::string admin_url() {
  const char* u = std::getenv("CRMCTL_TEST_DATABASE_URL");
  return u ? u : "";
}

/// A key over every file of the canonical migrations: a changed file gives a new template.
inline std::string migrations_key() {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& e :
       fs::recursive_directory_iterator(std::string(CRM_SOURCE_DIR) + "/templates/migrations"))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += f + "\n" + ss.str();
  }
  return crypto::hex(crypto::sha256(all)).substr(0, 16);
}

/// Where the fixture starts: an empty database, or one at the current canonical schema.
enum class Start { empty, migrated };

/// Creates database t_<random>; drops it (WITH FORCE) on destruction.
class TempDatabase {
public:
  explicit TempDatabase(Start start = Start::empty) {
    std::string admin = admin_url();
    if (admin.empty()) {
      ADD_FAILURE() << "CRMCTL_TEST_DATABASE_URL is not set: run the suite with `make test`";
      return;
    }
    m_name = "t_" + crypto::hex(crypto::random_bytes(6));
    auto c = db::Connection::open(admin);
    if (!c) {
      ADD_FAILURE() << c.error().message;
      return;
    }
    std::string from;
    if (start == Start::migrated) {
      from = ensure_template(**c);
      if (from.empty()) return;
    }
    auto r =
        (*c)->exec("CREATE DATABASE " + m_name +
                   (from.empty() ? std::string() : " TEMPLATE " + from + " STRATEGY = FILE_COPY"));
    if (!r) ADD_FAILURE() << r.error().message;
    m_url = url_of(m_name);
  }
  ~TempDatabase() {
    if (m_name.empty()) return;
    if (auto c = db::Connection::open(admin_url()))
      (void)(*c)->exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
  }
  const std::string& url() const { return m_url; }
  const std::string& name() const { return m_name; }
  std::unique_ptr<db::Connection> connect() const {
    auto c = db::Connection::open(m_url);
    if (!c) {
      ADD_FAILURE() << c.error().message;
      return nullptr;
    }
    return std::move(c).value();
  }

private:
  static std::string url_of(const std::string& name) {
    std::string admin = admin_url();
    return admin.substr(0, admin.rfind('/') + 1) + name;
  }
  // The migrated template, built by the real binary (`crmctl migrate up`) under an advisory lock
  // so parallel test processes build it once; published by a rename, so it is never half-made.
  static std::string ensure_template(db::Connection& admin) {
    std::string name = "crm_tpl_" + migrations_key();
    (void)admin.exec("SELECT pg_advisory_lock(7401, hashtext($1))", {name});
    auto unlock = [&] {
      (void)admin.exec("SELECT pg_advisory_unlock(7401, hashtext($1))", {name});
    };
    auto have = admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", {name});
    if (have && !have->empty()) {
      unlock();
      return name;
    }
    std::string building = name + "_wip";
    (void)admin.exec("DROP DATABASE IF EXISTS " + building + " WITH (FORCE)");
    if (auto r = admin.exec("CREATE DATABASE " + building); !r) {
      ADD_FAILURE() << r.error().message;
      unlock();
      return "";
    }
    std::string cmd = std::string(CRMCTL_BINARY) + " -q -o json --db '" + url_of(building) +
                      "' migrate up --migrations-dir '" + CRM_SOURCE_DIR +
                      "/templates/migrations' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "building the template database failed: " << cmd;
      unlock();
      return "";
    }
    if (auto r = admin.exec("ALTER DATABASE " + building + " RENAME TO " + name); !r)
      ADD_FAILURE() << r.error().message;
    unlock();
    return name;
  }

  std::string m_name, m_url;
};

} // namespace crm::test
