// The shape check in front of every private-key operation (issue 20 class 2): hostile shapes are
// refused on headers alone, and librnp is allowed at most one private-key operation per message.
#include "rmap/packets.hpp"

#include <gtest/gtest.h>

#include "rmap/openpgp.hpp"
#include "rmap_test_keys.hpp"

using namespace tatou;
using namespace tatou::rmap;

namespace {

// Length of the first packet (header included), old or new format, definite lengths only.
std::size_t first_packet_size(const std::string& m, std::size_t* header = nullptr) {
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(m.at(i)); };
    std::size_t h = 0, len = 0;
    if (b(0) & 0x40) {
        if (b(1) < 192) h = 2, len = b(1);
        else if (b(1) < 224) h = 3, len = ((b(1) - 192u) << 8) + b(2) + 192u;
        else h = 6, len = (std::size_t{b(2)} << 24) | (b(3) << 16) | (b(4) << 8) | b(5);
    } else {
        switch (b(0) & 3) {
            case 0: h = 2, len = b(1); break;
            case 1: h = 3, len = (b(1) << 8) | b(2); break;
            default: h = 5, len = (std::size_t{b(1)} << 24) | (b(2) << 16) | (b(3) << 8) | b(4); break;
        }
    }
    if (header) *header = h;
    return h + len;
}

std::string message_for_server(const std::string& text = "{\"nonceServer\": 1}") {
    return test::server_test_key().pub.encrypt(text);
}

}  // namespace

TEST(RmapPackets, LegitimateMessageAndArmorPass) {
    const auto& key = test::server_test_key();
    const std::string m = message_for_server();
    EXPECT_EQ(key.secret.decrypt(m, 4096), "{\"nonceServer\": 1}");
    EXPECT_EQ(key.secret.decrypt(test::armor(m), 4096), "{\"nonceServer\": 1}");
}

TEST(RmapPackets, ManyKeyPacketsAreRefusedWithoutAnyPrivateKeyOperation) {
    const auto& key = test::server_test_key();
    const std::string m = message_for_server();
    const std::size_t pkesk = first_packet_size(m);
    std::string hostile;
    for (int i = 0; i < 40; ++i) hostile += m.substr(0, pkesk);
    hostile += m.substr(pkesk);
    const auto before = private_key_operations();
    EXPECT_THROW(key.secret.decrypt(hostile, 4096), MessageError);
    // Two key packets for us: refused too (one is all a client ever sends for the server).
    EXPECT_THROW(key.secret.decrypt(m.substr(0, pkesk) + m, 4096), MessageError);
    EXPECT_EQ(private_key_operations(), before);
}

TEST(RmapPackets, HiddenRecipientAndForeignKeysAreRefusedBeforeDecryption) {
    const auto& key = test::server_test_key();
    std::string m = message_for_server();
    std::size_t header = 0;
    first_packet_size(m, &header);
    std::string hidden = m;
    for (std::size_t i = 0; i < 8; ++i) hidden[header + 1 + i] = '\0';
    // Made before counting: generating the other key pair is private-key work of its own.
    const std::string foreign = test::other_test_key().pub.encrypt("x");
    const auto before = private_key_operations();
    EXPECT_THROW(key.secret.decrypt(hidden, 4096), MessageError);
    EXPECT_THROW(key.secret.decrypt(foreign, 4096), MessageError);
    EXPECT_EQ(private_key_operations(), before);
}

TEST(RmapPackets, GrammarLimits) {
    const std::vector<KeyId> ours{key_id_from_hex("0123456789ABCDEF")};
    // Not a packet, truncated, literal data at the top, trailing bytes, no data packet.
    EXPECT_THROW(check_message_shape(std::string("\x01\x02", 2), ours), MessageError);
    EXPECT_THROW(check_message_shape(std::string("\xc1\x20\x03", 3), ours), MessageError);
    EXPECT_THROW(check_message_shape(std::string("\xcb\x01\x62", 3), ours), MessageError);
    std::string pkesk("\xc1\x0c\x03\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x00\x00", 14);
    std::string seipd("\xd2\x02\x01\x00", 4);
    EXPECT_NO_THROW(check_message_shape(pkesk + seipd, ours));
    EXPECT_THROW(check_message_shape(pkesk, ours), MessageError);
    EXPECT_THROW(check_message_shape(pkesk + seipd + seipd, ours), MessageError);
    EXPECT_THROW(check_message_shape(seipd, ours), MessageError);
    // A key packet for someone else beside ours is fine (gpg's encrypt-to-self); without ours not.
    std::string theirs = pkesk;
    theirs[3] = '\x02';
    EXPECT_NO_THROW(check_message_shape(theirs + pkesk + seipd, ours));
    EXPECT_THROW(check_message_shape(theirs + seipd, ours), MessageError);
    // Partial lengths: only on the data packet, and a bounded number of chunks.
    std::string partial("\xd2\xe0\x01", 3);  // 1-byte chunks
    for (int i = 0; i < 100; ++i) partial += std::string("\xe0\x00", 2);
    partial += std::string("\x01\x00", 2);
    EXPECT_THROW(check_message_shape(pkesk + partial, ours), MessageError);
    EXPECT_THROW(check_message_shape(std::string("\xc1\xe0\x03", 3) + seipd, ours), MessageError);
}
