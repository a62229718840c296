#include "webhook/verify.hpp"

#include "core/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace crm::webhook {

namespace {

Verification fail(Verdict v, std::string reason) { return {v, std::move(reason)}; }
Verification pass() { return {Verdict::ok, ""}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Splits on `sep`, trimming each part.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(trim(s.substr(start, p == std::string_view::npos ? std::string_view::npos
                                                                   : p - start)));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

// A whole decimal number of at most 15 digits (no sign, no fraction, no exponent, no "inf").
bool parse_digits(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 15) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool within(std::int64_t ts, UnixSeconds now, std::chrono::seconds tol) {
  const std::int64_t d = ts > now ? ts - now : now - ts;
  return d <= tol.count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Constant-time match of `given` (hex, any case) against HMAC-SHA256 of `payload` under each
// secret.
bool any_hex_hmac(const std::vector<std::string>& secrets, std::string_view payload,
                  const std::vector<std::string_view>& given) {
  bool matched = false;
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    const std::string want = crypto::hex(crypto::hmac_sha256(s, payload));
    for (auto g : given)
      matched |= crypto::constant_time_equal(want, lower(g));
  }
  return matched;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) return make_error(ErrorKind::usage, "form body: truncated %-escape");
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return make_error(ErrorKind::usage, "form body: malformed %-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  if (out.find('\0') != std::string::npos)
    return make_error(ErrorKind::usage, "form body: NUL character");
  return out;
}

// The URL with its default port (443 for https, 80 for http) added when absent, removed when
// present; "" when neither applies.
std::string other_port_form(std::string_view url) {
  const bool https = url.rfind("https://", 0) == 0, http = url.rfind("http://", 0) == 0;
  if (!https && !http) return "";
  const std::size_t host_start = https ? 8 : 7;
  std::size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view host = url.substr(host_start, host_end - host_start);
  const std::string port = https ? ":443" : ":80";
  std::string out(url.substr(0, host_start));
  if (host.size() > port.size() && host.substr(host.size() - port.size()) == port)
    out += host.substr(0, host.size() - port.size());
  else if (host.find(':') == std::string_view::npos)
    out += std::string(host) + port;
  else
    return "";
  out += url.substr(host_end);
  return out;
}

// The value of query parameter `name` in `url` (percent-decoded), or nullopt.
std::optional<std::string> query_param(std::string_view url, std::string_view name) {
  auto q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto frag = url.find('#', q);
  auto pairs = decode_form(url.substr(q + 1, frag == std::string_view::npos ? std::string_view::npos
                                                                           : frag - q - 1));
  if (!pairs) return std::nullopt;
  for (const auto& [k, v] : *pairs)
    if (k == name) return v;
  return std::nullopt;
}

} // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
  case Verdict::ok: return "ok";
  case Verdict::missing: return "missing";
  case Verdict::malformed: return "malformed";
  case Verdict::stale: return "stale";
  case Verdict::mismatch: return "mismatch";
  }
  return "unknown";
}

Result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  if (body.empty()) return out;
  for (auto part : split(body, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    CRM_TRY_ASSIGN(auto k, percent_decode(part.substr(0, eq)));
    std::string v;
    if (eq != std::string_view::npos) {
      CRM_TRY_ASSIGN(v, percent_decode(part.substr(eq + 1)));
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const std::vector<std::pair<std::string, std::string>>& params) {
  auto sorted = params;
  std::sort(sorted.begin(), sorted.end());
  std::string data(url);
  for (const auto& [k, v] : sorted)
    data += k + v;
  return crypto::base64_encode(crypto::hmac_sha1(auth_token, data));
}

Verification verify_twilio(std::string_view url, std::string_view body, bool json_body,
                           std::string_view signature_header,
                           const std::vector<std::string>& auth_tokens) {
  const std::string_view given = trim(signature_header);
  if (given.empty()) return fail(Verdict::missing, "no X-Twilio-Signature header");
  if (auth_tokens.empty()) return fail(Verdict::missing, "no Twilio auth token for this number");
  std::vector<std::pair<std::string, std::string>> params;
  if (json_body) {
    auto declared = query_param(url, "bodySHA256");
    if (!declared) return fail(Verdict::malformed, "JSON body without bodySHA256 in the URL");
    if (!crypto::constant_time_equal(lower(*declared), crypto::hex(crypto::sha256(body))))
      return fail(Verdict::mismatch, "bodySHA256 does not match the body");
  } else {
    auto decoded = decode_form(body);
    if (!decoded) return fail(Verdict::mismatch, "form body does not decode");
    params = std::move(*decoded);
  }
  std::vector<std::string> urls{std::string(url)};
  if (auto other = other_port_form(url); !other.empty()) urls.push_back(other);
  bool matched = false;
  for (const auto& token : auth_tokens) {
    if (token.empty()) continue;
    for (const auto& u : urls)
      matched |= crypto::constant_time_equal(twilio_signature(token, u, params), given);
  }
  return matched ? pass() : fail(Verdict::mismatch, "X-Twilio-Signature does not match");
}

Verification verify_elevenlabs(std::string_view header, std::string_view body,
                               const std::vector<std::string>& secrets, UnixSeconds now,
                               std::chrono::seconds tolerance) {
  if (trim(header).empty()) return fail(Verdict::missing, "no ElevenLabs-Signature header");
  if (secrets.empty()) return fail(Verdict::missing, "no ElevenLabs webhook secret configured");
  std::string_view t;
  std::vector<std::string_view> v0;
  for (auto part : split(header, ',')) {
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return fail(Verdict::malformed, "signature part without '='");
    auto k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "t") t = v;
    else if (k == "v0") v0.push_back(v);
  }
  std::int64_t ts = 0;
  if (!parse_digits(t, ts)) return fail(Verdict::malformed, "timestamp t= is not whole seconds");
  if (v0.empty()) return fail(Verdict::malformed, "no v0= signature");
  if (!within(ts, now, tolerance)) return fail(Verdict::stale, "timestamp outside the tolerance");
  std::string payload(t);
  payload += '.';
  payload += body;
  return any_hex_hmac(secrets, payload, v0)
             ? pass()
             : fail(Verdict::mismatch, "ElevenLabs-Signature does not match");
}

Verification verify_vapi(const VapiHeaders& h, std::string_view body,
                         const std::vector<std::string>& secrets, UnixSeconds now,
                         std::chrono::seconds tolerance) {
  if (secrets.empty()) return fail(Verdict::missing, "no Vapi webhook secret configured");
  if (!trim(h.signature).empty()) {
    std::int64_t ts = 0;
    std::string_view tsv = trim(h.timestamp);
    if (!parse_digits(tsv, ts)) return fail(Verdict::malformed, "x-timestamp is not a number");
    const std::int64_t secs = tsv.size() >= 13 ? ts / 1000 : ts; // milliseconds or seconds
    if (!within(secs, now, tolerance)) return fail(Verdict::stale, "timestamp outside the tolerance");
    std::string payload(tsv);
    payload += '.';
    payload += body;
    std::vector<std::string_view> given;
    for (auto g : split(h.signature, ','))
      given.push_back(g.rfind("sha256=", 0) == 0 ? g.substr(7) : g);
    return any_hex_hmac(secrets, payload, given)
               ? pass()
               : fail(Verdict::mismatch, "x-signature does not match");
  }
  std::string_view presented;
  std::string_view auth = trim(h.authorization);
  if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") presented = trim(auth.substr(7));
  else if (!trim(h.legacy_secret).empty()) presented = trim(h.legacy_secret);
  if (presented.empty()) return fail(Verdict::missing, "no x-signature, bearer or X-Vapi-Secret");
  bool matched = false;
  for (const auto& s : secrets)
    if (!s.empty()) matched |= crypto::constant_time_equal(s, presented);
  return matched ? pass() : fail(Verdict::mismatch, "the Vapi secret does not match");
}

Verification verify_retell(std::string_view header, std::string_view body,
                           const std::vector<std::string>& api_keys, UnixSeconds now,
                           std::chrono::seconds tolerance) {
  if (trim(header).empty()) return fail(Verdict::missing, "no x-retell-signature header");
  if (api_keys.empty()) return fail(Verdict::missing, "no Retell API key configured");
  std::string_view v, d;
  for (auto part : split(header, ',')) {
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return fail(Verdict::malformed, "signature part without '='");
    if (part.substr(0, eq) == "v") v = part.substr(eq + 1);
    else if (part.substr(0, eq) == "d") d = part.substr(eq + 1);
  }
  std::int64_t ms = 0;
  if (!parse_digits(v, ms)) return fail(Verdict::malformed, "v= is not a time in milliseconds");
  if (d.empty()) return fail(Verdict::malformed, "no d= signature");
  if (!within(ms / 1000, now, tolerance)) return fail(Verdict::stale, "timestamp outside the tolerance");
  std::string payload(body);
  payload += v;
  return any_hex_hmac(api_keys, payload, {d})
             ? pass()
             : fail(Verdict::mismatch, "x-retell-signature does not match");
}

Verification verify_standard(std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body,
                             const std::vector<std::string>& keys, UnixSeconds now,
                             std::chrono::seconds tolerance) {
  if (trim(signature_header).empty() || trim(id).empty())
    return fail(Verdict::missing, "no webhook-signature or webhook-id header");
  if (keys.empty()) return fail(Verdict::missing, "no signing key configured");
  std::int64_t ts = 0;
  if (!parse_digits(trim(timestamp), ts))
    return fail(Verdict::malformed, "webhook-timestamp is not whole seconds");
  if (!within(ts, now, tolerance)) return fail(Verdict::stale, "timestamp outside the tolerance");
  std::string payload(trim(id));
  payload += '.';
  payload += trim(timestamp);
  payload += '.';
  payload += body;
  bool matched = false;
  for (const auto& key : keys) {
    std::string_view k = key;
    if (k.rfind("whsec_", 0) == 0) k.remove_prefix(6);
    auto raw = crypto::base64_decode(k);
    if (!raw || raw->empty()) continue;
    const std::string want = crypto::base64_encode(crypto::hmac_sha256(*raw, payload));
    for (auto sig : split(signature_header, ' ')) {
      if (sig.rfind("v1,", 0) != 0) continue;
      matched |= crypto::constant_time_equal(want, sig.substr(3));
    }
  }
  return matched ? pass() : fail(Verdict::mismatch, "webhook-signature does not match");
}

} // namespace crm::webhook
