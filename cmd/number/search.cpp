#include "cmd/number/commands.hpp"
#include "cmd/number/support.hpp"

namespace crm::cmd {

using namespace number_support;

void register_number_search(CLI::App& noun, Context& ctx) {
  auto o = std::make_shared<NumberSearchOptions>();
  auto* app = add_command(
      noun, ctx, "search",
      {"Search Twilio for local numbers to buy",
       "Uses the --tenant's own Twilio account when given and it has one, else the platform "
       "account of the profile. Buys nothing.",
       {"crmctl number search --country US --area-code 415",
        "crmctl number search --country CA --area-code 778 --contains 55 --limit 5 -o json"}});
  app->add_option("--country", o->country, "ISO country code (default US)");
  app->add_option("--area-code", o->area_code, "3-digit area code");
  app->add_option("--contains", o->contains, "Digits the number contains ('*' matches one digit)");
  app->add_option("--limit", o->limit, "At most this many numbers (1-100, default 20)")
      ->check(CLI::Range(1, 100));
  on_run(app, ctx, o, run_number_search, Effect::reads);
}

Result<void> run_number_search(const NumberSearchOptions& o, Deps& d) {
  providers::twilio::SearchQuery q;
  q.country = o.country;
  for (auto& c : q.country)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (q.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(q.country[0])) ||
      !std::isalpha(static_cast<unsigned char>(q.country[1])))
    return make_error(ErrorKind::usage,
                      "--country '" + o.country + "' is not an ISO 3166 code like US or CA");
  auto digits = [](const std::string& s, bool star) {
    for (char c : s)
      if (!std::isdigit(static_cast<unsigned char>(c)) && !(star && c == '*')) return false;
    return true;
  };
  if (!o.area_code.empty() && (o.area_code.size() != 3 || !digits(o.area_code, false)))
    return make_error(ErrorKind::usage, "--area-code '" + o.area_code + "' is not 3 digits");
  if (o.contains.size() > 15 || !digits(o.contains, true))
    return make_error(ErrorKind::usage, "--contains takes up to 15 digits or '*', e.g. 55 or 5*5");
  q.area_code = o.area_code;
  q.contains = o.contains;
  q.limit = o.limit;
  std::optional<providers::twilio::Account> acct;
  if (!d.global().tenant.empty()) {
    CRM_TRY_ASSIGN(auto call, open_tenant(d, ""));
    CRM_TRY_ASSIGN(auto e, env(d, call, false));
    CRM_TRY_ASSIGN(acct, e.accounts.need_twilio(call.tenant));
  } else {
    CRM_TRY_ASSIGN(auto p, platform(d));
    if (!p.twilio)
      return make_error(ErrorKind::config,
                        "no platform Twilio account in the profile (providers.twilio): set one, "
                        "or pass --tenant T to search with that tenant's own account");
    acct = p.twilio;
  }
  CRM_TRY_ASSIGN(auto found, providers::twilio::search_local(d.http(), *acct, q));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : found)
    out.push_back(json_of(n));
  d.print(out, {{"phone_number", "friendly_name", "locality", "region", "iso_country", "voice",
                 "sms", "mms"}});
  return {};
}

} // namespace crm::cmd
