#include "rmap/openpgp.hpp"

#include <gtest/gtest.h>

#include "rmap/rmap_test_keys.hpp"

namespace {

namespace r = tatou::rmap;
using tatou::test::other_test_key;
using tatou::test::server_test_key;

// Packet tags at the start of a binary message, old or new format header.
int first_packet_tag(const std::string& msg) {
    const auto b = static_cast<unsigned char>(msg.at(0));
    return (b & 0x40) ? (b & 0x3F) : ((b >> 2) & 0x0F);
}

TEST(RmapOpenPgp, EncryptDecryptRoundTrip) {
    const auto msg = server_test_key().pub.encrypt(R"({"a": 1})");
    EXPECT_EQ(first_packet_tag(msg), 1);  // PKESK first: the recipient key id is visible
    EXPECT_EQ(server_test_key().secret.decrypt(msg, 4096), R"({"a": 1})");
    // Armored input works as well.
    EXPECT_EQ(server_test_key().secret.decrypt(tatou::test::armor(msg), 4096), R"({"a": 1})");
}

TEST(RmapOpenPgp, OutputHasSeipdWithMdcNeverAead) {
    const auto msg = server_test_key().pub.encrypt("x");
    // Walk the top-level packets: PKESK (1) then SEIPD (18) version 1; never AEAD (20).
    std::size_t pos = 0;
    std::vector<int> tags;
    while (pos < msg.size()) {
        const auto b = static_cast<unsigned char>(msg[pos]);
        ASSERT_TRUE(b & 0x80);
        std::size_t len = 0, header = 0;
        int tag = 0;
        if (b & 0x40) {  // new format
            tag = b & 0x3F;
            const auto l0 = static_cast<unsigned char>(msg[pos + 1]);
            if (l0 < 192) { len = l0; header = 2; }
            else if (l0 < 224) { len = ((l0 - 192) << 8) + static_cast<unsigned char>(msg[pos + 2]) + 192; header = 3; }
            else { ASSERT_EQ(l0, 255) << "partial lengths not expected for a tiny message";
                   len = (std::size_t(static_cast<unsigned char>(msg[pos + 2])) << 24) |
                         (std::size_t(static_cast<unsigned char>(msg[pos + 3])) << 16) |
                         (std::size_t(static_cast<unsigned char>(msg[pos + 4])) << 8) |
                         std::size_t(static_cast<unsigned char>(msg[pos + 5]));
                   header = 6; }
        } else {
            tag = (b >> 2) & 0x0F;
            const int lt = b & 3;
            ASSERT_NE(lt, 3);
            const std::size_t n = lt == 0 ? 1 : lt == 1 ? 2 : 4;
            for (std::size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(msg[pos + 1 + i]);
            header = 1 + n;
        }
        tags.push_back(tag);
        if (tag == 18) EXPECT_EQ(static_cast<unsigned char>(msg[pos + header]), 1) << "SEIPD v1";
        pos += header + len;
    }
    EXPECT_EQ(tags, (std::vector<int>{1, 18}));
}

TEST(RmapOpenPgp, RefusesMessagesForOtherKeysAndGarbage) {
    const auto for_other = other_test_key().pub.encrypt("secret");
    EXPECT_THROW(server_test_key().secret.decrypt(for_other, 4096), r::MessageError);
    for (const std::string bad : {std::string(""), std::string("garbage"), std::string("\x85\x01\x02", 3),
                                  std::string(300, '\xff')})
        EXPECT_THROW(server_test_key().secret.decrypt(bad, 4096), r::MessageError);
}

TEST(RmapOpenPgp, PlaintextLimitIsEnforced) {
    const auto msg = server_test_key().pub.encrypt(std::string(5000, 'a'));
    EXPECT_THROW(server_test_key().secret.decrypt(msg, 4096), r::MessageError);
}

TEST(RmapOpenPgp, KeyInfoAndExport) {
    const auto& info = server_test_key().secret.info();
    EXPECT_EQ(info.fingerprint.size(), 40u);
    EXPECT_EQ(info.algorithm, "EDDSA");
    EXPECT_EQ(info.user_id, "server <server@test.invalid>");
    const auto pub = r::PublicKey::from_data(server_test_key().pub.armored());
    EXPECT_EQ(pub.info().fingerprint, info.fingerprint);
    EXPECT_EQ(pub.armored().find("PRIVATE"), std::string::npos);
}

TEST(RmapOpenPgp, PublicKeyFromSecretKeyFileKeepsOnlyThePublicHalf) {
    const auto pub = r::PublicKey::from_data(server_test_key().generated.secret_armored);
    EXPECT_EQ(pub.info().fingerprint, server_test_key().secret.info().fingerprint);
    EXPECT_EQ(pub.armored().find("PRIVATE"), std::string::npos);
}

TEST(RmapOpenPgp, BadKeyFilesAreKeyErrors) {
    EXPECT_THROW(r::PublicKey::from_data(""), r::KeyError);
    EXPECT_THROW(r::PublicKey::from_data("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"),
                 r::KeyError);
    EXPECT_THROW(r::PublicKey::from_data("hello"), r::KeyError);
    EXPECT_THROW(r::SecretKey::from_data(server_test_key().generated.public_armored, ""), r::KeyError);
    // Two keys in one file: ambiguous.
    EXPECT_THROW(r::PublicKey::from_data(server_test_key().generated.public_armored +
                                         other_test_key().generated.public_armored),
                 r::KeyError);
}

TEST(RmapOpenPgp, ProtectedKeyNeedsTheRightPassphrase) {
    const auto gen = r::generate_key(r::KeyKind::curve25519, 0, "p <p@test.invalid>", "correct horse");
    EXPECT_NE(gen.secret_armored.find("PRIVATE KEY"), std::string::npos);
    EXPECT_THROW(r::SecretKey::from_data(gen.secret_armored, ""), r::KeyError);
    EXPECT_THROW(r::SecretKey::from_data(gen.secret_armored, "wrong"), r::KeyError);
    const auto key = r::SecretKey::from_data(gen.secret_armored, "correct horse");
    EXPECT_EQ(key.decrypt(key.public_key().encrypt("hi"), 64), "hi");
}

TEST(RmapOpenPgp, RsaKeysWork) {
    const auto gen = r::generate_key(r::KeyKind::rsa, 2048, "rsa <rsa@test.invalid>", "");
    const auto key = r::SecretKey::from_data(gen.secret_armored, "");
    EXPECT_EQ(key.info().algorithm, "RSA");
    EXPECT_EQ(key.info().bits, 2048u);
    EXPECT_EQ(key.decrypt(r::PublicKey::from_data(gen.public_armored).encrypt("rsa"), 64), "rsa");
    EXPECT_THROW(r::generate_key(r::KeyKind::rsa, 1024, "weak", ""), r::KeyError);
}

}  // namespace
