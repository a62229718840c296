// JSON shapes of the library's typed results: the output contract (shared/docs/cli.md) lives in
// cmd/, not in lib/. Tables are rendered from the same JSON with a column list.
#pragma once
#include "tenant/apikeys.hpp"
#include "tenant/lifecycle.hpp"
#include "tenant/provision.hpp"
#include "tenant/user_import.hpp"
#include "tenant/users.hpp"
#include "tenant/vault.hpp"

#include <nlohmann/json.hpp>

namespace crm::cmd {

nlohmann::json json_of(const tenant::CreateResult& r);
nlohmann::json json_of(const tenant::TenantSummary& t);
nlohmann::json json_of(const tenant::TenantDetails& t);
nlohmann::json json_of(const tenant::UpdateResult& r);
nlohmann::json json_of(const tenant::StatusChange& r);
nlohmann::json json_of(const tenant::RemoveResult& r);
nlohmann::json json_of(const tenant::UserResult& r);
nlohmann::json json_of(const tenant::Member& m);
nlohmann::json json_of(const tenant::DisableResult& r);
nlohmann::json json_of(const tenant::ImportRow& r);
nlohmann::json json_of(const tenant::ApiKeyCreated& k);
nlohmann::json json_of(const tenant::ApiKeyInfo& k);
nlohmann::json json_of(const tenant::RevokeResult& r);
nlohmann::json json_of(const tenant::CredentialSet& c);
nlohmann::json json_of(const tenant::CredentialInfo& c);
nlohmann::json json_of(const tenant::CredentialDeleted& c);
nlohmann::json json_of(const tenant::VerifyOutcome& v);
nlohmann::json json_of(const tenant::RotateResult& r);

/// A JSON array of json_of(item) for each item.
template <class T> nlohmann::json json_list(const std::vector<T>& items) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& i : items)
    a.push_back(json_of(i));
  return a;
}

} // namespace crm::cmd
