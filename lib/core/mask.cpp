#include "core/mask.hpp"
#include <algorithm>

namespace crm {

std::string mask_secret(std::string_view s) {
  if (s.size() < 12) return "****";
  std::size_t keep = 0;
  auto us = s.find('_');
  if (us != std::string_view::npos && us < 5)
    keep = us + 1;
  else if (s.size() >= 2 && isupper(static_cast<unsigned char>(s[0])) &&
           isupper(static_cast<unsigned char>(s[1])))
    keep = 2; // Twilio-style "AC…", "SK…"
  return std::string(s.substr(0, keep)) + "\u2026" + std::string(s.substr(s.size() - 4));
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

std::string mask_connection_string_passwords(std::string_view text) {
  // libpq keyword form (`host=x password='a b' user=y`, `password = x`) and URL query parameters
  // (`?password=x&sslmode=require`). A quoted value runs to its closing quote (\' and \\ are
  // escapes); an unquoted one to whitespace, or in a URL query also to '&' or '#'. Empty values
  // are left alone: there is nothing to hide.
  std::string out(text);
  static constexpr std::string_view k_key = "password";
  std::size_t p = 0;
  while ((p = out.find(k_key, p)) != std::string::npos) {
    const bool in_query = p > 0 && (out[p - 1] == '?' || out[p - 1] == '&');
    std::size_t i = p + k_key.size();
    while (i < out.size() && is_space(out[i]) && !in_query)
      ++i;
    if (i >= out.size() || out[i] != '=') {
      p += k_key.size();
      continue;
    }
    ++i;
    while (i < out.size() && is_space(out[i]) && !in_query)
      ++i;
    std::size_t end = i;
    if (i < out.size() && out[i] == '\'' && !in_query) {
      end = i + 1;
      while (end < out.size() && out[end] != '\'')
        end += out[end] == '\\' && end + 1 < out.size() ? 2 : 1;
      end = std::min(end + 1, out.size()); // past the closing quote (or the end, unterminated)
      if (end - i == 2) {                  // ''
        p = end;
        continue;
      }
    } else {
      while (end < out.size() && !is_space(out[end]) &&
             !(in_query && (out[end] == '&' || out[end] == '#')))
        ++end;
    }
    if (end == i || out.compare(i, end - i, "****") == 0) {
      p = end == i ? i : end;
      continue;
    }
    out.replace(i, end - i, "****");
    p = i + 4;
  }
  return out;
}

std::string mask_url_password(std::string_view url) {
  std::string out(url);
  std::size_t pos = 0;
  while ((pos = out.find("://", pos)) != std::string::npos) {
    std::size_t start = pos + 3;
    std::size_t end = out.find_first_of("/ \t\n?", start);
    std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > start) {
      std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "****");
      }
    }
    pos = start;
  }
  return mask_connection_string_passwords(out);
}

Redactor::Redactor(std::size_t capacity)
    : m_capacity(std::max<std::size_t>(1, capacity)), m_snapshot(std::make_shared<Snapshot>()) {}

std::shared_ptr<const Redactor::Snapshot> Redactor::load() const {
  std::lock_guard lock(m_mutex);
  return m_snapshot;
}

std::size_t Redactor::size() const {
  return load()->size();
}

void Redactor::add(std::string secret) {
  if (secret.size() < 4) return;
  std::string masked = mask_secret(secret);
  std::lock_guard lock(m_mutex);
  const Snapshot& current = *m_snapshot;
  if (std::any_of(current.begin(), current.end(),
                  [&](const auto& entry) { return entry.first == secret; }))
    return;
  auto next = std::make_shared<Snapshot>(current);
  m_order.push_back(secret);
  next->emplace_back(std::move(secret), std::move(masked));
  while (m_order.size() > m_capacity) {
    const std::string& oldest = m_order.front();
    next->erase(std::find_if(next->begin(), next->end(),
                             [&](const auto& entry) { return entry.first == oldest; }));
    m_order.pop_front();
  }
  // Longest first, so a secret containing another is masked whole.
  std::stable_sort(next->begin(), next->end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  m_snapshot = std::move(next);
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  auto snapshot = load();
  for (const auto& [secret, masked] : *snapshot) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), masked);
      pos += masked.size();
    }
  }
  return mask_url_password(out);
}

} // namespace crm
