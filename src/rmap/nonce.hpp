#pragma once
// RMAP nonces: unsigned 64-bit integers sent as plain JSON numbers, which clients draw from the
// full range (above 2^53 and 2^63 too). They never go through a double.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tatou::rmap {

// The value of a JSON number that was written as a non-negative integer below 2^64; nullopt for
// anything else. nlohmann keeps such numbers as number_unsigned, exactly. It turns "-5" (and
// "-0") into number_integer and "1.0", "1e3" and anything >= 2^64 into number_float: all of
// them, like booleans and strings, are refused here.
std::optional<std::uint64_t> exact_u64(const nlohmann::json& value);

// 16 lowercase hex digits, zero-padded: the form nonces take in the result and in the database.
std::string hex16(std::uint64_t value);
// Inverse of hex16: exactly 16 lowercase hex digits.
std::optional<std::uint64_t> parse_hex16(std::string_view text);

// The handshake result and RMAP version link: hex16(nonce_client) + hex16(nonce_server).
std::string format_result(std::uint64_t nonce_client, std::uint64_t nonce_server);

}  // namespace tatou::rmap
