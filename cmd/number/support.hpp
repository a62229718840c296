// What the number verbs share: the platform accounts of the profile, a tenant's saga environment,
// and the JSON shapes of numbers, saga results and reconcile findings.
#pragma once
#include "cmd/app.hpp"
#include "cmd/support.hpp"
#include "telephony/numbers.hpp"

#include <nlohmann/json.hpp>

namespace crm::cmd::number_support {

/// A provider value of the profile (`providers.<provider>.<key>`) with its reference resolved and
/// registered with the redactor; "" when not set, a config error naming it when it does not resolve.
Result<std::string> value(Deps& d, const ProviderConfig& p, const std::string& provider,
                          const std::string& key);
/// Base URLs and platform accounts from the profile's providers block (secret references
/// resolved; an unresolvable reference is a config error naming it).
Result<telephony::Platform> platform(Deps& d);
/// The webhook URLs of the profile (config error when webhook_base_url is unset or malformed).
Result<telephony::WebhookUrls> urls(Deps& d);
/// The master key when one is configured (nullopt otherwise: tenants without own credentials
/// need none).
std::optional<MasterKey> optional_master_key(Deps& d);
/// A tenant's saga environment on the call's session. `need_urls`: fail without a webhook base.
Result<telephony::NumberEnv> env(Deps& d, TenantCall& call, bool need_urls);

nlohmann::json json_of(const telephony::NumberRecord& n);
nlohmann::json json_of(const telephony::NumberResult& r);
nlohmann::json json_of(const telephony::Finding& f);
nlohmann::json json_of(const providers::twilio::AvailableNumber& n);
/// Prints a saga result (notes on stderr) in the chosen format.
void print_result(Deps& d, const telephony::NumberResult& r);

} // namespace crm::cmd::number_support
