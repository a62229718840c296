// Identifiers: UUID v4, slugs.
#pragma once
#include <string>
#include <string_view>

namespace crm {

/// A random (version 4, RFC 4122 variant) UUID in lower-case canonical form.
std::string uuid_v4();
/// True for a canonical 8-4-4-4-12 hex UUID (any version, either case).
bool is_uuid(std::string_view s);
/// URL-safe slug from a display name: ASCII lower-case letters, digits and single dashes, with
/// Latin letters transliterated ("Café Zürich" → "cafe-zurich", ß → ss, æ → ae, ł → l); emoji
/// and other scripts separate words. At most 63 characters; empty when the name has no usable
/// characters.
std::string slugify(std::string_view name);
/// True for a slug as slugify() makes them (1..63 chars of [a-z0-9-], no leading/trailing dash).
bool is_valid_slug(std::string_view s);

} // namespace crm
