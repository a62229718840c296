// Provisioning throughput: N row-mode and M schema-mode tenants through tenant::create on one
// connection, each with admin user, services, credit account (and schema at the current version).
//   crm-bench-provision URL MIGRATIONS_DIR TEMPLATE N_ROW N_SCHEMA
#include "cmd/system_clock.hpp"
#include "migrate/migrate.hpp"
#include "tenant/provision.hpp"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: crm-bench-provision URL MIGRATIONS_DIR TEMPLATE N_ROW N_SCHEMA\n");
    return 2;
  }
  std::string url = argv[1];
  auto set = crm::migrate::load_migrations(argv[2]);
  auto tmpl = crm::tenant::load_template(argv[3]);
  if (!set || !tmpl) return 1;
  crm::cmd::SystemClock clock;
  std::atomic<bool> stop{false};
  auto up = crm::migrate::up(
      *set, {}, [&] { return crm::db::Connection::open(url); }, clock, {}, stop);
  if (!up || up->failed_count()) {
    std::fprintf(stderr, "migrate up failed\n");
    return 1;
  }
  auto c = crm::db::Connection::open(url);
  if (!c) return 1;
  crm::tenant::Tenancy tenancy;
  crm::tenant::Actor actor{"bench", ""};
  for (auto [mode, n] : {std::pair{crm::db::Isolation::row, std::atoi(argv[4])},
                         std::pair{crm::db::Isolation::schema, std::atoi(argv[5])}}) {
    if (n == 0) continue;
    long trips = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      crm::tenant::CreateSpec s;
      s.name = std::string(mode == crm::db::Isolation::row ? "Row" : "Schema") + " Tenant " +
               std::to_string(i);
      s.isolation = mode;
      s.timezone = "Europe/London";
      s.admin_email = "owner" + std::to_string(i) +
                      (mode == crm::db::Isolation::row ? "@row" : "@schema") + ".example";
      s.cogs_per_minute = *crm::Decimal::parse("0.07");
      s.free_minutes = 100;
      s.tmpl = *tmpl;
      // One transaction per tenant, committed: what `crmctl tenant create` does.
      auto tx = (*c)->admin();
      if (!tx) return 1;
      auto r = crm::tenant::create(**tx, s, *set, tenancy, actor, crm::DryRun::no);
      if (r) {
        if (auto done = (*tx)->commit(); !done) r = std::move(done).error();
      }
      if (!r) {
        std::fprintf(stderr, "tenant %d: %s\n", i, r.error().message.c_str());
        return 1;
      }
      trips += r->round_trips;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s-mode: %d tenants in %.2f s = %.0f tenants/s, %.1f SQL round trips per tenant\n",
                mode == crm::db::Isolation::row ? "row" : "schema", n, secs, n / secs,
                static_cast<double>(trips) / n);
  }
  return 0;
}
