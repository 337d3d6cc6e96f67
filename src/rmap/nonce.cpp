#include "rmap/nonce.hpp"

namespace tatou::rmap {

std::optional<std::uint64_t> exact_u64(const nlohmann::json& value) {
    // Only the unsigned type: is_number_integer() is also true for number_unsigned, and
    // booleans are a type of their own, so this one test excludes every other case.
    if (value.type() != nlohmann::json::value_t::number_unsigned) return std::nullopt;
    return value.get<std::uint64_t>();
}

std::string hex16(std::uint64_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = digits[value & 0xF];
    return out;
}

std::optional<std::uint64_t> parse_hex16(std::string_view text) {
    if (text.size() != 16) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return std::nullopt;
        v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return v;
}

std::string format_result(std::uint64_t nonce_client, std::uint64_t nonce_server) {
    return hex16(nonce_client) + hex16(nonce_server);
}

}  // namespace tatou::rmap
