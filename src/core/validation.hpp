#pragma once
// Input rules shared by the API and the CLI. Pure functions, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tatou::validation {

bool valid_email(std::string_view email);
bool valid_login(std::string_view login);
bool valid_password(std::string_view password);

// A positive integer that fits in 63 bits, written in plain decimal; nothing else.
std::optional<std::int64_t> parse_id(std::string_view text);

// Werkzeug's secure_filename: a name safe to show and to use as a download name.
// Accented Latin letters fold to their base letter; other non-ASCII is dropped.
std::string secure_filename(std::string_view name);

// Display names: UTF-8, no control characters, bounded length.
bool valid_display_text(std::string_view text, std::size_t max_bytes);

std::string to_lower_ascii(std::string_view s);
std::string trim(std::string_view s);

}  // namespace tatou::validation
