#pragma once
// Times on the `tatou ir` command line: RFC 3339 UTC ("2026-11-24T10:00:00Z", optional fraction,
// "+00:00" accepted) or an age before now ("90s", "15m", "2h", "7d"). Unix milliseconds inside.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tatou::ops {

std::int64_t now_ms();
std::optional<std::int64_t> parse_time_ms(std::string_view text, std::int64_t now);
// An audit record's @timestamp (always UTC, "Z"); nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);
std::string format_time(std::int64_t unix_ms);  // 2026-11-24T16:21:33.123Z
std::string format_duration(std::int64_t ms);   // "1h 02m 03s", "4m 05s", "12s", "0.250s"

}  // namespace tatou::ops
