// crm-sim: Twilio REST 2010-04-01 — accounts, AvailablePhoneNumbers (a generated inventory),
// IncomingPhoneNumbers (buy, list with real paging, fetch, update, release) and the control
// routes that plant or remove numbers behind the client's back.
#include "common.hpp"

#include "core/e164.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace sim {
namespace {

const std::string k_api = "/2010-04-01/Accounts/";
const std::string k_account = R"(/2010-04-01/Accounts/([^/]+))";

void twilio_error(Response& res, int status, int code, const std::string& message) {
  json_reply(res, status,
             {{"code", code},
              {"message", message},
              {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
              {"status", status}});
}

void not_found(Response& res, const Request& req) {
  twilio_error(res, 404, 20404, "The requested resource " + req.path + " was not found");
}

/// True when the request's HTTP Basic pair is accepted and acts for account `sid`. Holds st.mu.
bool authorised(State& st, const Request& req, const std::string& sid) {
  auto it = st.twilio.credentials.find(basic_auth(req));
  return it != st.twilio.credentials.end() && it->second == sid;
}

void unauthorised(Response& res) {
  res.set_header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
  twilio_error(res, 401, 20003, "Authenticate");
}

// ---- the inventory ------------------------------------------------------------------------------

struct Area {
  int npa;
  const char* country;
  const char* region;
  const char* locality;
  const char* latitude;
  const char* longitude;
};

// Canadian area codes (everything else in 200-999 is treated as a US area code).
const Area k_ca_areas[] = {
    {204, "CA", "MB", "Winnipeg", "49.895100", "-97.138400"},
    {226, "CA", "ON", "London", "42.984900", "-81.245300"},
    {236, "CA", "BC", "Vancouver", "49.282700", "-123.120700"},
    {249, "CA", "ON", "Sudbury", "46.522000", "-80.953000"},
    {250, "CA", "BC", "Victoria", "48.428400", "-123.365600"},
    {289, "CA", "ON", "Hamilton", "43.255700", "-79.871100"},
    {306, "CA", "SK", "Regina", "50.445200", "-104.618900"},
    {343, "CA", "ON", "Ottawa", "45.421500", "-75.697200"},
    {365, "CA", "ON", "Hamilton", "43.255700", "-79.871100"},
    {403, "CA", "AB", "Calgary", "51.044700", "-114.071900"},
    {416, "CA", "ON", "Toronto", "43.653200", "-79.383200"},
    {418, "CA", "QC", "Quebec", "46.813900", "-71.208000"},
    {431, "CA", "MB", "Winnipeg", "49.895100", "-97.138400"},
    {437, "CA", "ON", "Toronto", "43.653200", "-79.383200"},
    {438, "CA", "QC", "Montreal", "45.501700", "-73.567300"},
    {450, "CA", "QC", "Laval", "45.606600", "-73.712400"},
    {506, "CA", "NB", "Moncton", "46.087800", "-64.778200"},
    {514, "CA", "QC", "Montreal", "45.501700", "-73.567300"},
    {519, "CA", "ON", "London", "42.984900", "-81.245300"},
    {548, "CA", "ON", "Kitchener", "43.451600", "-80.492500"},
    {579, "CA", "QC", "Longueuil", "45.531200", "-73.518100"},
    {581, "CA", "QC", "Quebec", "46.813900", "-71.208000"},
    {587, "CA", "AB", "Edmonton", "53.546100", "-113.493800"},
    {604, "CA", "BC", "Vancouver", "49.282700", "-123.120700"},
    {613, "CA", "ON", "Ottawa", "45.421500", "-75.697200"},
    {639, "CA", "SK", "Saskatoon", "52.157900", "-106.670200"},
    {647, "CA", "ON", "Toronto", "43.653200", "-79.383200"},
    {672, "CA", "BC", "Vancouver", "49.282700", "-123.120700"},
    {705, "CA", "ON", "Sudbury", "46.522000", "-80.953000"},
    {709, "CA", "NL", "St. John's", "47.561500", "-52.712600"},
    {778, "CA", "BC", "Vancouver", "49.282700", "-123.120700"},
    {780, "CA", "AB", "Edmonton", "53.546100", "-113.493800"},
    {782, "CA", "NS", "Halifax", "44.648800", "-63.575200"},
    {807, "CA", "ON", "Thunder Bay", "48.380900", "-89.247700"},
    {819, "CA", "QC", "Sherbrooke", "45.404200", "-71.892900"},
    {825, "CA", "AB", "Calgary", "51.044700", "-114.071900"},
    {867, "CA", "YT", "Whitehorse", "60.721200", "-135.056800"},
    {873, "CA", "QC", "Sherbrooke", "45.404200", "-71.892900"},
    {902, "CA", "NS", "Halifax", "44.648800", "-63.575200"},
    {905, "CA", "ON", "Mississauga", "43.589000", "-79.644100"},
};

// A few well-known US area codes; the others get a generic locality.
const Area k_us_areas[] = {
    {201, "US", "NJ", "Jersey City", "40.717800", "-74.043100"},
    {202, "US", "DC", "Washington", "38.907200", "-77.036900"},
    {206, "US", "WA", "Seattle", "47.606200", "-122.332100"},
    {212, "US", "NY", "New York", "40.712800", "-74.006000"},
    {213, "US", "CA", "Los Angeles", "34.052200", "-118.243700"},
    {303, "US", "CO", "Denver", "39.739200", "-104.990300"},
    {305, "US", "FL", "Miami", "25.761700", "-80.191800"},
    {312, "US", "IL", "Chicago", "41.878100", "-87.629800"},
    {404, "US", "GA", "Atlanta", "33.749000", "-84.388000"},
    {415, "US", "CA", "San Francisco", "37.774900", "-122.419400"},
    {500, "US", "", "", "", ""}, // Twilio's test-credential magic numbers
    {512, "US", "TX", "Austin", "30.267200", "-97.743100"},
    {602, "US", "AZ", "Phoenix", "33.448400", "-112.074000"},
    {617, "US", "MA", "Boston", "42.360100", "-71.058900"},
    {646, "US", "NY", "New York", "40.712800", "-74.006000"},
    {702, "US", "NV", "Las Vegas", "36.169900", "-115.139800"},
    {713, "US", "TX", "Houston", "29.760400", "-95.369800"},
    {808, "US", "HI", "Hilo", "19.707400", "-155.088500"},
    {917, "US", "NY", "New York", "40.712800", "-74.006000"},
};

const char* k_states[] = {"AL", "AZ", "CA", "CO", "FL", "GA", "IL", "IN", "MA", "MI", "MN",
                          "MO", "NC", "NJ", "NY", "OH", "OR", "PA", "TN", "TX", "VA", "WA"};

Area area_of(int npa) {
  for (const auto& a : k_ca_areas)
    if (a.npa == npa) return a;
  for (const auto& a : k_us_areas)
    if (a.npa == npa) return a;
  return {npa,           "US",        k_states[npa % (sizeof k_states / sizeof *k_states)],
          "Springfield", "39.828300", "-98.579500"};
}

/// An area code Twilio would take: three digits, the first 2-9.
std::optional<int> parse_npa(const std::string& s) {
  if (s.size() != 3 || s[0] < '2' || s[0] > '9' ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])))
    return std::nullopt;
  return std::stoi(s);
}

/// The numbers on offer in an area code, before removing the ones owned: +1 NPA 555 0100..0199;
/// 533 has none and 500 only the test credentials' buyable magic number.
std::vector<std::string> inventory_of(int npa) {
  std::vector<std::string> out;
  if (npa == 533) return out;
  if (npa == 500) return {"+15005550006"};
  char buf[16];
  for (int i = 0; i < 100; ++i) {
    std::snprintf(buf, sizeof buf, "+1%03d55501%02d", npa, i);
    out.push_back(buf);
  }
  return out;
}

/// "(415) 555-0100" for a +1 number, else the number itself.
std::string friendly(const std::string& e164) {
  if (e164.size() != 12 || e164.rfind("+1", 0) != 0) return e164;
  return "(" + e164.substr(2, 3) + ") " + e164.substr(5, 3) + "-" + e164.substr(8);
}

/// Twilio's phone number patterns (Contains, and the PhoneNumber filter of a list): digits,
/// letters (phone keypad) and '*' matching any one digit; a leading '+' anchors the pattern at the
/// start of the number, otherwise it may match anywhere. Punctuation is ignored.
bool number_matches(const std::string& e164, const std::string& raw) {
  static const char* k_keypad = "22233344455566677778889999";
  std::string p = raw;
  while (!p.empty() && p.back() == ' ')
    p.pop_back();
  bool anchored = false;
  // A '+' sent unencoded in a query string arrives as a space.
  if (!p.empty() && (p[0] == '+' || p[0] == ' ')) {
    anchored = true;
    p.erase(0, 1);
  }
  std::string pat;
  for (unsigned char c : p) {
    if (std::isdigit(c) || c == '*')
      pat.push_back(static_cast<char>(c));
    else if (std::isalpha(c))
      pat.push_back(k_keypad[std::tolower(c) - 'a']);
  }
  if (pat.empty()) return true;
  std::string digits = e164.substr(1);
  if (pat.size() > digits.size()) return false;
  size_t last = anchored ? 0 : digits.size() - pat.size();
  for (size_t at = 0; at <= last; ++at) {
    bool ok = true;
    for (size_t i = 0; i < pat.size() && ok; ++i)
      ok = pat[i] == '*' || pat[i] == digits[at + i];
    if (ok) return true;
  }
  return false;
}

std::string rate_center(const std::string& locality) {
  std::string out;
  for (unsigned char c : locality)
    if (std::isalpha(c) && out.size() < 10) out.push_back(static_cast<char>(std::toupper(c)));
  return out;
}

json available_json(const std::string& e164, const Area& a) {
  bool us = std::string(a.country) == "US";
  auto text_or_null = [](const char* s) { return *s ? json(s) : json(nullptr); };
  return {{"friendly_name", friendly(e164)},
          {"phone_number", e164},
          {"lata", nullptr},
          {"locality", text_or_null(a.locality)},
          {"rate_center", *a.locality ? json(rate_center(a.locality)) : json(nullptr)},
          {"latitude", text_or_null(a.latitude)},
          {"longitude", text_or_null(a.longitude)},
          {"region", text_or_null(a.region)},
          {"postal_code", nullptr},
          {"iso_country", a.country},
          {"address_requirements", "none"},
          {"beta", false},
          {"capabilities", {{"voice", true}, {"SMS", true}, {"MMS", us}}}};
}

// ---- owned numbers ------------------------------------------------------------------------------

json number_json(const TwilioNumber& n) {
  std::string uri = k_api + n.account_sid + "/IncomingPhoneNumbers/" + n.sid;
  return {{"sid", n.sid},
          {"account_sid", n.account_sid},
          {"friendly_name", n.friendly_name},
          {"phone_number", n.phone_number},
          {"voice_url", n.voice_url},
          {"voice_method", n.voice_method},
          {"voice_fallback_url", n.voice_fallback_url},
          {"voice_fallback_method", n.voice_fallback_method},
          {"voice_caller_id_lookup", n.voice_caller_id_lookup},
          {"voice_application_sid", ""},
          {"voice_receive_mode", "voice"},
          {"sms_url", n.sms_url},
          {"sms_method", n.sms_method},
          {"sms_fallback_url", n.sms_fallback_url},
          {"sms_fallback_method", n.sms_fallback_method},
          {"sms_application_sid", ""},
          {"status_callback", n.status_callback},
          {"status_callback_method", n.status_callback_method},
          {"capabilities", {{"voice", true}, {"sms", true}, {"mms", false}, {"fax", false}}},
          {"date_created", rfc2822(n.date_created)},
          {"date_updated", rfc2822(n.date_updated)},
          {"status", "in-use"},
          {"api_version", "2010-04-01"},
          {"uri", uri + ".json"},
          {"origin", "twilio"},
          {"beta", false},
          {"address_requirements", "none"},
          {"address_sid", nullptr},
          {"identity_sid", nullptr},
          {"trunk_sid", nullptr},
          {"bundle_sid", nullptr},
          {"emergency_status", "Active"},
          {"emergency_address_sid", nullptr},
          {"emergency_address_status", "unregistered"},
          {"subresource_uris", {{"assigned_add_ons", uri + "/AssignedAddOns.json"}}}};
}

/// The URL parameters a purchase or an update may set, with the member each one fills.
struct UrlParam {
  const char* name;
  std::string TwilioNumber::*field;
};
const UrlParam k_url_params[] = {{"VoiceUrl", &TwilioNumber::voice_url},
                                 {"VoiceFallbackUrl", &TwilioNumber::voice_fallback_url},
                                 {"SmsUrl", &TwilioNumber::sms_url},
                                 {"SmsFallbackUrl", &TwilioNumber::sms_fallback_url},
                                 {"StatusCallback", &TwilioNumber::status_callback}};
const UrlParam k_method_params[] = {
    {"VoiceMethod", &TwilioNumber::voice_method},
    {"VoiceFallbackMethod", &TwilioNumber::voice_fallback_method},
    {"SmsMethod", &TwilioNumber::sms_method},
    {"SmsFallbackMethod", &TwilioNumber::sms_fallback_method},
    {"StatusCallbackMethod", &TwilioNumber::status_callback_method}};

/// Checks the URL and method parameters of a purchase or update; answers 400 and returns false
/// when one is invalid.
bool valid_settings(const Request& req, Response& res) {
  for (const auto& p : k_url_params) {
    std::string v = req.get_param_value(p.name);
    if (!v.empty() && !is_http_url(v)) {
      // Twilio's error dictionary: 21402 "Invalid Url" for a number's URL handlers, 21502
      // "Invalid callback url" for its status callback.
      bool callback = std::string(p.name) == "StatusCallback";
      twilio_error(res, 400, callback ? 21502 : 21402,
                   std::string(callback ? "Invalid callback url" : "Invalid Url") + ": " + p.name +
                       " '" + v + "' is not a fully qualified http(s) URL");
      return false;
    }
  }
  for (const auto& p : k_method_params) {
    if (!req.has_param(p.name)) continue;
    std::string v = req.get_param_value(p.name);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (v != "GET" && v != "POST") {
      twilio_error(res, 400, 21403,
                   std::string("Invalid Method: ") + p.name + " must be GET or POST, not '" +
                       req.get_param_value(p.name) + "'");
      return false;
    }
  }
  return true;
}

/// Applies the settable parameters present in the request (an empty value clears a URL).
void apply_settings(const Request& req, TwilioNumber& n) {
  if (req.has_param("FriendlyName")) n.friendly_name = req.get_param_value("FriendlyName");
  for (const auto& p : k_url_params)
    if (req.has_param(p.name)) n.*p.field = req.get_param_value(p.name);
  for (const auto& p : k_method_params) {
    if (!req.has_param(p.name)) continue;
    std::string v = req.get_param_value(p.name);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    n.*p.field = v;
  }
  if (req.has_param("VoiceCallerIdLookup"))
    n.voice_caller_id_lookup = req.get_param_value("VoiceCallerIdLookup") == "true";
}

/// Adds a number to `account_sid` (the caller checked it is free). Holds st.mu.
TwilioNumber& add_number(State& st, const std::string& account_sid, const std::string& e164) {
  TwilioNumber n;
  n.sid = "PN" + random_hex(16);
  n.account_sid = account_sid;
  n.phone_number = e164;
  n.friendly_name = friendly(e164);
  n.date_created = n.date_updated = unix_now();
  n.seq = st.twilio.next_seq++;
  st.twilio.seq_of_sid[n.sid] = n.seq;
  return st.twilio.numbers[n.seq] = std::move(n);
}

/// The first number of area code `npa` nobody owns. Holds st.mu.
std::optional<std::string> first_free(State& st, int npa) {
  for (const auto& e164 : inventory_of(npa))
    if (!st.twilio.by_phone(e164)) return e164;
  return std::nullopt;
}

void buy(State& st, const Request& req, Response& res) {
  std::string sid = req.matches[1];
  std::lock_guard lk(st.mu);
  if (!authorised(st, req, sid)) return unauthorised(res);
  if (!valid_settings(req, res)) return;
  std::string number = req.get_param_value("PhoneNumber");
  std::string area = req.get_param_value("AreaCode");
  if (!number.empty()) {
    if (number == "+15005550001" || !crm::is_e164(number))
      return twilio_error(res, 400, 21421, "PhoneNumber " + number + " is invalid");
    if (number == "+15005550000" || st.twilio.by_phone(number))
      return twilio_error(res, 400, 21422, "PhoneNumber " + number + " is not available");
  } else if (!area.empty()) {
    auto npa = parse_npa(area);
    if (!npa) return twilio_error(res, 400, 21451, "AreaCode " + area + " is invalid");
    auto free = first_free(st, *npa);
    if (!free) return twilio_error(res, 400, 21452, "No phone numbers found in area code " + area);
    number = *free;
  } else {
    return twilio_error(res, 400, 21450,
                        "A 'PhoneNumber' or 'AreaCode' parameter is required to buy a number");
  }
  auto& n = add_number(st, sid, number);
  apply_settings(req, n);
  json_reply(res, 201, number_json(n));
}

void search(State& st, const Request& req, Response& res) {
  std::string sid = req.matches[1], country = req.matches[2];
  std::lock_guard lk(st.mu);
  if (!authorised(st, req, sid)) return unauthorised(res);
  if (country != "US" && country != "CA") return not_found(res, req);
  std::optional<int> only;
  if (req.has_param("AreaCode")) {
    only = parse_npa(req.get_param_value("AreaCode"));
    if (!only)
      return twilio_error(res, 400, 21451,
                          "AreaCode " + req.get_param_value("AreaCode") + " is invalid");
  }
  long long page_size =
      std::clamp(parse_count(req.get_param_value("PageSize")).value_or(50), 1LL, 1000LL);
  std::string contains = req.get_param_value("Contains");
  auto flag = [&](const char* name) -> std::optional<bool> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name) == "true";
  };
  auto sms = flag("SmsEnabled"), voice = flag("VoiceEnabled"), mms = flag("MmsEnabled"),
       fax = flag("FaxEnabled");
  std::string in_region = req.get_param_value("InRegion");
  std::string in_locality = req.get_param_value("InLocality");
  auto list = json::array();
  for (int npa = only.value_or(200); npa <= (only ? *only : 999) && std::ssize(list) < page_size;
       ++npa) {
    Area a = area_of(npa);
    if (a.country != country) continue;
    if (!in_region.empty() && in_region != a.region) continue;
    if (!in_locality.empty() && in_locality != a.locality) continue;
    bool has_mms = country == "US";
    if ((sms && !*sms) || (voice && !*voice) || (fax && *fax) || (mms && *mms != has_mms)) continue;
    for (const auto& e164 : inventory_of(npa)) {
      if (std::ssize(list) >= page_size) break;
      if (!number_matches(e164, contains) || st.twilio.by_phone(e164)) continue;
      list.push_back(available_json(e164, a));
    }
  }
  std::string q = raw_query(req);
  json_reply(res, 200,
             {{"available_phone_numbers", list}, {"uri", req.path + (q.empty() ? "" : "?" + q)}});
}

void list(State& st, const Request& req, Response& res) {
  std::string sid = req.matches[1];
  std::lock_guard lk(st.mu);
  if (!authorised(st, req, sid)) return unauthorised(res);
  long long page_size =
      std::clamp(parse_count(req.get_param_value("PageSize")).value_or(50), 1LL, 1000LL);
  long long page = parse_count(req.get_param_value("Page")).value_or(0);
  std::string token = req.get_param_value("PageToken");
  std::string phone = req.get_param_value("PhoneNumber");
  std::string name = req.get_param_value("FriendlyName");

  std::vector<const TwilioNumber*> all;
  for (const auto& [seq, n] : st.twilio.numbers)
    if (n.account_sid == sid && (phone.empty() || number_matches(n.phone_number, phone)) &&
        (!req.has_param("FriendlyName") || n.friendly_name == name))
      all.push_back(&n);

  // PageToken "PA<sid>": the page after that number; "PB<sid>": the page before it.
  size_t start = static_cast<size_t>(page * page_size);
  if (!token.empty()) {
    auto seq =
        token.size() > 2 ? st.twilio.seq_of_sid.find(token.substr(2)) : st.twilio.seq_of_sid.end();
    if (seq == st.twilio.seq_of_sid.end() || (token[1] != 'A' && token[1] != 'B') ||
        token[0] != 'P')
      return twilio_error(res, 400, 21481, "Invalid PageToken");
    auto first_at_or_after = [&](std::uint64_t s) {
      return static_cast<size_t>(
          std::find_if(all.begin(), all.end(), [&](const TwilioNumber* n) { return n->seq >= s; }) -
          all.begin());
    };
    if (token[1] == 'A') {
      start = first_at_or_after(seq->second + 1);
    } else {
      size_t end = first_at_or_after(seq->second);
      start = end > static_cast<size_t>(page_size) ? end - static_cast<size_t>(page_size) : 0;
    }
  }
  start = std::min(start, all.size());
  size_t end = std::min(all.size(), start + static_cast<size_t>(page_size));

  auto items = json::array();
  for (size_t i = start; i < end; ++i)
    items.push_back(number_json(*all[i]));

  std::string base = k_api + sid + "/IncomingPhoneNumbers.json?";
  if (!phone.empty()) base += "PhoneNumber=" + form_encode(phone) + "&";
  if (req.has_param("FriendlyName")) base += "FriendlyName=" + form_encode(name) + "&";
  base += "PageSize=" + std::to_string(page_size) + "&Page=";
  json next = nullptr, previous = nullptr;
  if (end < all.size())
    next = base + std::to_string(page + 1) + "&PageToken=PA" + all[end - 1]->sid;
  if (start > 0 && page > 0 && start < all.size())
    previous = base + std::to_string(page - 1) + "&PageToken=PB" + all[start]->sid;
  json_reply(res, 200,
             {{"incoming_phone_numbers", items},
              {"page", page},
              {"page_size", page_size},
              {"start", start},
              {"end", end > start ? end - 1 : start},
              {"uri", base + std::to_string(page) + (token.empty() ? "" : "&PageToken=" + token)},
              {"first_page_uri", base + "0"},
              {"previous_page_uri", previous},
              {"next_page_uri", next}});
}

/// The account's number named in the path, or nullptr (another account's number too). Holds st.mu.
TwilioNumber* owned(State& st, const Request& req) {
  TwilioNumber* n = st.twilio.by_sid(req.matches[2]);
  return n && n->account_sid == req.matches[1].str() ? n : nullptr;
}

} // namespace

void add_twilio_routes(httplib::Server& srv, State& st) {
  // Fetch an account (what `creds verify twilio` calls).
  srv.Get(k_account + R"(\.json)", provider_route(st, [&st](const Request& req, Response& res) {
            std::string sid = req.matches[1];
            std::lock_guard lk(st.mu);
            if (!authorised(st, req, sid)) return unauthorised(res);
            json_reply(res, 200,
                       {{"sid", sid},
                        {"friendly_name", "Simulated account"},
                        {"status", "active"},
                        {"type", "Full"},
                        {"uri", k_api + sid + ".json"}});
          }));
  srv.Get(k_account + R"(/AvailablePhoneNumbers/([^/]+)/Local\.json)",
          provider_route(st, [&st](const Request& req, Response& res) { search(st, req, res); }));
  srv.Post(k_account + R"(/IncomingPhoneNumbers\.json)",
           provider_route(st, [&st](const Request& req, Response& res) { buy(st, req, res); }));
  srv.Get(k_account + R"(/IncomingPhoneNumbers\.json)",
          provider_route(st, [&st](const Request& req, Response& res) { list(st, req, res); }));
  const std::string instance = k_account + R"(/IncomingPhoneNumbers/([^/]+)\.json)";
  srv.Get(instance, provider_route(st, [&st](const Request& req, Response& res) {
            std::lock_guard lk(st.mu);
            if (!authorised(st, req, req.matches[1])) return unauthorised(res);
            TwilioNumber* n = owned(st, req);
            if (!n) return not_found(res, req);
            json_reply(res, 200, number_json(*n));
          }));
  srv.Post(instance, provider_route(st, [&st](const Request& req, Response& res) {
             std::lock_guard lk(st.mu);
             if (!authorised(st, req, req.matches[1])) return unauthorised(res);
             TwilioNumber* n = owned(st, req);
             if (!n) return not_found(res, req);
             if (!valid_settings(req, res)) return;
             apply_settings(req, *n);
             n->touch();
             json_reply(res, 200, number_json(*n));
           }));
  srv.Delete(instance, provider_route(st, [&st](const Request& req, Response& res) {
               std::lock_guard lk(st.mu);
               if (!authorised(st, req, req.matches[1])) return unauthorised(res);
               TwilioNumber* n = owned(st, req);
               if (!n) return not_found(res, req);
               st.twilio.numbers.erase(n->seq); // back to the inventory
               res.status = 204;
             }));
}

void add_twilio_control(httplib::Server& srv, State& st) {
  // Plants a number bought outside the client.
  srv.Post("/__sim/twilio/numbers", [&st](const Request& req, Response& res) {
    json j = parse_json(req.body);
    if (!j.is_object()) return json_reply(res, 400, {{"error", "body is not a JSON object"}});
    std::string account = j.value("account_sid", ""), e164 = j.value("phone_number", "");
    if (account.empty() || !crm::is_e164(e164))
      return json_reply(res, 400,
                        {{"error", "account_sid and an E.164 phone_number are required"}});
    std::lock_guard lk(st.mu);
    if (st.twilio.by_phone(e164))
      return json_reply(res, 409, {{"error", e164 + " is already owned"}});
    auto& n = add_number(st, account, e164);
    n.friendly_name = j.value("friendly_name", n.friendly_name);
    n.voice_url = j.value("voice_url", "");
    n.sms_url = j.value("sms_url", "");
    n.status_callback = j.value("status_callback", "");
    json_reply(res, 201, number_json(n));
  });
  // Removes a number behind the client's back (the path carries the E.164, '+' as %2B or not).
  srv.Delete(R"(/__sim/twilio/numbers/([^/]+))", [&st](const Request& req, Response& res) {
    std::string e164 = req.matches[1];
    if (!e164.empty() && e164[0] == ' ') e164[0] = '+';
    std::lock_guard lk(st.mu);
    TwilioNumber* n = st.twilio.by_phone(e164);
    if (!n) return json_reply(res, 404, {{"error", e164 + " is not owned by any account"}});
    st.twilio.numbers.erase(n->seq);
    res.status = 204;
  });
}

json twilio_state(State& st) {
  auto numbers = json::array();
  for (const auto& [seq, n] : st.twilio.numbers)
    numbers.push_back({{"sid", n.sid},
                       {"account_sid", n.account_sid},
                       {"phone_number", n.phone_number},
                       {"friendly_name", n.friendly_name},
                       {"voice_url", n.voice_url},
                       {"voice_method", n.voice_method},
                       {"sms_url", n.sms_url},
                       {"status_callback", n.status_callback},
                       {"date_updated", rfc2822(n.date_updated)}});
  return {{"numbers", numbers}};
}

} // namespace sim
