// Twilio REST 2010-04-01, phone-number resources (shared/docs/providers.md): search available
// numbers, buy, fetch, list (following next_page_uri), update, release. Tolerant of extra and
// absent optional fields; accepts 200 and 201 on creation.
#pragma once
#include "core/result.hpp"
#include "http/client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace crm::providers::twilio {

/// One Twilio account: where to reach it and how to authenticate (HTTP Basic SID:token).
struct Account {
  std::string base_url;
  std::string account_sid;
  std::string auth_token;
};

/// A number offered by AvailablePhoneNumbers.
struct AvailableNumber {
  std::string phone_number, friendly_name, locality, region, postal_code, iso_country;
  bool voice = false, sms = false, mms = false;
};

struct SearchQuery {
  std::string country = "US"; // ISO 3166-1 alpha-2
  std::string area_code;      // "" = any
  std::string contains;       // digits, '*' wildcards
  int limit = 20;             // PageSize
};

/// GET .../AvailablePhoneNumbers/{country}/Local.json.
Result<std::vector<AvailableNumber>> search_local(http::Client& http, const Account& a,
                                                  const SearchQuery& q);

/// An IncomingPhoneNumber resource (the fields crmctl uses).
struct IncomingNumber {
  std::string sid, account_sid, phone_number, friendly_name;
  std::string voice_url, sms_url, status_callback;
};

/// What to buy and how to configure it: exactly one of phone_number / area_code.
struct Purchase {
  std::string phone_number;
  std::string area_code;
  std::string friendly_name;
  std::string voice_url, sms_url, status_callback;
};

/// POST .../IncomingPhoneNumbers.json. Never repeated once sent (it costs money): a lost answer
/// is ErrorKind::outcome_unknown and the caller must look the number up before anything else. A
/// 5xx answer is reported as outcome_unknown too: Twilio may have committed before failing.
Result<IncomingNumber> buy(http::Client& http, const Account& a, const Purchase& p);

/// Filters of the IncomingPhoneNumbers list (exact match; empty = any).
struct ListFilter {
  std::string phone_number;
  std::string friendly_name;
  int page_size = 200;
};

/// GET .../IncomingPhoneNumbers.json, every page (follows next_page_uri on the same host).
Result<std::vector<IncomingNumber>> list_numbers(http::Client& http, const Account& a,
                                                 const ListFilter& f = {});

/// GET .../IncomingPhoneNumbers/{sid}.json; nullopt when Twilio says 404.
Result<std::optional<IncomingNumber>> fetch(http::Client& http, const Account& a,
                                            const std::string& sid);

/// Fields to change (unset = leave as is).
struct Update {
  std::optional<std::string> voice_url, sms_url, status_callback, friendly_name;
};
/// POST .../IncomingPhoneNumbers/{sid}.json (setting fields: repeatable). 404 → not_found.
Result<IncomingNumber> update(http::Client& http, const Account& a, const std::string& sid,
                              const Update& u);

/// DELETE .../IncomingPhoneNumbers/{sid}.json: true when released now, false when Twilio no
/// longer had it (404).
Result<bool> release(http::Client& http, const Account& a, const std::string& sid);

/// The exit-code kind for a Twilio error code: 20003 → config, 21421/21450/21502 → usage,
/// 21422 → conflict, 21452/20404 → not_found, otherwise by HTTP status.
ErrorKind kind_for(const Error& e);

} // namespace crm::providers::twilio
