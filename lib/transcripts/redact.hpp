// PHI redaction of transcript text: hand-written scanners over the bytes (no regex on the hot
// path) for US SSNs, payment card numbers (Luhn-checked), email addresses, phone numbers (E.164
// and common national formats) and dates of birth, plus extra named patterns from the profile's
// `redaction:` section (RE2, linear time). A match is replaced by `[REDACTED:<label>]`.
#pragma once
#include "core/config.hpp"
#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace crm::transcripts {

/// The built-in kinds; custom patterns are numbered after them (label index k_builtin_kinds + i).
enum class PhiKind : std::uint8_t { ssn, card, email, phone, dob };
inline constexpr std::size_t k_builtin_kinds = 5;

/// One match: bytes [begin, end) of the scanned text and the index of its label.
struct PhiSpan {
  std::size_t begin = 0, end = 0;
  std::size_t label = 0;
  bool operator==(const PhiSpan&) const = default;
};

/// Matches per label (same order as PhiRedactor::labels()).
struct RedactionCounts {
  std::vector<std::uint64_t> by_label;
  std::uint64_t total() const;
  /// Adds `other` label by label.
  void add(const RedactionCounts& other);
};

/// The redactor: immutable after create(), cheap to copy, safe to share between threads.
class PhiRedactor {
public:
  /// The built-in scanners plus `extra` patterns (RE2 syntax); a pattern that does not compile,
  /// or a name that is empty or not [a-z0-9_-], is a config error naming it.
  static Result<PhiRedactor> create(const std::vector<RedactionPattern>& extra = {});

  /// Labels: "ssn", "card", "email", "phone", "dob", then the custom pattern names.
  const std::vector<std::string>& labels() const { return m_labels; }
  /// Every match in `text`, sorted, non-overlapping (overlaps merged into the earlier match).
  std::vector<PhiSpan> find(std::string_view text) const;
  /// find() into `spans` (cleared first), reusing its storage.
  void find_into(std::string_view text, std::vector<PhiSpan>& spans) const;
  /// Appends `text` to `out` with every match replaced by `[REDACTED:<label>]`; counts matches
  /// into `counts` when given (by_label is sized on first use).
  void redact_into(std::string_view text, std::string& out, RedactionCounts* counts = nullptr) const;
  /// `text` redacted.
  std::string redact(std::string_view text) const;
  /// Empty counts sized for labels().
  RedactionCounts zero_counts() const;

private:
  PhiRedactor() = default;
  std::vector<std::string> m_labels;
  std::vector<std::shared_ptr<const re2::RE2>> m_custom;
};

/// Luhn checksum of a string of ASCII digits (payment card numbers).
bool luhn_valid(std::string_view digits);

} // namespace crm::transcripts
