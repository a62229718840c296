// Writing JSON text by hand where nlohmann::json's per-byte serialiser is the cost (transcript
// exports, the webhook daemon's group commit): strings escaped 16 bytes at a time.
#pragma once
#include <string>
#include <string_view>

namespace crm {

/// Appends `s` JSON-escaped, without the quotes: '"', '\\' and the controls below 0x20 escaped,
/// every other byte as it is (the caller passes valid UTF-8).
void append_json_chars(std::string& out, std::string_view s);
/// Appends `s` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view s);

} // namespace crm
