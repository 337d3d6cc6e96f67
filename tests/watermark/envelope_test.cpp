#include "watermark/envelope.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <optional>

#include "core/crypto.hpp"
#include "watermark/method.hpp"

using namespace tatou::watermark;
namespace crypto = tatou::crypto;

namespace {

std::string open_in(std::string_view text, std::string_view key) {
    EnvelopeReader reader(key);
    reader.scan(text);
    return reader.result("none");
}

}  // namespace

TEST(Envelope, RoundTripInsideSurroundingText) {
    const auto token = seal_secret("who leaked", "k1");
    EXPECT_EQ(token.substr(0, 4), kEnvelopeMarker);
    EXPECT_EQ(open_in("garbage (" + token + ") more", "k1"), "who leaked");
}

TEST(Envelope, EverySealIsFreshAndHidesTheSecret) {
    const auto a = seal_secret("who leaked", "k1");
    const auto b = seal_secret("who leaked", "k1");
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find("who leaked"), std::string::npos);
}

TEST(Envelope, WrongKeyIsReportedAsSuch) {
    const auto token = seal_secret("s", "right");
    EXPECT_THROW(open_in(token, "wrong"), InvalidKey);
}

TEST(Envelope, DamagedOrAbsentTokenIsNotFound) {
    auto token = seal_secret("s", "k");
    token[token.size() / 2] = token[token.size() / 2] == 'a' ? 'b' : 'a';
    EXPECT_THROW(open_in(token, "k"), SecretNotFound);
    EXPECT_THROW(open_in("no token here TWM1abc", "k"), SecretNotFound);
    EXPECT_THROW(open_in("", "k"), SecretNotFound);
}

TEST(Envelope, AnyIntactCopyIsEnough) {
    auto damaged = seal_secret("s", "k");
    damaged[10] = damaged[10] == 'f' ? '0' : 'f';
    const auto good = seal_secret("s", "k");
    EXPECT_EQ(open_in(damaged + " " + good, "k"), "s");
}

TEST(Envelope, TokenForAnotherKeyDoesNotHideTheRightOne) {
    const auto other = seal_secret("other", "k2");
    const auto mine = seal_secret("mine", "k1");
    EXPECT_EQ(open_in(other + " " + mine, "k1"), "mine");
}

TEST(Envelope, RefusesEmptyOrOversizedInput) {
    EXPECT_THROW(seal_secret("", "k"), InvalidInput);
    EXPECT_THROW(seal_secret("s", ""), InvalidInput);
    EXPECT_THROW(seal_secret(std::string(kMaxSecretBytes + 1, 'x'), "k"), InvalidInput);
    EXPECT_EQ(open_in(seal_secret(std::string(kMaxSecretBytes, 'x'), "k"), "k"), std::string(kMaxSecretBytes, 'x'));
}

// ---- Auth class 7 (issue 14): offline guessing of a weak key against a leaked copy.
//
// The attack: a copy leaks, the token in it holds salt and ciphertext; every guess of the owner's
// key costs one derivation. Before TWM2 that was one BLAKE2b call (hash speed, bench/RESULTS.md).
// These tests re-derive the key outside the code under test, with libsodium's crypto_pwhash and
// the documented parameters, and require that exactly that key opens a new token.

namespace {

std::string unhex(std::string_view hex) {
    std::string out(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
    return out;
}

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Opens a TWM2 body with `key32` the way an attacker with the format would; nullopt = tag fails.
std::optional<std::string> open_v2(std::string_view body, std::string_view key32) {
    const std::string_view params = body.substr(0, 8);
    const std::string_view nonce = body.substr(8 + 16, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const std::string_view ct = body.substr(8 + 16 + nonce.size(), body.size() - 8 - 16 - nonce.size() - 8);
    const std::string ad = std::string("tatou-wm/v2") + std::string(params);
    std::string plain(ct.size(), '\0');
    unsigned long long n = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &n, nullptr,
                                                   u8(ct), ct.size(), u8(ad), ad.size(), u8(nonce), u8(key32)) != 0)
        return std::nullopt;
    plain.resize(n);
    return plain;
}

}  // namespace

TEST(Envelope, NewTokensDeriveTheirKeyWithArgon2idAtTheDocumentedCost) {
    // docs/architecture.md "Watermark keys": Argon2id v1.3, 2 passes, 19456 KiB, 16-byte salt.
    EXPECT_EQ(kWatermarkKdf.ops, 2u);
    EXPECT_EQ(kWatermarkKdf.mem_kib, 19456u);
    const std::string token = seal_secret("who leaked", "weak");
    ASSERT_EQ(token.substr(0, 4), "TWM2");
    const std::string body = unhex(token.substr(4));
    // The parameters are in the token, big-endian: what a reader of this copy will derive with.
    EXPECT_EQ(crypto::to_hex(body.substr(0, 8)), "0000000200004c00");
    const std::string salt = body.substr(8, crypto_pwhash_SALTBYTES);
    std::string argon(32, '\0');
    ASSERT_EQ(crypto_pwhash(reinterpret_cast<unsigned char*>(argon.data()), argon.size(), "weak", 4, u8(salt), 2,
                            19456u * 1024, crypto_pwhash_ALG_ARGON2ID13),
              0);
    EXPECT_EQ(open_v2(body, argon).value_or("<tag failed>"), "who leaked");
    // The hash-speed derivation of TWM1 does not open it, nor Argon2id at other costs.
    EXPECT_FALSE(open_v2(body, derive_key_legacy_blake2b("weak", salt)).has_value());
    EXPECT_FALSE(open_v2(body, derive_key_argon2id("weak", salt, {1, 19456})).has_value());
    EXPECT_FALSE(open_v2(body, derive_key_argon2id("weak", salt, {2, 8192})).has_value());
    // And the reader agrees.
    EXPECT_EQ(open_in(token, "weak"), "who leaked");
    EXPECT_THROW(open_in(token, "weak2"), InvalidKey);
}

TEST(Envelope, VersionsMadeBeforeArgon2idStayReadable) {
    // A TWM1 token written by the release before TWM2 (fuzz/corpus/pdf_read/tatou-pieceinfo.pdf,
    // key "fuzz-key"): its copies keep their BLAKE2b derivation, recorded by the marker.
    const std::string old_token =
        "TWM13796e06b46c391bf6f0d72b3a74b33e20f57cda2c4d6708270fd50e5779abaee2732b95958870e6f19c95ca0c9f"
        "0e41d1ee23fbbf222fc0c2fe68a679dfc1898d6370a7b";
    EXPECT_EQ(open_in("q " + old_token + " Q", "fuzz-key"), "seed");
    EXPECT_THROW(open_in(old_token, "fuzz-kez"), InvalidKey);
    const std::string v1 = seal_secret_legacy_v1("older copy", "k");
    EXPECT_EQ(v1.substr(0, 4), kLegacyEnvelopeMarker);
    EXPECT_EQ(open_in(v1, "k"), "older copy");
    // Old and new copies side by side: each opens with its own derivation.
    EXPECT_EQ(open_in(v1 + " " + seal_secret("newer copy", "k2"), "k2"), "newer copy");
}

TEST(Envelope, UnknownKdfParametersAreNotDerivedFor) {
    // A hostile token asking for 4 GiB and 2^32-1 passes: the reader must not run that.
    std::string body = unhex(seal_secret("s", "k").substr(4));
    body.replace(0, 8, std::string("\xff\xff\xff\xff\x00\x40\x00\x00", 8));
    body.resize(body.size() - 8);
    std::string check(8, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(check.data()), 8, u8(body), body.size(), nullptr, 0);
    const std::string forged = "TWM2" + crypto::to_hex(body + check);
    EXPECT_THROW(open_in(forged, "k"), SecretNotFound);
}

TEST(Envelope, OneReadRunsABoundedNumberOfDerivations) {
    // Many distinct intact tokens (each its own salt) for other keys, the right one last: the
    // reader stops deriving after kMaxKdfRunsPerRead salts, so one read is bounded work.
    std::string text;
    for (std::size_t i = 0; i < kMaxKdfRunsPerRead; ++i) text += seal_secret("decoy", "other-" + std::to_string(i)) + " ";
    const std::string mine = seal_secret("mine", "k");
    EXPECT_THROW(open_in(text + mine, "k"), InvalidKey);
    EXPECT_EQ(open_in(mine + " " + text, "k"), "mine");
    // Copies of one watermark share a salt: a hundred of them cost one derivation and open.
    std::string copies;
    for (int i = 0; i < 100; ++i) copies += mine + " ";
    EXPECT_EQ(open_in(copies, "k"), "mine");
}
