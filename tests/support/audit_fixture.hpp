// Helpers of the audit integration tests: a database loaded with a fixture schema from
// tests/fixtures/audit, audit runs through the library, and findings as (check, object) pairs.
#pragma once
#include "audit/audit.hpp"
#include "core/text.hpp"
#include "support/fakes.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>

namespace crm::test {

/// A finding as the tests compare it: (check id, object).
using Found = std::set<std::pair<std::string, std::string>>;

/// The text of tests/fixtures/audit/<name>.
inline std::string audit_fixture(const std::string& name) {
  auto t = read_file(std::string(CRM_SOURCE_DIR) + "/tests/fixtures/audit/" + name);
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  return t ? *t : std::string();
}

/// An empty database with one fixture schema loaded (by the superuser of the test cluster).
class AuditDatabase {
public:
  explicit AuditDatabase(const std::string& fixture, Start start = Start::empty) : m_db(start) {
    m_conn = m_db.connect();
    if (!m_conn) return;
    if (!fixture.empty())
      if (auto r = m_conn->exec_script(audit_fixture(fixture)); !r)
        ADD_FAILURE() << fixture << ": " << r.error().message;
  }
  db::Connection& conn() { return *m_conn; }
  const TempDatabase& db() const { return m_db; }
  bool ok() const { return m_conn != nullptr; }

private:
  TempDatabase m_db;
  std::unique_ptr<db::Connection> m_conn;
};

/// The configuration of a run from flags (and a profile, default: crm_app / app.current_org_id).
inline audit::Config audit_config(const audit::Flags& flags, const Profile& profile = {}) {
  auto c = audit::resolve_config(flags, profile);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : audit::Config{};
}

/// `audit rls` without the probe, finalized without a baseline.
inline Result<audit::Run> audit_static(db::Connection& conn, const audit::Config& cfg,
                                       bool data = false) {
  FakeClock clock;
  auto run = audit::run_static(conn, cfg, data, clock);
  if (run) audit::finalize(run->report, std::nullopt);
  return run;
}

/// The (check, object) pairs of a report.
inline Found found(const audit::Report& r) {
  Found out;
  for (const auto& f : r.findings)
    out.insert({f.check, f.object});
  return out;
}

/// Readable diff of two finding sets for failure messages.
inline std::string describe(const Found& want, const Found& got) {
  std::string s;
  for (const auto& w : want)
    if (!got.count(w)) s += "\n  missing: " + w.first + " " + w.second;
  for (const auto& g : got)
    if (!want.count(g)) s += "\n  unexpected: " + g.first + " " + g.second;
  return s;
}

} // namespace crm::test
