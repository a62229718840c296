// A fresh database per test fixture in the throwaway cluster started by `make test`.
#pragma once
#include "core/crypto.hpp"
#include "db/db.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace crm::test {

/// The superuser URL of the test cluster (CRMCTL_TEST_DATABASE_URL, set by make test).
inline std::string admin_url() {
  const char* u = std::getenv("CRMCTL_TEST_DATABASE_URL");
  return u ? u : "";
}

/// Creates database t_<random>; drops it (WITH FORCE) on destruction.
class TempDatabase {
public:
  TempDatabase() {
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
    auto r = (*c)->exec("CREATE DATABASE " + m_name);
    if (!r) ADD_FAILURE() << r.error().message;
    auto slash = admin.rfind('/');
    m_url = admin.substr(0, slash + 1) + m_name;
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
  std::string m_name, m_url;
};

} // namespace crm::test
