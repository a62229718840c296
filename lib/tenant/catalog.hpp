// What the catalog says about tenant tables (shared by lifecycle, export and audits).
#pragma once
#include "core/result.hpp"
#include "db/db.hpp"

#include <string>
#include <vector>

namespace crm::tenant {

/// The tenant tables of a schema ("public" or org_<hex>): tables with an org_id column that are
/// not marked `crmctl:global` by comment, children before parents.
Result<std::vector<std::string>> tenant_tables(db::Tx& tx, const std::string& schema);
/// The same on its own short read-only transaction.
Result<std::vector<std::string>> tenant_tables(db::Connection& c, const std::string& schema);

} // namespace crm::tenant
