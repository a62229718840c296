// The export as it was before streaming, kept as the benchmark's reference: every table read whole
// into db::Rows through one TenantTx (READ COMMITTED), its JSONL built in one std::string, hashed
// and written. Same SQL as `crmctl tenant export` (row_to_json per row, primary-key order).
//   crm-bench-export-whole URL ORG_ID OUT_DIR
#include "core/crypto.hpp"
#include "db/db.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace crm;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crm-bench-export-whole URL ORG_ID OUT_DIR\n");
    return 2;
  }
  auto c = db::Connection::open(argv[1]);
  if (!c) return 1;
  const std::string org = argv[2], out = argv[3];
  std::filesystem::create_directories(out);
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "%s\n", e.full_message().c_str());
    return 1;
  };
  auto tables = (*c)->exec(
      "SELECT t.relname AS name, (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY "
      "array_position(i.indkey::int2[], a.attnum)) FROM pg_index i JOIN pg_attribute a ON "
      "a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = t.oid AND "
      "i.indisprimary) AS pk FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
      "JOIN pg_attribute o ON o.attrelid = t.oid AND o.attname = 'org_id' "
      "WHERE n.nspname = 'public' AND t.relkind = 'r' "
      "AND coalesce(obj_description(t.oid, 'pg_class'), '') NOT LIKE 'crmctl:global%' ORDER BY 1");
  if (!tables) return fail(tables.error());
  db::TenantScope scope;
  scope.org_id = org;
  auto tx = (*c)->tenant(scope);
  if (!tx) return fail(tx.error());
  std::size_t total = 0;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    const std::string tb = tables->get(i, "name"), pk = tables->get(i, "pk");
    auto rows = (*tx)->exec("SELECT row_to_json(x)::text AS j FROM " + db::quote_ident(tb) +
                            " x ORDER BY " + (pk.empty() ? std::string("1") : pk));
    if (!rows) return fail(rows.error());
    std::string text;
    for (std::size_t r = 0; r < rows->size(); ++r)
      text += rows->get(r, "j") + "\n";
    const std::string sha = crypto::hex(crypto::sha256(text));
    std::ofstream(out + "/" + tb + ".jsonl", std::ios::binary) << text;
    total += rows->size();
    std::printf("%s %zu %s\n", tb.c_str(), rows->size(), sha.c_str());
  }
  std::printf("total rows %zu\n", total);
  return (*tx)->commit() ? 0 : 1;
}
