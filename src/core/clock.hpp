#pragma once
#include <cstdint>
#include <string>

namespace tatou {

std::int64_t unix_now();            // seconds
std::string iso8601_utc_now();      // 2025-10-26T06:03:00.123456Z

}  // namespace tatou
