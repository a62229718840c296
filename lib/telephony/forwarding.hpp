// Call forwarding codes (seed 002 §17, "Hybrid Telephony"): the GSM/CDMA codes a SIM owner dials
// to forward their own number to the AI number, per carrier and mode, with instructions. Pure
// logic: no database, no network, no clock.
#pragma once
#include "core/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::telephony {

/// The carrier whose code syntax applies.
enum class Carrier { att, tmobile, verizon, sprint, other_gsm, other_cdma };
/// total_ai: every call goes to the AI at once; safety_net: only calls left unanswered.
enum class ForwardingMode { total_ai, safety_net };
/// The network family a carrier's codes belong to.
enum class Network { gsm, cdma };

/// Fewest seconds a safety-net ring time may be (seed: CHECK 5..60).
inline constexpr int k_ring_min_seconds = 5;
/// Most seconds a safety-net ring time may be.
inline constexpr int k_ring_max_seconds = 60;
/// The ring time when --ring is not given.
inline constexpr int k_ring_default_seconds = 25;
/// GSM networks take the no-answer timer in steps of this many seconds.
inline constexpr int k_ring_step_seconds = 5;
/// Above this, many GSM networks refuse the no-answer timer.
inline constexpr int k_gsm_common_max_seconds = 30;

/// The carrier names the CLI accepts, in display order ("att", "tmobile", ...).
const std::vector<std::string>& carrier_names();
/// The mode names the CLI accepts ("total_ai", "safety_net").
const std::vector<std::string>& forwarding_mode_names();
/// Parses a carrier name; an unknown one is a usage error listing the known ones.
Result<Carrier> parse_carrier(std::string_view name);
/// Parses a mode name; an unknown one is a usage error listing the known ones.
Result<ForwardingMode> parse_forwarding_mode(std::string_view name);
/// The name of a carrier ("tmobile").
const char* carrier_name(Carrier c);
/// The name of a mode ("safety_net").
const char* forwarding_mode_name(ForwardingMode m);
/// GSM (MMI codes, ring time settable) or CDMA (*72/*71/*73 feature codes, no ring time).
Network network_of(Carrier c);
/// `seconds` rounded to the nearest multiple of k_ring_step_seconds (7 → 5, 8 → 10); values in
/// 5..60 stay in 5..60.
int round_ring_seconds(int seconds);

/// What to generate codes for.
struct ForwardingRequest {
  Carrier carrier = Carrier::tmobile;
  ForwardingMode mode = ForwardingMode::total_ai;
  std::string destination;         // the AI number, E.164
  std::optional<int> ring_seconds; // --ring; nullopt = default (safety_net) or not applicable
};

/// The codes and what to do with them.
struct ForwardingCodes {
  Carrier carrier = Carrier::tmobile;
  ForwardingMode mode = ForwardingMode::total_ai;
  std::string destination;
  std::optional<int> ring_seconds; // the ring time the code sets; nullopt when none is set
  std::string activation_code;
  std::string deactivation_code;
  std::vector<std::string> instructions; // numbered steps, in order
  std::vector<std::string> notes;        // everything ignored, rounded or carrier-specific
};

/// Generates the activation and deactivation codes. A destination that is not E.164, or a ring
/// time outside 5..60 s (checked in every mode), is a usage error; a ring time that is ignored
/// (total_ai, CDMA carriers) or rounded (GSM) is said so in `notes`, never silently.
Result<ForwardingCodes> forwarding_codes(const ForwardingRequest& request);

} // namespace crm::telephony
