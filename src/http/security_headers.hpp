#pragma once
// Headers every response carries (platform.md §4.0), without 'unsafe-inline': the pages load
// their scripts and styles from files.
#include <string_view>
#include <utility>

namespace tatou::http {

inline constexpr std::pair<std::string_view, std::string_view> kSecurityHeaders[] = {
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-XSS-Protection", "1; mode=block"},
    {"Referrer-Policy", "strict-origin-when-cross-origin"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     "font-src 'self'; object-src 'none'; media-src 'self'; frame-src 'none'; base-uri 'self'; "
     "form-action 'self'; frame-ancestors 'none'; block-all-mixed-content"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
};

}  // namespace tatou::http
