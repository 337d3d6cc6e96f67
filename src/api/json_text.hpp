#pragma once
// Direct JSON text for the hottest listing: building an nlohmann tree per row and serialising
// it was the largest user-space cost of list-documents (allocation + tree walk).
#include <cstdint>
#include <string>
#include <string_view>

namespace tatou::api {

// Appends `s` as a JSON string literal. `s` must be valid UTF-8 (stored names are validated).
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            out.append("\\u00");
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

inline void append_json_int(std::string& out, std::int64_t v) { out.append(std::to_string(v)); }

}  // namespace tatou::api
