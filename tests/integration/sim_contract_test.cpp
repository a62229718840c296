// The provider simulator (tests/sim, crm-sim) itself, through the libcurl client: the Twilio and
// ElevenLabs phone-number contracts of shared/docs/providers.md, the Vapi credential check, and the
// control routes (latency, state, planting and removing, request log masking, faults).
#include "core/crypto.hpp"
#include "http/client.hpp"
#include "support/sim.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <set>
#include <thread>

using namespace crm;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string k_sid = "AC0123456789abcdef0123456789abcdef", k_token = "tok_0123456789abcdef";
const std::string k_sid2 = "ACfedcba9876543210fedcba9876543210", k_token2 = "tok_second_account_9";
const std::string k_el = "sk_contract_workspace_one", k_el2 = "sk_contract_workspace_two";

std::vector<std::string> all_accepts() {
  return {"twilio:" + k_sid + ":" + k_token, "twilio:" + k_sid2 + ":" + k_token2,
          "elevenlabs:" + k_el, "elevenlabs:" + k_el2, "vapi:vapi_private_key_1"};
}

struct Answer {
  int status = 0;
  json body;
  std::string raw;
  http::Headers headers;
};

Answer send(http::Client& c, const http::Request& req) {
  auto r = c.send(req);
  if (!r) {
    ADD_FAILURE() << req.method << " " << req.url << ": " << r.error().message;
    return {};
  }
  return {r->status, json::parse(r->body, nullptr, false), r->body, r->headers};
}

/// A Twilio request; `path` is below /2010-04-01/Accounts/{account} (or a full path from a
/// *_uri field when it starts with "/2010-04-01/").
http::Request twilio(const test::Simulator& sim, const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& form = {},
                     const std::string& account = k_sid, const std::string& token = k_token) {
  http::Request r;
  r.method = method;
  r.url = sim.url() +
          (path.rfind("/2010-04-01/", 0) == 0 ? path : "/2010-04-01/Accounts/" + account + path);
  r.headers["Authorization"] = "Basic " + crypto::base64_encode(account + ":" + token);
  if (!form.empty()) {
    r.headers["Content-Type"] = "application/x-www-form-urlencoded";
    r.body = http::form_encode(form);
  }
  r.timeout = 5000ms;
  return r;
}

http::Request buy_req(const test::Simulator& sim,
                      const std::vector<std::pair<std::string, std::string>>& form,
                      const std::string& account = k_sid, const std::string& token = k_token) {
  return twilio(sim, "POST", "/IncomingPhoneNumbers.json", form, account, token);
}

/// Buys `e164` for the account and returns the instance (a failed purchase fails the test).
json buy(http::Client& c, const test::Simulator& sim, const std::string& e164,
         const std::string& account = k_sid, const std::string& token = k_token) {
  auto a = send(c, buy_req(sim, {{"PhoneNumber", e164}}, account, token));
  EXPECT_EQ(a.status, 201) << a.raw;
  return a.body;
}

http::Request eleven(const test::Simulator& sim, const std::string& method, const std::string& path,
                     const std::string& body = "", const std::string& key = k_el) {
  http::Request r;
  r.method = method;
  r.url = sim.url() + path;
  r.headers["xi-api-key"] = key;
  if (!body.empty()) r.headers["Content-Type"] = "application/json";
  r.body = body;
  r.timeout = 5000ms;
  return r;
}

std::string import_body(const std::string& e164, const std::string& label = "Front desk",
                        const std::string& sid = k_sid, const std::string& token = k_token) {
  return json{{"phone_number", e164},     {"label", label},       {"sid", sid},
              {"token", token},           {"provider", "twilio"}, {"supports_inbound", true},
              {"supports_outbound", true}}
      .dump();
}

json twilio_error(int status, int code, const std::string& message) {
  return {{"code", code},
          {"message", message},
          {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
          {"status", status}};
}

json el_error(const std::string& kind, const std::string& message) {
  return {{"detail", {{"status", kind}, {"message", message}}}};
}

std::vector<std::string> numbers_of(const json& list, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& n : list[key])
    out.push_back(n["phone_number"]);
  return out;
}

} // namespace

// ---- Twilio -------------------------------------------------------------------------------------

TEST(SimContract, TwilioRejectsBadCredentialsWithError20003) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  auto wrong_token = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json", {}, k_sid, "nope"));
  EXPECT_EQ(wrong_token.status, 401);
  EXPECT_EQ(wrong_token.body, twilio_error(401, 20003, "Authenticate"));
  // A valid pair of another account does not open this account's path.
  auto r = twilio(sim, "GET", "/IncomingPhoneNumbers.json", {}, k_sid2, k_token2);
  r.url = sim.url() + "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers.json";
  auto cross = send(*c, r);
  EXPECT_EQ(cross.status, 401);
  EXPECT_EQ(cross.body["code"], 20003);
  auto bought = send(*c, buy_req(sim, {{"PhoneNumber", "+15005550006"}}, k_sid, "nope"));
  EXPECT_EQ(bought.status, 401);
  EXPECT_TRUE(sim.state()["twilio"]["numbers"].empty());
}

TEST(SimContract, TwilioApiKeyActsForItsAccount) {
  const std::string key = "SK0123456789abcdef0123456789abcdef";
  test::Simulator sim({"twilio:" + k_sid + ":" + key + ":key_secret_1"});
  auto c = http::make_curl_client();
  auto ok = send(*c, twilio(sim, "GET", ".json", {}, k_sid, "x"));
  EXPECT_EQ(ok.status, 401); // the account sid with a wrong secret
  auto r = twilio(sim, "GET", ".json");
  r.headers["Authorization"] = "Basic " + crypto::base64_encode(key + ":key_secret_1");
  auto with_key = send(*c, r);
  EXPECT_EQ(with_key.status, 200) << with_key.raw;
  EXPECT_EQ(with_key.body["sid"], k_sid);
}

TEST(SimContract, TwilioSearchFiltersTheInventory) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  auto us =
      send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize=5"));
  ASSERT_EQ(us.status, 200) << us.raw;
  ASSERT_EQ(us.body["available_phone_numbers"].size(), 5u);
  const auto& first = us.body["available_phone_numbers"][0];
  EXPECT_EQ(first["phone_number"], "+14155550100");
  EXPECT_EQ(first["friendly_name"], "(415) 555-0100");
  EXPECT_EQ(first["iso_country"], "US");
  EXPECT_EQ(first["region"], "CA");
  EXPECT_EQ(first["capabilities"], (json{{"voice", true}, {"SMS", true}, {"MMS", true}}));
  EXPECT_EQ(first["address_requirements"], "none");
  EXPECT_EQ(first["beta"], false);
  EXPECT_TRUE(first.contains("lata") && first.contains("postal_code"));
  EXPECT_NE(us.body["uri"].get<std::string>().find("AvailablePhoneNumbers/US/Local.json"),
            std::string::npos);

  auto ca = send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/CA/Local.json?AreaCode=778"));
  ASSERT_EQ(ca.status, 200);
  EXPECT_EQ(ca.body["available_phone_numbers"].size(), 50u); // default PageSize
  EXPECT_EQ(ca.body["available_phone_numbers"][0]["iso_country"], "CA");
  EXPECT_EQ(ca.body["available_phone_numbers"][0]["region"], "BC");
  EXPECT_EQ(ca.body["available_phone_numbers"][0]["capabilities"]["MMS"], false);
  // A Canadian area code is not in the US inventory.
  auto wrong_country =
      send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=778"));
  EXPECT_TRUE(wrong_country.body["available_phone_numbers"].empty());

  // Contains: digits and '*' (any one digit).
  auto contains = send(*c, twilio(sim, "GET",
                                  "/AvailablePhoneNumbers/US/Local.json?AreaCode=212&Contains=" +
                                      http::url_encode("55501*7")));
  std::vector<std::string> got = numbers_of(contains.body, "available_phone_numbers");
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i)
    want.push_back("+12125550" + std::to_string(1) + std::to_string(i) + "7");
  EXPECT_EQ(got, want);
  auto sms_off = send(
      *c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=212&SmsEnabled=false"));
  EXPECT_TRUE(sms_off.body["available_phone_numbers"].empty());

  auto none = send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=533"));
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body["available_phone_numbers"].empty());
  auto magic = send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=500"));
  EXPECT_EQ(numbers_of(magic.body, "available_phone_numbers"),
            std::vector<std::string>{"+15005550006"});

  // Bought numbers (by anyone) leave the inventory.
  buy(*c, sim, "+14155550100", k_sid2, k_token2);
  auto after =
      send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize=1"));
  EXPECT_EQ(numbers_of(after.body, "available_phone_numbers"),
            std::vector<std::string>{"+14155550101"});

  std::string gb = "/2010-04-01/Accounts/" + k_sid + "/AvailablePhoneNumbers/GB/Local.json";
  auto unknown = send(*c, twilio(sim, "GET", gb));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body,
            twilio_error(404, 20404, "The requested resource " + gb + " was not found"));
}

TEST(SimContract, TwilioBuyAnswers201WithTheFullInstance) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  auto a = send(*c, buy_req(sim, {{"PhoneNumber", "+14155550142"},
                                  {"VoiceUrl", "https://hooks.example.com/voice"},
                                  {"SmsUrl", "https://hooks.example.com/sms"},
                                  {"SmsMethod", "GET"},
                                  {"StatusCallback", "https://hooks.example.com/status"}}));
  ASSERT_EQ(a.status, 201) << a.raw;
  const json& n = a.body;
  EXPECT_TRUE(std::regex_match(n["sid"].get<std::string>(), std::regex("PN[0-9a-f]{32}")));
  EXPECT_EQ(n["account_sid"], k_sid);
  EXPECT_EQ(n["phone_number"], "+14155550142");
  EXPECT_EQ(n["friendly_name"], "(415) 555-0142");
  EXPECT_EQ(n["voice_url"], "https://hooks.example.com/voice");
  EXPECT_EQ(n["voice_method"], "POST");
  EXPECT_EQ(n["sms_url"], "https://hooks.example.com/sms");
  EXPECT_EQ(n["sms_method"], "GET");
  EXPECT_EQ(n["status_callback"], "https://hooks.example.com/status");
  EXPECT_EQ(n["status_callback_method"], "POST");
  EXPECT_EQ(n["capabilities"],
            (json{{"voice", true}, {"sms", true}, {"mms", false}, {"fax", false}}));
  std::regex rfc2822(
      R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} )"
      R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000)");
  EXPECT_TRUE(std::regex_match(n["date_created"].get<std::string>(), rfc2822)) << n["date_created"];
  EXPECT_TRUE(std::regex_match(n["date_updated"].get<std::string>(), rfc2822));
  EXPECT_EQ(n["status"], "in-use");
  EXPECT_EQ(n["api_version"], "2010-04-01");
  EXPECT_EQ(n["uri"], "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers/" +
                          n["sid"].get<std::string>() + ".json");
  EXPECT_EQ(n["origin"], "twilio");
  EXPECT_EQ(n["beta"], false);

  auto named =
      send(*c, buy_req(sim, {{"PhoneNumber", "+442071838750"}, {"FriendlyName", "London"}}));
  ASSERT_EQ(named.status, 201);
  EXPECT_EQ(named.body["friendly_name"], "London");
  auto plain = buy(*c, sim, "+442071838751");
  EXPECT_EQ(plain["friendly_name"], "+442071838751"); // not +1: the E.164 itself

  // By area code: the first number of that area code nobody owns.
  auto by_area = send(*c, buy_req(sim, {{"AreaCode", "778"}}));
  ASSERT_EQ(by_area.status, 201) << by_area.raw;
  EXPECT_EQ(by_area.body["phone_number"], "+17785550100");
  auto next = send(*c, buy_req(sim, {{"AreaCode", "778"}}, k_sid2, k_token2));
  EXPECT_EQ(next.body["phone_number"], "+17785550101");
  EXPECT_EQ(next.body["account_sid"], k_sid2);
}

TEST(SimContract, TwilioMagicNumbersAndErrorsHaveExactBodies) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  auto unavailable = send(*c, buy_req(sim, {{"PhoneNumber", "+15005550000"}}));
  EXPECT_EQ(unavailable.status, 400);
  EXPECT_EQ(unavailable.body,
            twilio_error(400, 21422, "PhoneNumber +15005550000 is not available"));
  auto invalid = send(*c, buy_req(sim, {{"PhoneNumber", "+15005550001"}}));
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body, twilio_error(400, 21421, "PhoneNumber +15005550001 is invalid"));
  auto not_e164 = send(*c, buy_req(sim, {{"PhoneNumber", "4155550100"}}));
  EXPECT_EQ(not_e164.status, 400);
  EXPECT_EQ(not_e164.body["code"], 21421);
  auto no_numbers = send(*c, buy_req(sim, {{"AreaCode", "533"}}));
  EXPECT_EQ(no_numbers.status, 400);
  EXPECT_EQ(no_numbers.body, twilio_error(400, 21452, "No phone numbers found in area code 533"));
  auto bad_area = send(*c, buy_req(sim, {{"AreaCode", "12"}}));
  EXPECT_EQ(bad_area.status, 400);
  EXPECT_EQ(bad_area.body["code"], 21451);
  auto neither = send(*c, buy_req(sim, {{"FriendlyName", "nothing to buy"}}));
  EXPECT_EQ(neither.status, 400);
  EXPECT_EQ(neither.body["code"], 21450);
  EXPECT_NE(neither.body["message"].get<std::string>().find("PhoneNumber"), std::string::npos);
  auto bad_url =
      send(*c, buy_req(sim, {{"PhoneNumber", "+14155550150"}, {"VoiceUrl", "ftp://x/y"}}));
  EXPECT_EQ(bad_url.status, 400);
  EXPECT_EQ(bad_url.body["code"], 21402);
  EXPECT_EQ(bad_url.body["more_info"], "https://www.twilio.com/docs/errors/21402");
  auto bad_callback =
      send(*c, buy_req(sim, {{"PhoneNumber", "+14155550150"}, {"StatusCallback", "not a url"}}));
  EXPECT_EQ(bad_callback.body["code"], 21502);
  auto bad_method =
      send(*c, buy_req(sim, {{"PhoneNumber", "+14155550150"}, {"VoiceMethod", "PUT"}}));
  EXPECT_EQ(bad_method.body["code"], 21403);
  EXPECT_TRUE(sim.state()["twilio"]["numbers"].empty()) << "no failed purchase may own a number";

  auto by_500 = send(*c, buy_req(sim, {{"AreaCode", "500"}}));
  ASSERT_EQ(by_500.status, 201) << by_500.raw;
  EXPECT_EQ(by_500.body["phone_number"], "+15005550006");
  // Owned now (by this account or another): unavailable; area code 500 is sold out.
  auto again = send(*c, buy_req(sim, {{"PhoneNumber", "+15005550006"}}, k_sid2, k_token2));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body, twilio_error(400, 21422, "PhoneNumber +15005550006 is not available"));
  auto sold_out = send(*c, buy_req(sim, {{"AreaCode", "500"}}));
  EXPECT_EQ(sold_out.body["code"], 21452);
}

TEST(SimContract, TwilioListPagesFollowingNextPageUri) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  std::vector<std::string> bought;
  for (int i = 0; i < 7; ++i)
    bought.push_back(buy(*c, sim, "+1206555010" + std::to_string(i))["sid"]);
  buy(*c, sim, "+12065550199", k_sid2, k_token2); // another account's: never listed

  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  std::vector<int> pages;
  std::string uri = "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers.json?PageSize=3";
  json last;
  while (!uri.empty() && sizes.size() < 10) {
    auto a = send(*c, twilio(sim, "GET", uri));
    ASSERT_EQ(a.status, 200) << a.raw;
    sizes.push_back(a.body["incoming_phone_numbers"].size());
    pages.push_back(a.body["page"]);
    EXPECT_EQ(a.body["page_size"], 3);
    EXPECT_EQ(a.body["first_page_uri"],
              "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers.json?PageSize=3&Page=0");
    for (const auto& n : a.body["incoming_phone_numbers"])
      seen.push_back(n["sid"]);
    uri = a.body["next_page_uri"].is_null() ? "" : a.body["next_page_uri"].get<std::string>();
    last = a.body;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(pages, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(seen, bought); // creation order, each once
  EXPECT_EQ(last["start"], 6);
  EXPECT_EQ(last["end"], 6);
  ASSERT_TRUE(last["previous_page_uri"].is_string());
  auto back = send(*c, twilio(sim, "GET", last["previous_page_uri"].get<std::string>()));
  ASSERT_EQ(back.status, 200);
  ASSERT_EQ(back.body["incoming_phone_numbers"].size(), 3u);
  EXPECT_EQ(back.body["incoming_phone_numbers"][0]["sid"], bought[3]);
  EXPECT_EQ(back.body["page"], 1);

  auto bad_token = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json?PageToken=PAnope"));
  EXPECT_EQ(bad_token.status, 400);
  EXPECT_EQ(bad_token.body["code"], 21481);
}

TEST(SimContract, TwilioListFiltersByPhoneNumberAndFriendlyName) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  buy(*c, sim, "+14155550100");
  buy(*c, sim, "+14155550101");
  send(*c, buy_req(sim, {{"PhoneNumber", "+12125550100"}, {"FriendlyName", "Reception"}}));
  auto exact = send(
      *c, twilio(sim, "GET",
                 "/IncomingPhoneNumbers.json?PhoneNumber=" + http::url_encode("+14155550101")));
  EXPECT_EQ(numbers_of(exact.body, "incoming_phone_numbers"),
            std::vector<std::string>{"+14155550101"});
  EXPECT_NE(exact.body["first_page_uri"].get<std::string>().find("PhoneNumber=%2B14155550101"),
            std::string::npos);
  auto partial = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json?PhoneNumber=5550100"));
  EXPECT_EQ(numbers_of(partial.body, "incoming_phone_numbers"),
            (std::vector<std::string>{"+14155550100", "+12125550100"}));
  auto none = send(
      *c, twilio(sim, "GET",
                 "/IncomingPhoneNumbers.json?PhoneNumber=" + http::url_encode("+15005550006")));
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body["incoming_phone_numbers"].empty());
  EXPECT_TRUE(none.body["next_page_uri"].is_null());
  auto named = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json?FriendlyName=Reception"));
  EXPECT_EQ(numbers_of(named.body, "incoming_phone_numbers"),
            std::vector<std::string>{"+12125550100"});
}

TEST(SimContract, TwilioFetchUpdateReleaseThen404) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  json n = buy(*c, sim, "+16175550100");
  std::string path = "/IncomingPhoneNumbers/" + n["sid"].get<std::string>() + ".json";
  auto fetched = send(*c, twilio(sim, "GET", path));
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.body, n);

  auto updated = send(*c, twilio(sim, "POST", path,
                                 {{"VoiceUrl", "https://crm.example.com/voice"},
                                  {"FriendlyName", "Main line"},
                                  {"StatusCallback", "https://crm.example.com/status"}}));
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["voice_url"], "https://crm.example.com/voice");
  EXPECT_EQ(updated.body["friendly_name"], "Main line");
  EXPECT_EQ(updated.body["status_callback"], "https://crm.example.com/status");
  EXPECT_EQ(updated.body["date_created"], n["date_created"]);
  EXPECT_NE(updated.body["date_updated"], n["date_updated"]);
  auto bad = send(*c, twilio(sim, "POST", path, {{"SmsUrl", "mailto:x@example.com"}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["code"], 21402);

  auto released = send(*c, twilio(sim, "DELETE", path));
  EXPECT_EQ(released.status, 204);
  EXPECT_EQ(released.raw, "");
  std::string full = "/2010-04-01/Accounts/" + k_sid + path;
  json gone = twilio_error(404, 20404, "The requested resource " + full + " was not found");
  for (const char* method : {"GET", "DELETE"}) {
    auto a = send(*c, twilio(sim, method, path));
    EXPECT_EQ(a.status, 404) << method;
    EXPECT_EQ(a.body, gone) << method;
  }
  auto update_gone = send(*c, twilio(sim, "POST", path, {{"FriendlyName", "x"}}));
  EXPECT_EQ(update_gone.status, 404);
  // Released numbers are for sale again.
  auto search =
      send(*c, twilio(sim, "GET", "/AvailablePhoneNumbers/US/Local.json?AreaCode=617&PageSize=1"));
  EXPECT_EQ(numbers_of(search.body, "available_phone_numbers"),
            std::vector<std::string>{"+16175550100"});
  auto list = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json"));
  EXPECT_TRUE(list.body["incoming_phone_numbers"].empty());
}

TEST(SimContract, TwilioNumbersBelongToTheBuyingAccount) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  json mine = buy(*c, sim, "+13035550100");
  json theirs = buy(*c, sim, "+13035550101", k_sid2, k_token2);
  auto list2 = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json", {}, k_sid2, k_token2));
  EXPECT_EQ(numbers_of(list2.body, "incoming_phone_numbers"),
            std::vector<std::string>{"+13035550101"});
  // Account 2, on its own path, cannot see, change or release account 1's number.
  std::string path = "/IncomingPhoneNumbers/" + mine["sid"].get<std::string>() + ".json";
  for (const char* method : {"GET", "POST", "DELETE"}) {
    auto req = twilio(sim, method, path, {}, k_sid2, k_token2);
    if (std::string(method) == "POST") req.body = "FriendlyName=stolen";
    auto a = send(*c, req);
    EXPECT_EQ(a.status, 404) << method;
    EXPECT_EQ(a.body["code"], 20404) << method;
  }
  auto still = send(*c, twilio(sim, "GET", path));
  EXPECT_EQ(still.status, 200);
  EXPECT_EQ(still.body["friendly_name"], mine["friendly_name"]);
}

// ---- ElevenLabs ---------------------------------------------------------------------------------

TEST(SimContract, ElevenLabsRejectsAnUnknownKey) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  json invalid = el_error("invalid_api_key", "Invalid API key");
  for (const char* path : {"/v1/convai/phone-numbers", "/v1/convai/agents", "/v1/user"}) {
    auto a = send(*c, eleven(sim, "GET", path, "", "sk_not_accepted"));
    EXPECT_EQ(a.status, 401) << path;
    EXPECT_EQ(a.body, invalid) << path;
  }
  auto import = send(*c, eleven(sim, "POST", "/v1/convai/phone-numbers", import_body("+1"), "x"));
  EXPECT_EQ(import.status, 401);
}

TEST(SimContract, ElevenLabsImportListGetPatchDelete) {
  test::Simulator sim(all_accepts(), {"--agent", "elevenlabs:" + k_el + ":agent_front:Front Desk"});
  auto c = http::make_curl_client();
  json n = buy(*c, sim, "+14045550100");
  ASSERT_EQ(n["voice_url"], "");

  auto imported =
      send(*c, eleven(sim, "POST", "/v1/convai/phone-numbers", import_body("+14045550100")));
  ASSERT_EQ(imported.status, 200) << imported.raw;
  std::string id = imported.body["phone_number_id"];
  EXPECT_TRUE(std::regex_match(id, std::regex("phnum_[0-9a-f]{24}"))) << id;
  EXPECT_EQ(imported.body.size(), 1u);

  // Side effect on the Twilio number, as the real service does.
  auto twilio_side = send(
      *c, twilio(sim, "GET", "/IncomingPhoneNumbers/" + n["sid"].get<std::string>() + ".json"));
  EXPECT_EQ(twilio_side.body["voice_url"], "https://api.elevenlabs.io/twilio/inbound_call");
  EXPECT_NE(twilio_side.body["date_updated"], n["date_updated"]);

  json item = {{"phone_number", "+14045550100"}, {"label", "Front desk"},
               {"phone_number_id", id},          {"provider", "twilio"},
               {"supports_inbound", true},       {"supports_outbound", true},
               {"assigned_agent", nullptr}};
  auto list = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers"));
  ASSERT_EQ(list.status, 200);
  ASSERT_TRUE(list.body.is_array());
  EXPECT_EQ(list.body, json::array({item}));
  auto got = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers/" + id));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, item);

  auto assigned = send(
      *c, eleven(sim, "PATCH", "/v1/convai/phone-numbers/" + id, R"({"agent_id":"agent_front"})"));
  ASSERT_EQ(assigned.status, 200) << assigned.raw;
  EXPECT_EQ(assigned.body["assigned_agent"],
            (json{{"agent_id", "agent_front"}, {"agent_name", "Front Desk"}}));
  auto agent = send(*c, eleven(sim, "GET", "/v1/convai/agents/agent_front"));
  ASSERT_EQ(agent.body["phone_numbers"].size(), 1u);
  EXPECT_EQ(agent.body["phone_numbers"][0]["phone_number_id"], id);
  auto unassigned =
      send(*c, eleven(sim, "PATCH", "/v1/convai/phone-numbers/" + id, R"({"agent_id":null})"));
  EXPECT_EQ(unassigned.status, 200);
  EXPECT_TRUE(unassigned.body["assigned_agent"].is_null());

  // Another workspace sees none of it.
  auto other = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers", "", k_el2));
  EXPECT_EQ(other.body, json::array());
  auto other_get = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers/" + id, "", k_el2));
  EXPECT_EQ(other_get.status, 404);

  auto deleted = send(*c, eleven(sim, "DELETE", "/v1/convai/phone-numbers/" + id));
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, json::object());
  json missing = el_error("phone_number_not_found", "Phone number " + id + " not found");
  for (const char* method : {"GET", "DELETE"}) {
    auto a = send(*c, eleven(sim, method, "/v1/convai/phone-numbers/" + id));
    EXPECT_EQ(a.status, 404) << method;
    EXPECT_EQ(a.body, missing) << method;
  }
  EXPECT_EQ(send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers")).body, json::array());
}

TEST(SimContract, ElevenLabsImportErrors) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  buy(*c, sim, "+17025550100");
  buy(*c, sim, "+17025550101", k_sid2, k_token2);
  const std::string path = "/v1/convai/phone-numbers";

  auto missing =
      send(*c, eleven(sim, "POST", path,
                      R"({"label":"x","sid":")" + k_sid + R"(","token":")" + k_token + R"("})"));
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.body, (json{{"detail", json::array({{{"loc", {"body", "phone_number"}},
                                                         {"msg", "Field required"},
                                                         {"type", "missing"}}})}}));
  auto empty = send(*c, eleven(sim, "POST", path, "{}"));
  EXPECT_EQ(empty.status, 422);
  EXPECT_EQ(empty.body["detail"].size(), 4u); // phone_number, label, sid, token
  auto not_json = send(*c, eleven(sim, "POST", path, "phone_number=+17025550100"));
  EXPECT_EQ(not_json.status, 422);
  EXPECT_EQ(not_json.body["detail"][0]["type"], "json_invalid");
  auto wrong_type = send(
      *c,
      eleven(
          sim, "POST", path,
          json{{"phone_number", 17025550100LL}, {"label", "x"}, {"sid", k_sid}, {"token", k_token}}
              .dump()));
  EXPECT_EQ(wrong_type.status, 422);
  EXPECT_EQ(wrong_type.body["detail"][0]["loc"], (json{"body", "phone_number"}));

  auto bad_creds =
      send(*c, eleven(sim, "POST", path, import_body("+17025550100", "x", k_sid, "wrong")));
  EXPECT_EQ(bad_creds.status, 400);
  EXPECT_EQ(bad_creds.body["detail"]["status"], "invalid_twilio_credentials");
  auto not_owned = send(*c, eleven(sim, "POST", path, import_body("+17025550199")));
  EXPECT_EQ(not_owned.status, 400);
  EXPECT_EQ(not_owned.body["detail"]["status"], "phone_number_not_found_in_twilio");
  // Owned, but by the other Twilio account.
  auto other_account = send(*c, eleven(sim, "POST", path, import_body("+17025550101")));
  EXPECT_EQ(other_account.status, 400);
  EXPECT_EQ(other_account.body["detail"]["status"], "phone_number_not_found_in_twilio");

  ASSERT_EQ(send(*c, eleven(sim, "POST", path, import_body("+17025550100"))).status, 200);
  auto duplicate = send(*c, eleven(sim, "POST", path, import_body("+17025550100", "again")));
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.body["detail"]["status"], "phone_number_already_exists");
  EXPECT_EQ(send(*c, eleven(sim, "GET", path)).body.size(), 1u);
  // Another workspace may import the same number: uniqueness is per workspace.
  auto second_workspace = send(*c, eleven(sim, "POST", path, import_body("+17025550100"), k_el2));
  EXPECT_EQ(second_workspace.status, 200);
}

TEST(SimContract, ElevenLabsPatchErrors) {
  test::Simulator sim(all_accepts(), {"--agent", "elevenlabs:" + k_el2 + ":agent_elsewhere:Other"});
  auto c = http::make_curl_client();
  buy(*c, sim, "+17135550100");
  auto imported =
      send(*c, eleven(sim, "POST", "/v1/convai/phone-numbers", import_body("+17135550100")));
  std::string one =
      "/v1/convai/phone-numbers/" + imported.body["phone_number_id"].get<std::string>();
  // An agent of another workspace is unknown here.
  auto unknown = send(*c, eleven(sim, "PATCH", one, R"({"agent_id":"agent_elsewhere"})"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, el_error("agent_not_found", "Agent agent_elsewhere not found"));
  auto bad_json = send(*c, eleven(sim, "PATCH", one, "{agent_id:"));
  EXPECT_EQ(bad_json.status, 422);
  EXPECT_TRUE(bad_json.body["detail"].is_array());
  auto bad_type = send(*c, eleven(sim, "PATCH", one, R"({"agent_id":42})"));
  EXPECT_EQ(bad_type.status, 422);
  auto no_phone =
      send(*c, eleven(sim, "PATCH", "/v1/convai/phone-numbers/phnum_nope", R"({"agent_id":null})"));
  EXPECT_EQ(no_phone.status, 404);
  EXPECT_EQ(no_phone.body["detail"]["status"], "phone_number_not_found");
  EXPECT_TRUE(send(*c, eleven(sim, "GET", one)).body["assigned_agent"].is_null());
}

TEST(SimContract, ElevenLabsAgentsGetAndCursorPaging) {
  test::Simulator sim(all_accepts(), {"--agent", "elevenlabs:" + k_el + ":agent_a:Alpha", "--agent",
                                      "elevenlabs:" + k_el + ":agent_b:Beta: with colon"});
  ASSERT_TRUE(sim.add_elevenlabs_agent(k_el, "agent_c", "Gamma"));
  ASSERT_TRUE(sim.add_elevenlabs_agent(k_el, "agent_d", "Delta"));
  ASSERT_TRUE(sim.add_elevenlabs_agent(k_el, "agent_e", "Epsilon"));
  ASSERT_TRUE(sim.add_elevenlabs_agent(k_el2, "agent_z", "Other workspace"));
  auto c = http::make_curl_client();

  auto one = send(*c, eleven(sim, "GET", "/v1/convai/agents/agent_b"));
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(one.body["agent_id"], "agent_b");
  EXPECT_EQ(one.body["name"], "Beta: with colon");
  EXPECT_TRUE(one.body["conversation_config"].is_object());
  EXPECT_TRUE(one.body["metadata"]["created_at_unix_secs"].is_number_integer());
  EXPECT_EQ(one.body["phone_numbers"], json::array());
  EXPECT_EQ(one.body["tags"], json::array());
  auto unknown = send(*c, eleven(sim, "GET", "/v1/convai/agents/agent_z"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["detail"]["status"], "agent_not_found");

  std::vector<std::string> ids;
  std::vector<bool> more;
  std::string cursor;
  for (int i = 0; i < 5; ++i) {
    std::string q = "/v1/convai/agents?page_size=2" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto page = send(*c, eleven(sim, "GET", q));
    ASSERT_EQ(page.status, 200) << page.raw;
    for (const auto& a : page.body["agents"]) {
      ids.push_back(a["agent_id"]);
      EXPECT_TRUE(a["created_at_unix_secs"].is_number_integer());
      EXPECT_TRUE(a["tags"].is_array());
    }
    more.push_back(page.body["has_more"]);
    if (page.body["next_cursor"].is_null()) break;
    cursor = page.body["next_cursor"];
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"agent_e", "agent_d", "agent_c", "agent_b", "agent_a"}));
  EXPECT_EQ(more, (std::vector<bool>{true, true, false}));
  auto default_size = send(*c, eleven(sim, "GET", "/v1/convai/agents"));
  EXPECT_EQ(default_size.body["agents"].size(), 5u);
  EXPECT_EQ(default_size.body["has_more"], false);
  EXPECT_TRUE(default_size.body["next_cursor"].is_null());
  auto too_big = send(*c, eleven(sim, "GET", "/v1/convai/agents?page_size=101"));
  EXPECT_EQ(too_big.status, 422);
  EXPECT_EQ(too_big.body["detail"][0]["loc"], (json{"query", "page_size"}));
  auto other = send(*c, eleven(sim, "GET", "/v1/convai/agents", "", k_el2));
  ASSERT_EQ(other.body["agents"].size(), 1u);
  EXPECT_EQ(other.body["agents"][0]["agent_id"], "agent_z");
}

// ---- Vapi ---------------------------------------------------------------------------------------

TEST(SimContract, VapiCredentialCheck) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  for (const char* path : {"/assistant?limit=1", "/tool?limit=1"}) {
    http::Request r{
        "GET", sim.url() + path, {{"Authorization", "Bearer vapi_private_key_1"}}, "", 5000ms};
    auto ok = send(*c, r);
    EXPECT_EQ(ok.status, 200) << path;
    EXPECT_EQ(ok.body, json::array()) << path;
    r.headers["Authorization"] = "Bearer vapi_public_key_1";
    auto bad = send(*c, r);
    EXPECT_EQ(bad.status, 401) << path;
    EXPECT_EQ(bad.body, (json{{"message", "Invalid Key. Hot tip, you may be using the private key "
                                          "instead of the public key, or vice versa."},
                              {"error", "Unauthorized"},
                              {"statusCode", 401}}));
  }
}

// ---- control and inspection ---------------------------------------------------------------------

TEST(SimContract, LatencyDelaysProviderRoutesButNotControlRoutes) {
  test::Simulator sim(all_accepts(), {"--latency-ms", "400"});
  auto c = http::make_curl_client();
  auto timed = [&](const http::Request& r) {
    auto start = std::chrono::steady_clock::now();
    auto a = send(*c, r);
    EXPECT_EQ(a.status, 200) << r.url;
    return std::chrono::steady_clock::now() - start;
  };
  http::Request health{"GET", sim.url() + "/__sim/health", {}, "", 5000ms};
  timed(health); // opens the connection
  EXPECT_GE(timed(eleven(sim, "GET", "/v1/user")), 400ms);
  EXPECT_LT(timed(health), 300ms);
  ASSERT_TRUE(sim.set_latency(0));
  EXPECT_LT(timed(eleven(sim, "GET", "/v1/user")), 300ms);
  ASSERT_TRUE(sim.set_latency(250));
  EXPECT_GE(timed(twilio(sim, "GET", ".json")), 250ms);
}

TEST(SimContract, ConcurrentRequestsWithLatencyAreServedInParallel) {
  // One second per answer: the overlap holds even when the 16 threads start late on a loaded
  // machine (with 200 ms, a parallel `make test` start sometimes saw only 6 at once).
  test::Simulator sim(all_accepts(), {"--latency-ms", "1000"});
  auto c = http::make_curl_client({.max_in_flight = 16});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      auto r = c->send(eleven(sim, "GET", "/v1/user"));
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : threads)
    t.join();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ok.load(), 16);
  EXPECT_LT(took, 8000ms) << "sixteen 1-s requests one after another take 16 s";
  EXPECT_GE(sim.inspect("/__sim/stats")["max_in_flight"].get<int>(), 8);
}

TEST(SimContract, StatePlantAndRemoveControlRoutes) {
  test::Simulator sim(all_accepts(), {"--agent", "elevenlabs:" + k_el + ":agent_front:Front"});
  auto c = http::make_curl_client();
  json planted = sim.plant_twilio_number(k_sid, "+19175550100", "https://elsewhere.example/voice");
  ASSERT_TRUE(planted.is_object());
  EXPECT_TRUE(std::regex_match(planted["sid"].get<std::string>(), std::regex("PN[0-9a-f]{32}")));
  EXPECT_TRUE(sim.plant_twilio_number(k_sid2, "+19175550100").is_null()) << "already owned";
  auto listed = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json"));
  EXPECT_EQ(numbers_of(listed.body, "incoming_phone_numbers"),
            std::vector<std::string>{"+19175550100"});
  EXPECT_EQ(listed.body["incoming_phone_numbers"][0]["voice_url"],
            "https://elsewhere.example/voice");
  auto busy = send(*c, buy_req(sim, {{"PhoneNumber", "+19175550100"}}, k_sid2, k_token2));
  EXPECT_EQ(busy.body["code"], 21422);

  auto el = sim.control_request("POST", "/__sim/elevenlabs/phone-numbers",
                                json{{"api_key", k_el},
                                     {"phone_number", "+19175550100"},
                                     {"label", "Planted"},
                                     {"agent_id", "agent_front"}}
                                    .dump());
  ASSERT_EQ(el.status, 201) << el.body;
  std::string el_id = json::parse(el.body)["phone_number_id"];
  auto el_list = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers"));
  ASSERT_EQ(el_list.body.size(), 1u);
  EXPECT_EQ(el_list.body[0]["assigned_agent"]["agent_name"], "Front");

  json state = sim.state();
  ASSERT_EQ(state["twilio"]["numbers"].size(), 1u);
  const json& tn = state["twilio"]["numbers"][0];
  EXPECT_EQ(tn["sid"], planted["sid"]);
  EXPECT_EQ(tn["account_sid"], k_sid);
  EXPECT_EQ(tn["phone_number"], "+19175550100");
  EXPECT_EQ(tn["voice_url"], "https://elsewhere.example/voice");
  ASSERT_EQ(state["elevenlabs"]["phone_numbers"].size(), 1u);
  const json& en = state["elevenlabs"]["phone_numbers"][0];
  EXPECT_EQ(en["phone_number_id"], el_id);
  EXPECT_EQ(en["agent_id"], "agent_front");
  EXPECT_EQ(en["label"], "Planted");
  EXPECT_EQ(en["api_key_masked"].get<std::string>().find(k_el), std::string::npos);
  ASSERT_EQ(state["elevenlabs"]["agents"].size(), 1u);
  EXPECT_EQ(state["elevenlabs"]["agents"][0]["agent_id"], "agent_front");
  EXPECT_EQ(state.dump().find(k_el), std::string::npos) << "the state never shows an API key";

  EXPECT_TRUE(sim.remove_twilio_number("+19175550100"));
  EXPECT_FALSE(sim.remove_twilio_number("+19175550100"));
  auto fetched =
      send(*c, twilio(sim, "GET",
                      "/IncomingPhoneNumbers/" + planted["sid"].get<std::string>() + ".json"));
  EXPECT_EQ(fetched.status, 404);
  EXPECT_EQ(sim.control_request("DELETE", "/__sim/elevenlabs/phone-numbers/" + el_id).status, 204);
  EXPECT_EQ(sim.control_request("DELETE", "/__sim/elevenlabs/phone-numbers/" + el_id).status, 404);
  EXPECT_EQ(send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers")).body, json::array());
  state = sim.state();
  EXPECT_TRUE(state["twilio"]["numbers"].empty());
  EXPECT_TRUE(state["elevenlabs"]["phone_numbers"].empty());
}

TEST(SimContract, RequestLogKeepsQueryAndBodyWithSecretsMasked) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  buy(*c, sim, "+15125550100");
  send(*c, eleven(sim, "POST", "/v1/convai/phone-numbers", import_body("+15125550100")));
  send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json?PageSize=3&FriendlyName=x"));
  http::Request google{"POST",
                       sim.url() + "/token",
                       {{"Content-Type", "application/x-www-form-urlencoded"}},
                       http::form_encode({{"grant_type", "refresh_token"},
                                          {"client_id", "cid"},
                                          {"client_secret", "very-secret-value"},
                                          {"refresh_token", "refresh-value-123"}}),
                       5000ms};
  send(*c, google);

  auto imports = sim.requests("POST", "/v1/convai/phone-numbers");
  ASSERT_EQ(imports.size(), 1u);
  json body = json::parse(imports[0]["body"].get<std::string>());
  EXPECT_EQ(body["token"], "***");
  EXPECT_EQ(body["sid"], k_sid);
  EXPECT_EQ(body["phone_number"], "+15125550100");
  EXPECT_EQ(imports[0]["headers"]["xi-api-key"], "***");

  auto buys = sim.requests("POST", "/2010-04-01/");
  ASSERT_EQ(buys.size(), 1u);
  EXPECT_EQ(buys[0]["body"], "PhoneNumber=%2B15125550100");
  auto lists = sim.requests("GET", "/2010-04-01/Accounts/" + k_sid + "/IncomingPhoneNumbers.json");
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["query"], "PageSize=3&FriendlyName=x");

  auto tokens = sim.requests("POST", "/token");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0]["body"],
            "grant_type=refresh_token&client_id=cid&client_secret=***&refresh_token=***");
  std::string log = sim.inspect("/__sim/requests").dump();
  for (const auto& secret :
       {k_token, std::string("very-secret-value"), std::string("refresh-value-123"), k_el})
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
}

TEST(SimContract, BodyContainsFaultFailsOnlyThatPurchase) {
  test::Simulator sim(all_accepts());
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/","method":"POST",
                            "body_contains":"+15005550007","status":500})"));
  auto c = http::make_curl_client();
  buy(*c, sim, "+15005550006"); // does not match: bought
  auto failed = send(*c, buy_req(sim, {{"PhoneNumber", "+15005550007"}}));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body["code"], 20500); // Twilio's error shape
  EXPECT_EQ(failed.body["status"], 500);
  auto state = sim.state();
  ASSERT_EQ(state["twilio"]["numbers"].size(), 1u);
  EXPECT_EQ(state["twilio"]["numbers"][0]["phone_number"], "+15005550006");
  auto posts = sim.requests("POST", "/2010-04-01/");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[1]["processed"], false);
  EXPECT_EQ(posts[1]["answer"], "fault 500");
  buy(*c, sim, "+15005550007"); // the fault was used up
  EXPECT_EQ(sim.state()["twilio"]["numbers"].size(), 2u);
}

TEST(SimContract, InjectedFaultsAnswerInTheProviderShape) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/v1/convai/","status":429,"retry_after":"2"})"));
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/","status":429})"));
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/tool","status":503,"body":{"custom":true}})"));
  auto el = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers"));
  EXPECT_EQ(el.status, 429);
  EXPECT_EQ(el.body["detail"]["status"], "too_many_concurrent_requests");
  EXPECT_EQ(el.headers["retry-after"], "2");
  auto tw = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json"));
  EXPECT_EQ(tw.status, 429);
  EXPECT_EQ(tw.body["code"], 20429);
  http::Request tool{
      "GET", sim.url() + "/tool", {{"Authorization", "Bearer vapi_private_key_1"}}, "", 5000ms};
  auto custom = send(*c, tool);
  EXPECT_EQ(custom.status, 503);
  EXPECT_EQ(custom.body, (json{{"custom", true}}));
}

TEST(SimContract, DropFaultsOnNewPostRoutesCommitTheEffect) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/","method":"POST","drop":"close"})"));
  auto r = c->send(buy_req(sim, {{"AreaCode", "808"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::outcome_unknown) << r.error().message;
  auto owned = send(*c, twilio(sim, "GET", "/IncomingPhoneNumbers.json"));
  EXPECT_EQ(numbers_of(owned.body, "incoming_phone_numbers"),
            std::vector<std::string>{"+18085550100"});

  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/v1/convai/phone-numbers","method":"POST",
                            "drop":"partial"})"));
  auto imp = c->send(eleven(sim, "POST", "/v1/convai/phone-numbers", import_body("+18085550100")));
  ASSERT_FALSE(imp);
  EXPECT_EQ(imp.error().kind, ErrorKind::outcome_unknown) << imp.error().message;
  auto list = send(*c, eleven(sim, "GET", "/v1/convai/phone-numbers"));
  ASSERT_EQ(list.body.size(), 1u);
  EXPECT_EQ(list.body[0]["phone_number"], "+18085550100");

  ASSERT_TRUE(sim.fault(R"({"path_prefix":"/2010-04-01/","method":"DELETE","drop":"close"})"));
  std::string path = "/IncomingPhoneNumbers/" +
                     owned.body["incoming_phone_numbers"][0]["sid"].get<std::string>() + ".json";
  auto released = c->send(twilio(sim, "DELETE", path));
  EXPECT_FALSE(released && released->status == 204) << "the answer was cut";
  EXPECT_EQ(send(*c, twilio(sim, "GET", path)).status, 404) << "but the release happened";
}

TEST(SimContract, UnknownRoutesAnswerAProviderShaped404AndAreLogged) {
  test::Simulator sim(all_accepts());
  auto c = http::make_curl_client();
  std::string calls = "/2010-04-01/Accounts/" + k_sid + "/Calls.json";
  auto tw = send(*c, twilio(sim, "GET", calls));
  EXPECT_EQ(tw.status, 404);
  EXPECT_EQ(tw.body,
            twilio_error(404, 20404, "The requested resource " + calls + " was not found"));
  auto el = send(*c, eleven(sim, "GET", "/v1/convai/knowledge-base"));
  EXPECT_EQ(el.status, 404);
  EXPECT_EQ(el.body, (json{{"detail", "Not Found"}}));
  auto logged = sim.requests("GET", calls);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["processed"], false);
  EXPECT_EQ(logged[0]["headers"]["authorization"], "***");
}
