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
  // libpq keyword form: password=...
  std::size_t p = 0;
  while ((p = out.find("password=", p)) != std::string::npos) {
    std::size_t v = p + 9, e = out.find_first_of(" &\n", v);
    out.replace(v, (e == std::string::npos ? out.size() : e) - v, "****");
    p = v;
  }
  return out;
}

void Redactor::add(std::string secret) {
  if (secret.size() < 4) return;
  if (std::find(m_secrets.begin(), m_secrets.end(), secret) == m_secrets.end())
    m_secrets.push_back(std::move(secret));
  // Longest first, so a secret containing another is masked whole.
  std::sort(m_secrets.begin(), m_secrets.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& s : m_secrets) {
    std::string masked = mask_secret(s);
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), masked);
      pos += masked.size();
    }
  }
  return mask_url_password(out);
}

} // namespace crm
