#pragma once
// Thin wrappers over libsodium so the rest of the code never touches raw C buffers.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tatou::crypto {

void init();  // sodium_init; aborts if the library cannot initialise

std::string random_bytes(std::size_t n);
std::string random_hex(std::size_t n_bytes);  // 2*n_bytes lowercase hex chars
std::uint64_t random_u64();

std::string to_hex(std::string_view bytes);
std::string sha256(std::string_view data);      // 32 raw bytes
std::string sha256_hex(std::string_view data);  // 64 lowercase hex chars
std::string hmac_sha256(std::string_view key, std::string_view message);  // 32 raw bytes
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// PBKDF2-HMAC-SHA256 (RFC 8018). Only for reading formats other tools defined; our own key
// derivation uses BLAKE2b or Argon2id.
std::string pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, unsigned iterations,
                               std::size_t length);

bool constant_time_equal(std::string_view a, std::string_view b);

enum class B64 { standard, url_safe };
std::string base64_encode(std::string_view bytes, B64 variant);  // always padded
// Strict decoding: returns false on any character outside the alphabet or bad padding.
bool base64_decode(std::string_view text, B64 variant, std::string& out);

// Incremental SHA-256 for streaming uploads to disk.
class Sha256Stream {
public:
    Sha256Stream();
    void update(std::string_view data);
    std::string hex_digest();

private:
    alignas(64) std::array<unsigned char, 208> state_{};  // >= sizeof(crypto_hash_sha256_state)
};

}  // namespace tatou::crypto
