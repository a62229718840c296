#include "providers/twilio.hpp"
#include "core/crypto.hpp"
#include "http/provider_error.hpp"
#include "providers/common.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace crm::providers::twilio {
namespace {

using nlohmann::json;

bool flag(const json& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = o.find(k); it != o.end() && it->is_boolean()) return it->get<bool>();
  return false;
}

std::string account_path(const Account& a) {
  return "/2010-04-01/Accounts/" + http::url_encode(a.account_sid);
}

http::Request request(const Account& a, std::string method, std::string url) {
  return api_request(std::move(method), std::move(url), "Authorization",
                     "Basic " + crypto::base64_encode(a.account_sid + ":" + a.auth_token));
}

http::Request form_request(const Account& a, std::string url,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
  auto r = request(a, "POST", std::move(url));
  r.headers["Content-Type"] = "application/x-www-form-urlencoded";
  r.body = http::form_encode(fields);
  return r;
}

/// The parsed JSON object of a 2xx answer, or the error for the rest.
Result<json> parse_object(const http::Response& r, const std::string& what) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorKind::upstream,
                      "Twilio answered " + what + " with something that is not a JSON object");
  return j;
}

/// An Error for a non-2xx Twilio answer, its kind from the Twilio code.
Error twilio_error(const http::Response& r, const std::string& summary) {
  Error e = http::provider_error(r, http::error_kind_for_status(r.status), summary);
  e.kind = kind_for(e);
  return e;
}

/// Transport failures keep their kind (upstream, outcome_unknown, interrupted) with context.
Error transport_error(Error e, const std::string& what) {
  e.message = "Twilio " + what + ": " + e.message;
  return e;
}

IncomingNumber incoming_of(const json& o) {
  IncomingNumber n;
  n.sid = json_string(o, "sid");
  n.account_sid = json_string(o, "account_sid");
  n.phone_number = json_string(o, "phone_number");
  n.friendly_name = json_string(o, "friendly_name");
  n.voice_url = json_string(o, "voice_url");
  n.sms_url = json_string(o, "sms_url");
  n.status_callback = json_string(o, "status_callback");
  return n;
}

/// The URL of the next page: Twilio gives a path on the same host; an absolute URL is followed
/// only when it is on the configured base URL (credentials never go elsewhere).
Result<std::string> next_url(const Account& a, const std::string& next) {
  if (next.rfind("/", 0) == 0 && next.rfind("//", 0) != 0) return a.base_url + next;
  if (next.rfind(a.base_url + "/", 0) == 0) return next;
  return make_error(ErrorKind::upstream, "Twilio's next_page_uri points away from " + a.base_url +
                                             "; refusing to follow");
}

} // namespace

ErrorKind kind_for(const Error& e) {
  static const std::set<std::string> k_usage = {"21421", "21450", "21502", "21451"};
  if (e.provider_code == "20003" || e.http_status == 401 || e.http_status == 403)
    return ErrorKind::config;
  if (k_usage.count(e.provider_code)) return ErrorKind::usage;
  if (e.provider_code == "21422") return ErrorKind::conflict;
  if (e.provider_code == "21452" || e.provider_code == "20404" || e.http_status == 404)
    return ErrorKind::not_found;
  if (e.http_status >= 400 && e.http_status < 500 && e.http_status != 429 && e.http_status != 408)
    return ErrorKind::upstream;
  return e.kind == ErrorKind::unexpected ? ErrorKind::upstream : e.kind;
}

Result<std::vector<AvailableNumber>> search_local(http::Client& http, const Account& a,
                                                  const SearchQuery& q) {
  std::string url = a.base_url + account_path(a) + "/AvailablePhoneNumbers/" +
                    http::url_encode(q.country) + "/Local.json?";
  std::vector<std::pair<std::string, std::string>> params;
  if (!q.area_code.empty()) params.emplace_back("AreaCode", q.area_code);
  if (!q.contains.empty()) params.emplace_back("Contains", q.contains);
  params.emplace_back("PageSize", std::to_string(q.limit));
  url += http::form_encode(params);
  auto r = http.send(request(a, "GET", url));
  if (!r) return transport_error(std::move(r).error(), "number search");
  if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused the number search");
  CRM_TRY_ASSIGN(auto j, parse_object(*r, "the number search"));
  std::vector<AvailableNumber> out;
  auto list = j.find("available_phone_numbers");
  if (list == j.end() || !list->is_array()) return out;
  for (const auto& o : *list) {
    if (!o.is_object()) continue;
    AvailableNumber n;
    n.phone_number = json_string(o, "phone_number");
    n.friendly_name = json_string(o, "friendly_name");
    n.locality = json_string(o, "locality");
    n.region = json_string(o, "region");
    n.postal_code = json_string(o, "postal_code");
    n.iso_country = json_string(o, "iso_country");
    if (auto c = o.find("capabilities"); c != o.end() && c->is_object()) {
      n.voice = flag(*c, {"voice", "Voice"});
      n.sms = flag(*c, {"SMS", "sms"});
      n.mms = flag(*c, {"MMS", "mms"});
    }
    if (n.phone_number.empty()) continue;
    out.push_back(std::move(n));
    if (static_cast<int>(out.size()) >= q.limit) break;
  }
  return out;
}

Result<IncomingNumber> buy(http::Client& http, const Account& a, const Purchase& p) {
  std::vector<std::pair<std::string, std::string>> f;
  if (!p.phone_number.empty()) f.emplace_back("PhoneNumber", p.phone_number);
  if (!p.area_code.empty()) f.emplace_back("AreaCode", p.area_code);
  if (!p.friendly_name.empty()) f.emplace_back("FriendlyName", p.friendly_name);
  if (!p.voice_url.empty()) {
    f.emplace_back("VoiceUrl", p.voice_url);
    f.emplace_back("VoiceMethod", "POST");
  }
  if (!p.sms_url.empty()) {
    f.emplace_back("SmsUrl", p.sms_url);
    f.emplace_back("SmsMethod", "POST");
  }
  if (!p.status_callback.empty()) {
    f.emplace_back("StatusCallback", p.status_callback);
    f.emplace_back("StatusCallbackMethod", "POST");
  }
  auto req = form_request(a, a.base_url + account_path(a) + "/IncomingPhoneNumbers.json", f);
  req.retry_safety = http::RetrySafety::unsafe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "purchase");
  if (r->status >= 500) {
    Error e = http::provider_error(*r, ErrorKind::outcome_unknown,
                                   "Twilio failed while buying the number");
    return http::with_outcome_unknown_advice(std::move(e));
  }
  if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused the purchase");
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || json_string(j, "sid").empty()) {
    // A 2xx whose body we cannot read: the number may be bought; the caller looks it up.
    return http::with_outcome_unknown_advice(Error{
        ErrorKind::outcome_unknown, "Twilio accepted the purchase but its answer is unreadable"});
  }
  return incoming_of(j);
}

Result<std::vector<IncomingNumber>> list_numbers(http::Client& http, const Account& a,
                                                 const ListFilter& f) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!f.phone_number.empty()) params.emplace_back("PhoneNumber", f.phone_number);
  if (!f.friendly_name.empty()) params.emplace_back("FriendlyName", f.friendly_name);
  params.emplace_back("PageSize", std::to_string(f.page_size));
  std::string url =
      a.base_url + account_path(a) + "/IncomingPhoneNumbers.json?" + http::form_encode(params);
  std::vector<IncomingNumber> out;
  std::set<std::string> seen_pages;
  while (!url.empty()) {
    if (!seen_pages.insert(url).second || seen_pages.size() > 10'000)
      return make_error(ErrorKind::upstream, "Twilio's number list pages loop; giving up");
    auto r = http.send(request(a, "GET", url));
    if (!r) return transport_error(std::move(r).error(), "number list");
    if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused the number list");
    CRM_TRY_ASSIGN(auto j, parse_object(*r, "the number list"));
    if (auto list = j.find("incoming_phone_numbers"); list != j.end() && list->is_array())
      for (const auto& o : *list)
        if (o.is_object() && !json_string(o, "sid").empty()) out.push_back(incoming_of(o));
    std::string next = json_string(j, "next_page_uri");
    if (next.empty()) break;
    CRM_TRY_ASSIGN(url, next_url(a, next));
  }
  return out;
}

Result<std::optional<IncomingNumber>> fetch(http::Client& http, const Account& a,
                                            const std::string& sid) {
  auto r = http.send(request(a, "GET",
                             a.base_url + account_path(a) + "/IncomingPhoneNumbers/" +
                                 http::url_encode(sid) + ".json"));
  if (!r) return transport_error(std::move(r).error(), "number fetch");
  if (r->status == 404) return std::optional<IncomingNumber>();
  if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused to fetch " + sid);
  CRM_TRY_ASSIGN(auto j, parse_object(*r, "the number fetch"));
  return std::optional<IncomingNumber>(incoming_of(j));
}

Result<IncomingNumber> update(http::Client& http, const Account& a, const std::string& sid,
                              const Update& u) {
  std::vector<std::pair<std::string, std::string>> f;
  if (u.voice_url) {
    f.emplace_back("VoiceUrl", *u.voice_url);
    f.emplace_back("VoiceMethod", "POST");
  }
  if (u.sms_url) {
    f.emplace_back("SmsUrl", *u.sms_url);
    f.emplace_back("SmsMethod", "POST");
  }
  if (u.status_callback) f.emplace_back("StatusCallback", *u.status_callback);
  if (u.friendly_name) f.emplace_back("FriendlyName", *u.friendly_name);
  auto req = form_request(
      a, a.base_url + account_path(a) + "/IncomingPhoneNumbers/" + http::url_encode(sid) + ".json",
      f);
  // Setting fields to fixed values: sending it twice leaves the same state.
  req.retry_safety = http::RetrySafety::safe;
  auto r = http.send(req);
  if (!r) return transport_error(std::move(r).error(), "number update");
  if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused to update " + sid);
  CRM_TRY_ASSIGN(auto j, parse_object(*r, "the number update"));
  return incoming_of(j);
}

Result<bool> release(http::Client& http, const Account& a, const std::string& sid) {
  auto r = http.send(request(a, "DELETE",
                             a.base_url + account_path(a) + "/IncomingPhoneNumbers/" +
                                 http::url_encode(sid) + ".json"));
  if (!r) return transport_error(std::move(r).error(), "release");
  if (r->status == 404) return false;
  if (r->status / 100 != 2) return twilio_error(*r, "Twilio refused to release " + sid);
  return true;
}

} // namespace crm::providers::twilio
