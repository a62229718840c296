// Validation shared by provisioning and updates (internal to lib/tenant).
#pragma once
#include "core/money.hpp"
#include "core/result.hpp"
#include "db/db.hpp"

#include <optional>
#include <string>

namespace crm::tenant::detail {

/// A tenant display name: 1..200 characters through the one text validator (check_text).
Status validate_name(const std::string& name, const std::string& field = "tenant name");
Status validate_slug(const std::string& slug, const std::string& field = "slug");
/// An email as given: check_text (at most 254 characters), then the address shape.
Status validate_email(const std::string& email, const std::string& field);
/// A person's display name (may be empty): check_text, at most 200 characters.
Status validate_person_name(const std::string& name, const std::string& field);
/// A password: check_text without ever quoting it (a NUL would truncate it for bcrypt), and at
/// least 8 characters.
Status validate_password(const std::string& password, const std::string& field = "password");
/// IANA-shaped names resolved by the server's own tz database.
Status validate_timezone(db::Tx& tx, const std::string& tz);
/// Each amount non-negative, and a customer rate either explicit or as a markup, not both; the
/// rate a markup gives must fit its numeric(20, 6) column.
Status validate_billing_terms(const std::optional<Decimal>& cogs,
                              const std::optional<Decimal>& rate,
                              const std::optional<Decimal>& markup,
                              std::optional<int> free_minutes);
Status validate_currency(const std::string& cur);
/// Config error (exit 10) when the database has no crmctl schema yet.
Status require_migrated(db::Tx& tx);

} // namespace crm::tenant::detail
