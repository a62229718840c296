// Streaming reads and `tenant export` against a real PostgreSQL: one snapshot, batches, counts and
// hashes matching the files, tenant isolation, file modes, refusal of a READ COMMITTED transaction.
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "db/stream.hpp"
#include "support/tenant_fixture.hpp"
#include "tenant/export.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace crm;
namespace fs = std::filesystem;

namespace {

constexpr db::TxMode k_snapshot{.isolation = db::TxIsolation::repeatable_read,
                                .access = db::TxAccess::read_only};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);)
    out.push_back(l);
  return out;
}

class ExportTest : public test::TenantFixture {
protected:
  void SetUp() override {
    test::TenantFixture::SetUp();
    out = fs::temp_directory_path() / ("crmctl-export-" + uuid_v4()) / "nested";
  }
  void TearDown() override { fs::remove_all(out.parent_path()); }

  tenant::TenantRef create(const std::string& name, db::Isolation iso = db::Isolation::row) {
    return test::TenantFixture::create(spec(name, iso));
  }
  // `n` synthetic calls with a 2 KB transcript, inserted by the superuser in one statement.
  void seed_calls(db::Connection& conn, const tenant::TenantRef& t, int n,
                  const std::string& prefix = "ext-") {
    auto r = conn.exec("INSERT INTO " + tenant::table_of(t, "calls") +
                           " (org_id, provider, external_call_id, direction, from_number, "
                           "to_number, started_at, duration_seconds, provider_cost, transcript) "
                           "SELECT $1::uuid, 'vapi', $2 || g, 'inbound', '+14155550100', "
                           "'+14155550199', now() - g * interval '1 minute', 60 + g % 300, "
                           "0.070000, repeat(md5(g::text), 64) FROM generate_series(1, $3::int) g",
                       {t.id, prefix, std::to_string(n)});
    ASSERT_TRUE(r) << r.error().message;
  }
  // What `crmctl tenant export` does: one REPEATABLE READ READ ONLY admin transaction reads the
  // schema version, then the rows in the tenant's scope (db::scoped) from the same snapshot.
  Result<tenant::ExportManifest> run_export(const tenant::TenantRef& t,
                                            tenant::ExportOptions o = {}) {
    CRM_TRY_ASSIGN(auto atx, c->admin(k_snapshot));
    o.out_dir = out.string();
    o.now = clock.now();
    CRM_TRY_ASSIGN(o.schema_version, tenant::export_schema_version(*atx, t));
    tenant::ExportManifest m;
    {
      CRM_TRY_ASSIGN(auto tx, db::scoped(*atx, tenant::scope_of(t, tenancy)));
      CRM_TRY_ASSIGN(m, tenant::export_to(*tx, t, o));
    }
    CRM_TRY(atx->commit());
    return m;
  }
  // The same through a TenantTx of its own (version read beforehand on the admin path).
  Result<tenant::ExportManifest> run_export_own_tx(const tenant::TenantRef& t,
                                                   tenant::ExportOptions o = {}) {
    {
      CRM_TRY_ASSIGN(auto atx, c->admin());
      CRM_TRY_ASSIGN(o.schema_version, tenant::export_schema_version(*atx, t));
    }
    CRM_TRY_ASSIGN(auto tx, c->tenant(tenant::scope_of(t, tenancy), k_snapshot));
    o.out_dir = out.string();
    o.now = clock.now();
    CRM_TRY_ASSIGN(auto m, tenant::export_to(*tx, t, o));
    CRM_TRY(tx->commit());
    return m;
  }
  // Every file of the manifest matches it: rows = lines, bytes = size, sha256 of the bytes, 0600.
  void expect_files_match(const tenant::ExportManifest& m) {
    EXPECT_EQ(mode_of(out), 0700u);
    for (const auto& tb : m.tables) {
      const fs::path f = out / tb.file;
      const std::string text = read_file(f);
      EXPECT_EQ(tb.bytes, text.size()) << tb.name;
      EXPECT_EQ(tb.sha256, crypto::hex(crypto::sha256(text))) << tb.name;
      EXPECT_EQ(tb.rows, static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')))
          << tb.name;
      EXPECT_EQ(mode_of(f), 0600u) << tb.name;
    }
    EXPECT_EQ(mode_of(out / "manifest.json"), 0600u);
    EXPECT_EQ(mode_of(out / "organization.json"), 0600u);
    EXPECT_EQ(nlohmann::json::parse(read_file(out / "manifest.json")), tenant::manifest_json(m));
    // Nothing but the manifest's files, organization.json and manifest.json (no temporaries).
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(out))
      ++n;
    EXPECT_EQ(n, m.tables.size() + 2);
  }

  fs::path out;
};

} // namespace

TEST_F(ExportTest, TxModeGivesRepeatableReadReadOnly) {
  auto t = create("Mode Clinic");
  auto tx = c->tenant(tenant::scope_of(t, tenancy), k_snapshot);
  ASSERT_TRUE(tx) << tx.error().message;
  auto r = (*tx)->exec("SELECT current_setting('transaction_isolation') AS iso, "
                       "current_setting('transaction_read_only') AS ro");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->get(0, "iso"), "repeatable read");
  EXPECT_EQ(r->get(0, "ro"), "on");
  auto w = (*tx)->exec("DELETE FROM services");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().sqlstate, "25006"); // read_only_sql_transaction
  (*tx)->rollback();
  auto a = c->admin({.isolation = db::TxIsolation::serializable});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ((*a)->exec("SELECT current_setting('transaction_isolation') AS iso")->get(0, "iso"),
            "serializable");
  (*a)->rollback();
  auto d = c->admin();
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)->exec("SELECT current_setting('transaction_isolation') AS iso")->get(0, "iso"),
            "read committed");
}

TEST_F(ExportTest, StreamDeliversBatchesWhileTheCursorIsOpen) {
  auto t = create("Stream Clinic");
  seed_calls(*c, t, 1000);
  auto tx = c->tenant(tenant::scope_of(t, tenancy), k_snapshot);
  ASSERT_TRUE(tx);
  std::vector<std::string> ids;
  long open_cursors_at_first_row = -1;
  // A bound parameter (never spliced): 'ext-' || g for g in 1..1000, minus ext-1 .. ext-9 = 991
  // rows, which is not a multiple of the batch.
  auto st =
      db::stream(**tx,
                 "SELECT external_call_id AS id, transcript FROM calls WHERE "
                 "length(external_call_id) > $1::int "
                 "ORDER BY external_call_id",
                 {"5"}, 100, [&](const db::StreamRow& r) -> Status {
                   if (ids.empty()) {
                     // The first row arrives while the query is still being read: the cursor is
                     // open.
                     auto n = (*tx)->exec(
                         "SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'crm_stream_%'");
                     if (!n) return std::move(n).error();
                     open_cursors_at_first_row = std::stol(n->get(0, "n"));
                   }
                   EXPECT_EQ(r.columns(), (std::vector<std::string>{"id", "transcript"}));
                   EXPECT_EQ(r.text(1).size(), 2048u);
                   ids.push_back(r.get("id"));
                   return {};
                 });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(open_cursors_at_first_row, 1);
  EXPECT_EQ(st->rows, 991u);
  EXPECT_EQ(ids.size(), 991u);
  EXPECT_EQ(st->batches, 10u); // 9 full batches of 100 and one of 91
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  // A multiple of the batch size ends with one empty FETCH.
  auto exact = db::stream(**tx, "SELECT g FROM generate_series(1, 200) g", {}, 100,
                          [](const db::StreamRow&) { return Status{}; });
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->batches, 3u);
  // An error from the callback stops the stream, closes the cursor and leaves the tx usable.
  std::size_t seen = 0;
  auto stopped = db::stream(**tx, "SELECT g FROM generate_series(1, 1000) g", {}, 10,
                            [&](const db::StreamRow&) -> Status {
                              if (++seen == 15) return make_error(ErrorKind::interrupted, "stop");
                              return {};
                            });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().kind, ErrorKind::interrupted);
  EXPECT_EQ(seen, 15u);
  auto left = (*tx)->exec("SELECT count(*) AS n FROM pg_cursors");
  ASSERT_TRUE(left) << left.error().message;
  EXPECT_EQ(left->get(0, "n"), "0");
}

TEST_F(ExportTest, RefusesAReadCommittedOrForeignTransaction) {
  auto t = create("Refusal Clinic"), other = create("Other Clinic");
  tenant::ExportOptions o;
  o.out_dir = out.string();
  o.now = clock.now();
  {
    auto tx = c->tenant(tenant::scope_of(t, tenancy)); // READ COMMITTED
    ASSERT_TRUE(tx);
    auto m = tenant::export_to(**tx, t, o);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind, ErrorKind::unexpected);
    EXPECT_NE(m.error().message.find("read committed"), std::string::npos) << m.error().message;
  }
  {
    auto tx = c->tenant(tenant::scope_of(other, tenancy), k_snapshot);
    ASSERT_TRUE(tx);
    auto m = tenant::export_to(**tx, t, o);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind, ErrorKind::unexpected);
  }
  EXPECT_FALSE(fs::exists(out)) << "nothing written before the checks";
}

TEST_F(ExportTest, OneSnapshotIgnoresWritesMadeDuringTheExport) {
  auto t = create("Snapshot Clinic", db::Isolation::schema);
  seed_calls(*c, t, 2000);
  auto other = db.connect();
  ASSERT_TRUE(other);
  std::vector<std::string> events;
  tenant::ExportOptions o;
  o.batch_rows = 100;
  o.on_progress = [&](const std::string& table, std::uint64_t rows) -> Status {
    events.push_back(table + ":" + std::to_string(rows));
    // After the first table and in the middle of `calls`, another session commits new rows.
    if (events.size() == 1 || (table == "calls" && rows == 100)) {
      const std::string tag = "late-" + std::to_string(events.size()) + "-";
      seed_calls(*other, t, 1, tag);
      auto r = other->exec("INSERT INTO " + tenant::table_of(t, "contacts") +
                               " (org_id, phone) VALUES ($1::uuid, $2)",
                           {t.id, "+1415555" + std::to_string(1000 + events.size())});
      if (!r) return std::move(r).error();
      auto s = other->exec("UPDATE " + tenant::table_of(t, "services") +
                               " SET name = name || ' (renamed)' WHERE org_id = $1::uuid",
                           {t.id});
      if (!s) return std::move(s).error();
    }
    return {};
  };
  auto m = run_export(t, o);
  ASSERT_TRUE(m) << m.error().message;
  // Progress came per batch, so the writes above happened while `calls` was being read.
  EXPECT_NE(std::find(events.begin(), events.end(), "calls:100"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "calls:1900"), events.end());
  EXPECT_EQ(count("SELECT count(*) FROM " + tenant::table_of(t, "calls")), 2002);
  EXPECT_EQ(count("SELECT count(*) FROM " + tenant::table_of(t, "contacts")), 2);
  EXPECT_EQ(m->schema_version, set.tenant.back().version);
  EXPECT_EQ(m->tenant.id, t.id);
  std::map<std::string, std::uint64_t> rows;
  for (const auto& tb : m->tables)
    rows[tb.name] = tb.rows;
  EXPECT_EQ(rows["calls"], 2000u);
  EXPECT_EQ(rows["contacts"], 0u);
  EXPECT_EQ(rows["services"], 7u);
  const std::string calls = read_file(out / "calls.jsonl");
  EXPECT_EQ(calls.find("late-"), std::string::npos);
  EXPECT_EQ(read_file(out / "services.jsonl").find("(renamed)"), std::string::npos);
  auto first = nlohmann::json::parse(lines_of(out / "services.jsonl").at(0));
  EXPECT_EQ(first["org_id"], t.id);
  expect_files_match(*m);
}

TEST_F(ExportTest, LargeTenantMatchesCountsAndHashesAndNothingOfAnotherTenant) {
  auto a = create("Large Clinic"), b = create("Neighbour Clinic");
  seed_calls(*c, a, 20000);
  seed_calls(*c, b, 300, "neighbour-");
  auto m = run_export_own_tx(a);
  ASSERT_TRUE(m) << m.error().message;
  std::map<std::string, std::uint64_t> rows;
  for (const auto& tb : m->tables)
    rows[tb.name] = tb.rows;
  EXPECT_EQ(rows["calls"], 20000u);
  EXPECT_EQ(rows["services"], 7u);
  EXPECT_EQ(rows["memberships"], 1u);
  EXPECT_TRUE(std::is_sorted(m->tables.begin(), m->tables.end(),
                             [](const auto& x, const auto& y) { return x.name < y.name; }));
  expect_files_match(*m);
  // Every line is this tenant's; the neighbour appears nowhere, not even by id.
  for (const auto& tb : m->tables) {
    for (const auto& line : lines_of(out / tb.file)) {
      auto j = nlohmann::json::parse(line);
      ASSERT_EQ(j["org_id"], a.id) << tb.name;
    }
  }
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string text = read_file(e.path());
    EXPECT_EQ(text.find(b.id), std::string::npos) << e.path();
    EXPECT_EQ(text.find("neighbour-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(nlohmann::json::parse(read_file(out / "organization.json"))["id"], a.id);
  // Calls come in primary-key order, each exactly once.
  auto lines = lines_of(out / "calls.jsonl");
  std::vector<std::string> ids;
  for (const auto& l : lines)
    ids.push_back(nlohmann::json::parse(l)["id"]);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  // Exporting again into the same directory replaces every file and the manifest.
  seed_calls(*c, a, 5, "again-");
  auto again = run_export(a);
  ASSERT_TRUE(again) << again.error().message;
  expect_files_match(*again);
  EXPECT_EQ(lines_of(out / "calls.jsonl").size(), 20005u);
}
