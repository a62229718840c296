// `crmctl doctor --providers`: the platform credentials of every provider in the profile, checked
// against the provider, one line each.
#pragma once
#include "core/config.hpp"
#include "core/env.hpp"
#include "http/client.hpp"
#include "ops/doctor.hpp"

#include <vector>

namespace crm::ops {

/// One check per provider of the profile (twilio, elevenlabs, vapi, retell, google): skip when the
/// profile has no credentials for it, ok when the provider accepts them, fail (config) when it
/// rejects them or a reference does not resolve, fail (upstream) when it cannot be reached.
/// Secrets never appear in a detail.
std::vector<Check> provider_checks(const Settings& s, const EnvLookup& env, http::Client& http);

} // namespace crm::ops
