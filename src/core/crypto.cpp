#include "core/crypto.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace tatou::crypto {

static_assert(sizeof(crypto_hash_sha256_state) <= 208);

void init() {
    if (sodium_init() < 0) std::abort();
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    randombytes_buf(out.data(), n);
    return out;
}

std::string random_hex(std::size_t n_bytes) { return to_hex(random_bytes(n_bytes)); }

std::uint64_t random_u64() {
    std::uint64_t v;
    randombytes_buf(&v, sizeof v);
    return v;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string sha256(std::string_view data) {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view message) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size());
    std::string out(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
    sodium_memzero(&st, sizeof st);
    return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    return to_hex(hmac_sha256(key, message));
}

std::string pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, unsigned iterations,
                               std::size_t length) {
    // The keyed HMAC state is computed once and copied per block, which halves the work of
    // re-keying on every iteration.
    crypto_auth_hmacsha256_state keyed;
    crypto_auth_hmacsha256_init(&keyed, reinterpret_cast<const unsigned char*>(password.data()),
                                password.size());
    std::string out;
    out.reserve(length);
    for (std::uint32_t block = 1; out.size() < length; ++block) {
        unsigned char u[crypto_auth_hmacsha256_BYTES];
        unsigned char t[crypto_auth_hmacsha256_BYTES];
        const unsigned char index[4] = {static_cast<unsigned char>(block >> 24),
                                        static_cast<unsigned char>(block >> 16),
                                        static_cast<unsigned char>(block >> 8),
                                        static_cast<unsigned char>(block)};
        crypto_auth_hmacsha256_state st = keyed;
        crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(salt.data()),
                                      salt.size());
        crypto_auth_hmacsha256_update(&st, index, sizeof index);
        crypto_auth_hmacsha256_final(&st, u);
        std::copy(u, u + sizeof u, t);
        for (unsigned i = 1; i < iterations; ++i) {
            st = keyed;
            crypto_auth_hmacsha256_update(&st, u, sizeof u);
            crypto_auth_hmacsha256_final(&st, u);
            for (std::size_t j = 0; j < sizeof t; ++j) t[j] ^= u[j];
        }
        out.append(reinterpret_cast<const char*>(t),
                   std::min(sizeof t, length - out.size()));
        sodium_memzero(&st, sizeof st);
        sodium_memzero(u, sizeof u);
    }
    sodium_memzero(&keyed, sizeof keyed);
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

static int sodium_variant(B64 v) {
    return v == B64::standard ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_URLSAFE;
}

std::string base64_encode(std::string_view bytes, B64 variant) {
    const int v = sodium_variant(variant);
    std::string out(sodium_base64_encoded_len(bytes.size(), v), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), v);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

bool base64_decode(std::string_view text, B64 variant, std::string& out) {
    out.assign(text.size() / 4 * 3 + 3, '\0');
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), nullptr, &len, &end, sodium_variant(variant)) != 0 ||
        end != text.data() + text.size()) {
        out.clear();
        return false;
    }
    out.resize(len);
    return true;
}

Sha256Stream::Sha256Stream() {
    crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()));
}

void Sha256Stream::update(std::string_view data) {
    crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()),
                              reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256Stream::hex_digest() {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_.data()),
                             reinterpret_cast<unsigned char*>(out.data()));
    return to_hex(out);
}

}  // namespace tatou::crypto
