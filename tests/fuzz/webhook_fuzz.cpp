// libFuzzer target over what the daemon parses before and after verification: the signature
// headers of every provider scheme, the form decoder, and event normalisation (shared/docs/
// webhooks.md). The first byte picks the parser; the rest is split at the first 0xFF byte into
// a header and a body. Every parser must return a verdict or an error, never crash, hang or
// read out of bounds (ASan/UBSan in `make fuzz`); normalised events must stay within their
// documented shapes (checked below).
#include "webhook/normalize.hpp"
#include "webhook/verify.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace crm::webhook;

namespace {

void check(const crm::Result<Normalized>& n) {
  if (!n) return;
  if (n->call) {
    const auto& c = *n->call;
    // A cost is plain decimal text (no exponent, at most 102 characters) or absent.
    if (c.cost && (c.cost->empty() || c.cost->size() > 102 ||
                   c.cost->find_first_not_of("-0123456789.") != std::string::npos))
      std::abort();
    if (c.event_key.empty() || c.external_call_id.empty()) std::abort();
  }
  if (n->message && n->message->event_key.empty()) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto cut = all.find('\xff');
  const std::string_view header = cut == std::string_view::npos ? all : all.substr(0, cut);
  const std::string_view body = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
  const std::vector<std::string> keys = {"secret-one", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  const UnixSeconds now = 1763800000;
  switch (data[0] % 10) {
  case 0: (void)decode_form(all); break;
  case 1: (void)verify_elevenlabs(header, body, keys, now); break;
  case 2: (void)verify_retell(header, body, keys, now); break;
  case 3: {
    VapiHeaders h;
    const auto comma = header.find(',');
    h.timestamp = std::string(header.substr(0, comma));
    h.signature = comma == std::string_view::npos ? "" : std::string(header.substr(comma + 1));
    h.authorization = std::string(header);
    h.legacy_secret = std::string(header);
    (void)verify_vapi(h, body, keys, now);
    break;
  }
  case 4: {
    const auto sp = header.find(' ');
    (void)verify_standard(header.substr(0, sp), "1763800000",
                          sp == std::string_view::npos ? "" : header.substr(sp + 1), body, keys, now);
    break;
  }
  case 5: (void)verify_twilio(header, body, (data[0] & 0x10) != 0, header, keys); break;
  case 6: check(normalize_vapi(all)); break;
  case 7: check(normalize_elevenlabs(all)); break;
  case 8: check(normalize_retell(all)); break;
  case 9: {
    auto form = decode_form(all);
    if (form) {
      check(normalize_twilio("sms", *form));
      check(normalize_twilio("voice-status", *form));
    }
    break;
  }
  }
  return 0;
}
