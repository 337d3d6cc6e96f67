#include "rmap/rmap_test_keys.hpp"

#include <cstdint>

#include "core/crypto.hpp"

namespace tatou::test {
namespace {

TestKeyPair make_pair(const std::string& uid) {
    auto generated = rmap::generate_key(rmap::KeyKind::curve25519, 0, uid, "");
    auto secret = rmap::SecretKey::from_data(generated.secret_armored, "");
    auto pub = rmap::PublicKey::from_data(generated.public_armored);
    return TestKeyPair{std::move(generated), std::move(secret), std::move(pub)};
}

std::uint32_t crc24(const std::string& data) {
    std::uint32_t crc = 0xB704CEu;
    for (unsigned char c : data) {
        crc ^= static_cast<std::uint32_t>(c) << 16;
        for (int i = 0; i < 8; ++i) {
            crc <<= 1;
            if (crc & 0x1000000u) crc ^= 0x1864CFBu;
        }
    }
    return crc & 0xFFFFFFu;
}

}  // namespace

const TestKeyPair& server_test_key() {
    static const TestKeyPair pair = make_pair("server <server@test.invalid>");
    return pair;
}

const TestKeyPair& other_test_key() {
    static const TestKeyPair pair = make_pair("other <other@test.invalid>");
    return pair;
}

std::string armor_body(const std::string& binary, bool with_crc) {
    const std::string b64 = crypto::base64_encode(binary, crypto::B64::standard);
    std::string out;
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    if (with_crc) {
        const std::uint32_t crc = crc24(binary);
        std::string raw;
        raw.push_back(static_cast<char>((crc >> 16) & 0xFF));
        raw.push_back(static_cast<char>((crc >> 8) & 0xFF));
        raw.push_back(static_cast<char>(crc & 0xFF));
        out += "=" + crypto::base64_encode(raw, crypto::B64::standard) + "\n";
    }
    return out;
}

std::string armor(const std::string& binary) {
    return "-----BEGIN PGP MESSAGE-----\n\n" + armor_body(binary, true) + "-----END PGP MESSAGE-----\n";
}

}  // namespace tatou::test
