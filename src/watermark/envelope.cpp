#include "watermark/envelope.hpp"

#include <sodium.h>

#include "core/crypto.hpp"
#include "watermark/method.hpp"

namespace tatou::watermark {

namespace {

constexpr std::size_t kSalt = 16;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kCheck = 8;
constexpr std::size_t kMinBinary = kSalt + kNonce + kTag + 1 + kCheck;
constexpr std::size_t kMaxBinary = kSalt + kNonce + kTag + kMaxSecretBytes + kCheck;
constexpr std::string_view kAd = "tatou-wm/v1";
constexpr char kPersonal[crypto_generichash_blake2b_PERSONALBYTES + 1] = "tatou-wm-kdf-v1";

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string derive_key(std::string_view key, std::string_view salt) {
    std::string out(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
    crypto_generichash_blake2b_salt_personal(u8(out), out.size(), u8(key), key.size(), nullptr, 0,
                                             u8(salt), reinterpret_cast<const unsigned char*>(kPersonal));
    return out;
}

std::string check_of(std::string_view body) {
    std::string out(kCheck, '\0');
    crypto_generichash(u8(out), out.size(), u8(body), body.size(), nullptr, 0);
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string seal_secret(std::string_view secret, std::string_view key) {
    if (secret.empty()) throw InvalidInput("Secret must be a non-empty string");
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
    if (secret.size() > kMaxSecretBytes) throw InvalidInput("Secret is too long");
    const std::string salt = crypto::random_bytes(kSalt);
    const std::string nonce = crypto::random_bytes(kNonce);
    std::string k = derive_key(key, salt);
    std::string ct(secret.size() + kTag, '\0');
    unsigned long long ct_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(u8(ct), &ct_len, u8(secret), secret.size(), u8(kAd),
                                               kAd.size(), nullptr, u8(nonce), u8(k));
    sodium_memzero(k.data(), k.size());
    std::string body = salt + nonce + ct;
    body += check_of(body);
    return std::string(kEnvelopeMarker) + crypto::to_hex(body);
}

EnvelopeReader::EnvelopeReader(std::string_view key) : key_(key) {}

EnvelopeReader::~EnvelopeReader() {
    sodium_memzero(key_.data(), key_.size());
    sodium_memzero(secret_.data(), secret_.size());
}

void EnvelopeReader::scan(std::string_view text) {
    std::size_t at = 0;
    while (!opened_ && (at = text.find(kEnvelopeMarker, at)) != std::string_view::npos) {
        at += kEnvelopeMarker.size();
        std::size_t end = at;
        while (end < text.size() && end - at < 2 * kMaxBinary && hex_value(text[end]) >= 0) ++end;
        const std::string_view hex = text.substr(at, (end - at) & ~std::size_t{1});
        if (hex.size() < 2 * kMinBinary) continue;
        std::string binary(hex.size() / 2, '\0');
        for (std::size_t i = 0; i < binary.size(); ++i)
            binary[i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
        try_token(binary);
        at = end;
    }
}

void EnvelopeReader::try_token(std::string_view binary) {
    const std::string_view body = binary.substr(0, binary.size() - kCheck);
    if (!crypto::constant_time_equal(check_of(body), binary.substr(body.size()))) return;  // damaged
    intact_seen_ = true;
    if (!tried_.emplace(binary).second) return;
    std::string k = derive_key(key_, body.substr(0, kSalt));
    const std::string_view nonce = body.substr(kSalt, kNonce);
    const std::string_view ct = body.substr(kSalt + kNonce);
    std::string plain(ct.size() - kTag, '\0');
    unsigned long long plain_len = 0;
    const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        u8(plain), &plain_len, nullptr, u8(ct), ct.size(), u8(kAd), kAd.size(), u8(nonce), u8(k));
    sodium_memzero(k.data(), k.size());
    if (rc != 0) return;
    plain.resize(plain_len);
    secret_ = std::move(plain);
    opened_ = true;
}

std::string EnvelopeReader::result(std::string_view not_found_message) const {
    if (opened_) return secret_;
    if (intact_seen_) throw InvalidKey("Provided key failed to authenticate the watermark");
    throw SecretNotFound(std::string(not_found_message));
}

}  // namespace tatou::watermark
