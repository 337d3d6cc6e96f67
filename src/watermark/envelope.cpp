#include "watermark/envelope.hpp"

#include <sodium.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "core/crypto.hpp"
#include "watermark/method.hpp"

namespace tatou::watermark {

namespace {

constexpr std::size_t kParams = 8;  // TWM2: ops and mem_kib, big-endian u32 each
constexpr std::size_t kSalt = 16;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kCheck = 8;
constexpr std::size_t kMinV1 = kSalt + kNonce + kTag + 1 + kCheck;
constexpr std::size_t kMinV2 = kParams + kMinV1;
constexpr std::size_t kMaxBinary = kParams + kSalt + kNonce + kTag + kMaxSecretBytes + kCheck;
constexpr std::string_view kAdV1 = "tatou-wm/v1";
constexpr std::string_view kAdV2 = "tatou-wm/v2";
constexpr char kPersonal[crypto_generichash_blake2b_PERSONALBYTES + 1] = "tatou-wm-kdf-v1";
static_assert(kSalt == crypto_pwhash_SALTBYTES);

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

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

std::string encode_params(KdfParams p) {
    std::string out(kParams, '\0');
    for (int i = 0; i < 4; ++i) {
        out[i] = static_cast<char>((p.ops >> (24 - 8 * i)) & 0xFF);
        out[4 + i] = static_cast<char>((p.mem_kib >> (24 - 8 * i)) & 0xFF);
    }
    return out;
}

KdfParams decode_params(std::string_view b) {
    KdfParams p{0, 0};
    for (int i = 0; i < 4; ++i) {
        p.ops = (p.ops << 8) | static_cast<unsigned char>(b[i]);
        p.mem_kib = (p.mem_kib << 8) | static_cast<unsigned char>(b[4 + i]);
    }
    return p;
}

// The ciphertext under `k` with associated data `ad`: nonce | ciphertext.
std::string encrypt(std::string_view secret, std::string_view ad, const std::string& k) {
    const std::string nonce = crypto::random_bytes(kNonce);
    std::string ct(secret.size() + kTag, '\0');
    unsigned long long ct_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(u8(ct), &ct_len, u8(secret), secret.size(), u8(ad), ad.size(),
                                               nullptr, u8(nonce), u8(k));
    return nonce + ct;
}

void require_sealable(std::string_view secret, std::string_view key) {
    if (secret.empty()) throw InvalidInput("Secret must be a non-empty string");
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
    if (secret.size() > kMaxSecretBytes) throw InvalidInput("Secret is too long");
}

}  // namespace

std::string derive_key_argon2id(std::string_view key, std::string_view salt, KdfParams params) {
    std::string out(kKey, '\0');
    if (salt.size() != kSalt ||
        crypto_pwhash(u8(out), out.size(), key.data(), key.size(), u8(salt), params.ops,
                      static_cast<std::size_t>(params.mem_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw WatermarkError("watermark key derivation failed (out of memory)");
    return out;
}

std::string derive_key_legacy_blake2b(std::string_view key, std::string_view salt) {
    std::string out(kKey, '\0');
    crypto_generichash_blake2b_salt_personal(u8(out), out.size(), u8(key), key.size(), nullptr, 0, u8(salt),
                                             reinterpret_cast<const unsigned char*>(kPersonal));
    return out;
}

std::string seal_secret(std::string_view secret, std::string_view key) {
    require_sealable(secret, key);
    const std::string params = encode_params(kWatermarkKdf);
    const std::string salt = crypto::random_bytes(kSalt);
    std::string k = derive_key_argon2id(key, salt, kWatermarkKdf);
    // The parameters are bound to the ciphertext as well as to the key.
    std::string body = params + salt + encrypt(secret, std::string(kAdV2) + params, k);
    sodium_memzero(k.data(), k.size());
    body += check_of(body);
    return std::string(kEnvelopeMarker) + crypto::to_hex(body);
}

std::string seal_secret_legacy_v1(std::string_view secret, std::string_view key) {
    require_sealable(secret, key);
    const std::string salt = crypto::random_bytes(kSalt);
    std::string k = derive_key_legacy_blake2b(key, salt);
    std::string body = salt + encrypt(secret, kAdV1, k);
    sodium_memzero(k.data(), k.size());
    body += check_of(body);
    return std::string(kLegacyEnvelopeMarker) + crypto::to_hex(body);
}

EnvelopeReader::EnvelopeReader(std::string_view key) : key_(key) {}

EnvelopeReader::~EnvelopeReader() {
    sodium_memzero(key_.data(), key_.size());
    sodium_memzero(secret_.data(), secret_.size());
    for (auto& [_, k] : derived_) sodium_memzero(k.data(), k.size());
}

void EnvelopeReader::scan(std::string_view text) {
    std::size_t at = 0;
    while (!opened_ && (at = text.find(kEnvelopePrefix, at)) != std::string_view::npos) {
        at += kEnvelopePrefix.size();
        if (at >= text.size() || (text[at] != '1' && text[at] != '2')) continue;
        const char version = text[at++];
        std::size_t end = at;
        while (end < text.size() && end - at < 2 * kMaxBinary && hex_value(text[end]) >= 0) ++end;
        const std::string_view hex = text.substr(at, (end - at) & ~std::size_t{1});
        if (hex.size() < 2 * (version == '1' ? kMinV1 : kMinV2)) continue;
        std::string binary(hex.size() / 2, '\0');
        for (std::size_t i = 0; i < binary.size(); ++i)
            binary[i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
        try_token(binary, version);
        at = end;
    }
}

const std::string* EnvelopeReader::argon2id_key(std::string_view salt, KdfParams params) {
    std::string id = encode_params(params);
    id.append(salt);
    if (const auto it = derived_.find(id); it != derived_.end()) return &it->second;
    if (derived_.size() >= kMaxKdfRunsPerRead) return nullptr;
    return &derived_.emplace(std::move(id), derive_key_argon2id(key_, salt, params)).first->second;
}

void EnvelopeReader::try_token(std::string_view binary, char version) {
    const std::string_view body = binary.substr(0, binary.size() - kCheck);
    if (!crypto::constant_time_equal(check_of(body), binary.substr(body.size()))) return;  // damaged
    std::string_view rest = body;
    std::string ad(kAdV1);
    std::optional<KdfParams> params;
    if (version == '2') {
        params = decode_params(rest.substr(0, kParams));
        // Parameters this build does not derive for: not a token it can open (and no unbounded work).
        if (std::find(std::begin(kAcceptedKdfs), std::end(kAcceptedKdfs), *params) == std::end(kAcceptedKdfs)) return;
        ad = std::string(kAdV2) + std::string(rest.substr(0, kParams));
        rest.remove_prefix(kParams);
    }
    intact_seen_ = true;
    if (!tried_.emplace(binary).second) return;
    const std::string_view salt = rest.substr(0, kSalt);
    std::string legacy_key;
    const std::string* k = &legacy_key;
    if (params) {
        k = argon2id_key(salt, *params);
        if (k == nullptr) return;  // past the derivations one read may run
    } else {
        legacy_key = derive_key_legacy_blake2b(key_, salt);
    }
    const std::string_view nonce = rest.substr(kSalt, kNonce);
    const std::string_view ct = rest.substr(kSalt + kNonce);
    std::string plain(ct.size() - kTag, '\0');
    unsigned long long plain_len = 0;
    const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(u8(plain), &plain_len, nullptr, u8(ct), ct.size(),
                                                              u8(ad), ad.size(), u8(nonce), u8(*k));
    sodium_memzero(legacy_key.data(), legacy_key.size());
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
