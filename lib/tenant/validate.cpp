#include "tenant/validate.hpp"
#include "core/ids.hpp"
#include "core/input.hpp"
#include "core/text.hpp"
#include "tenant/tenant.hpp"

#include <algorithm>
#include <iterator>

namespace crm::tenant {
namespace {

const char* k_iso4217[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL"};

} // namespace

namespace detail {

Status validate_name(const std::string& name, const std::string& field) {
  auto first = name.find_first_not_of(" \t");
  if (first == std::string::npos)
    return make_error(ErrorKind::usage,
                      field + " is empty: give a display name, e.g. \"Serenity MedSpa\"");
  return check_text(name, TextRule(field, 200));
}

Status validate_slug(const std::string& slug, const std::string& field) {
  CRM_TRY(check_text(slug, TextRule(field, 63)));
  if (!is_valid_slug(slug))
    return make_error(ErrorKind::usage, "invalid " + field + " '" + slug +
                                            "': use 1-63 lower-case letters, digits and dashes");
  return {};
}

Status validate_email(const std::string& email, const std::string& field) {
  CRM_TRY(check_text(email, TextRule(field, 254)));
  if (!is_valid_email(to_lower(trim(email))))
    return make_error(ErrorKind::usage,
                      "invalid " + field + " '" + excerpt(email) + "': use name@example.com");
  return {};
}

Status validate_person_name(const std::string& name, const std::string& field) {
  return check_text(name, TextRule(field, 200));
}

Status validate_password(const std::string& password, const std::string& field) {
  CRM_TRY(check_text(password, TextRule(field, 1024, LineBreaks::refused, Echo::never)));
  if (utf8_length(password) < 8)
    return make_error(ErrorKind::usage, field + " too short: use at least 8 characters");
  return {};
}

Status validate_timezone(db::Tx& c, const std::string& tz) {
  // IANA-shaped names only (no POSIX offsets such as "XYZ+3"), resolved by the server's own tz
  // database. (pg_timezone_names would be authoritative too, but it reads every zone file per
  // call.)
  CRM_TRY(check_text(tz, TextRule("timezone", 64)));
  auto bad = make_error(ErrorKind::usage,
                        "unknown timezone '" + tz +
                            "': use an IANA name such as Europe/London or America/New_York");
  bool shaped = !tz.empty() && tz.size() < 64 && isalpha(static_cast<unsigned char>(tz[0]));
  for (unsigned char ch : tz)
    shaped = shaped && (isalnum(ch) || ch == '/' || ch == '_' || ch == '-' || ch == '+');
  if (!shaped || (tz.find("+") != std::string::npos && tz.find('/') == std::string::npos))
    return bad;
  auto r = c.exec("SELECT (now() AT TIME ZONE $1) IS NOT NULL AS ok", {tz});
  if (!r) return r.error().sqlstate == "22023" ? bad : std::move(r).error();
  return {};
}

Status validate_billing_terms(const std::optional<Decimal>& cogs,
                              const std::optional<Decimal>& rate,
                              const std::optional<Decimal>& markup,
                              std::optional<int> free_minutes) {
  if (rate && markup)
    return make_error(ErrorKind::usage, "give --rate-per-minute or --markup, not both");
  for (auto [flag, v] : {std::pair{"--cogs-per-minute", &cogs},
                         std::pair{"--rate-per-minute", &rate}, std::pair{"--markup", &markup}})
    if (*v && (*v)->is_negative())
      return make_error(ErrorKind::usage, std::string(flag) + " must not be negative");
  // cogs x markup becomes rate_per_minute, numeric(20, 6): bound the markup so the product cannot
  // overflow, then check the rate fits the column (never a numeric overflow from the database).
  if (markup && *markup > Decimal::from_int(1000))
    return make_error(ErrorKind::usage,
                      "--markup " + markup->to_string() + " is too large: at most 1000");
  if (markup && cogs && !(*cogs * *markup).round_half_up(6).fits(k_numeric_20_6))
    return make_error(ErrorKind::usage,
                      "--cogs-per-minute " + cogs->to_string() + " x --markup " +
                          markup->to_string() +
                          " gives a rate with more than 14 digits before the decimal point: "
                          "it does not fit numeric(20,6)");
  if (free_minutes && *free_minutes < 0)
    return make_error(ErrorKind::usage, "--free-minutes must not be negative");
  return {};
}

Status validate_currency(const std::string& cur) {
  CRM_TRY(check_text(cur, TextRule("currency", 16)));
  if (!is_valid_currency(cur))
    return make_error(ErrorKind::usage,
                      "unknown currency '" + cur + "': use an ISO 4217 code such as USD, EUR, GBP");
  return {};
}

Status require_migrated(db::Tx& c) {
  CRM_TRY_ASSIGN(auto r, c.exec("SELECT to_regclass('public.organizations') IS NOT NULL AS o, "
                                "to_regclass('public.services') IS NOT NULL AS s, "
                                "to_regclass('crm.schema_migrations') IS NOT NULL AS m"));
  if (r.get(0, "o") != "t" || r.get(0, "s") != "t" || r.get(0, "m") != "t")
    return make_error(ErrorKind::config,
                      "the database has no crmctl schema yet: run `crmctl migrate up` first");
  return {};
}

} // namespace detail

bool is_valid_email(const std::string& e) {
  if (e.size() < 3 || e.size() > 254) return false;
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) return false;
  std::string domain = e.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  if (domain.find("..") != std::string::npos || domain.front() == '.') return false;
  for (unsigned char ch : e)
    if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == ',' || ch == ';' || ch == '"' ||
        ch == '\\')
      return false;
  return true;
}

bool is_valid_currency(const std::string& cur) {
  return std::any_of(std::begin(k_iso4217), std::end(k_iso4217),
                     [&](const char* c) { return cur == c; });
}

Result<Rounding> parse_rounding(const std::string& s) {
  if (s == "per_call_ceil_minute") return Rounding::per_call_ceil_minute;
  if (s == "per_second") return Rounding::per_second;
  return make_error(ErrorKind::usage,
                    "unknown rounding '" + s + "': use per_call_ceil_minute or per_second");
}

std::string rounding_name(Rounding r) {
  return r == Rounding::per_second ? "per_second" : "per_call_ceil_minute";
}

} // namespace crm::tenant
