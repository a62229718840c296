// Secret masking for every output and log line.
#pragma once
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm {

/// Masked form of a secret: a short type prefix kept ("sk_", "AC"), the rest hidden except the last
/// four characters when the secret is long enough ("sk_…abcd"); short secrets become "****".
std::string mask_secret(std::string_view secret);
/// Hides the password of a connection string in either form: the URL userinfo
/// ("postgresql://u:****@h/db"), a `password=` query parameter, and libpq keyword form
/// (`host=x password=**** user=y`, quoted or with spaces around '='); other text unchanged.
std::string mask_url_password(std::string_view url);
/// Only the `password=` parts of mask_url_password: libpq keyword form (`password='a b'`,
/// `password = x`) and URL query parameters; other text unchanged.
std::string mask_connection_string_passwords(std::string_view text);

/// Replaces known secret values (and URL passwords) in free text; used by the logger and renderers.
/// Thread-safe: add() publishes a new immutable snapshot (copy-on-write) and redact() works on the
/// snapshot it loaded, so many threads may redact while others add. Bounded: past `capacity`
/// secrets the oldest registered one is forgotten (a CLI run registers a handful; a daemon that
/// registers per-request secrets must not grow without limit).
class Redactor {
public:
  static constexpr std::size_t k_default_capacity = 1024;

  explicit Redactor(std::size_t capacity = k_default_capacity);
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// Registers a value that must never be printed; values shorter than 4 characters are ignored.
  void add(std::string secret);
  /// `text` with every registered secret and URL password masked.
  std::string redact(std::string_view text) const;
  /// How many secrets are registered (at most the capacity).
  std::size_t size() const;

private:
  /// (secret, masked form), longest secret first so a secret containing another is masked whole.
  using Snapshot = std::vector<std::pair<std::string, std::string>>;
  std::shared_ptr<const Snapshot> load() const;

  std::size_t m_capacity;
  mutable std::mutex m_mutex;                 // guards m_snapshot (the pointer) and m_order
  std::shared_ptr<const Snapshot> m_snapshot; // never mutated once published
  std::deque<std::string> m_order;            // registration order, oldest first (eviction)
};

} // namespace crm
