#include "rmap/payload.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "rmap/rmap_test_keys.hpp"

namespace {

using tatou::rmap::decode_payload;
using tatou::rmap::PayloadFormat;
namespace c = tatou::crypto;

std::string b64(const std::string& s) { return c::base64_encode(s, c::B64::standard); }

// A real encrypted message: the decoder must hand the same bytes (or armor of them) to RNP.
const std::string& message() {
    static const std::string m = tatou::test::server_test_key().pub.encrypt(R"({"nonceServer": 1})");
    return m;
}

TEST(RmapPayload, F4OneLineBase64OfBinary) {
    const auto d = decode_payload(b64(message()));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->format, PayloadFormat::f4_base64_binary);
    EXPECT_EQ(d->message, message());
}

TEST(RmapPayload, F1Base64OfFullArmor) {
    const auto d = decode_payload(b64(tatou::test::armor(message())));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->format, PayloadFormat::f1_base64_armor);
    EXPECT_TRUE(d->message.starts_with("-----BEGIN PGP MESSAGE-----"));
}

TEST(RmapPayload, F2Base64OfArmorBody) {
    const auto d = decode_payload(b64(tatou::test::armor_body(message(), true)));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->format, PayloadFormat::f2_base64_armor_body);
    EXPECT_EQ(d->message, message());
}

TEST(RmapPayload, F3ArmorBodyWithAndWithoutCrc) {
    for (bool crc : {true, false}) {
        const auto d = decode_payload(tatou::test::armor_body(message(), crc));
        ASSERT_TRUE(d) << "crc=" << crc;
        EXPECT_EQ(d->format, PayloadFormat::f3_armor_body);
        EXPECT_EQ(d->message, message());
    }
}

TEST(RmapPayload, F3WithWindowsLineEndings) {
    std::string body = tatou::test::armor_body(message(), true);
    std::string crlf;
    for (char ch : body) {
        if (ch == '\n') crlf += "\r\n";
        else crlf.push_back(ch);
    }
    const auto d = decode_payload(crlf);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->message, message());
}

TEST(RmapPayload, PlainArmorTextIsPassedThrough) {
    const auto d = decode_payload("  " + tatou::test::armor(message()));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->format, PayloadFormat::armored_text);
}

TEST(RmapPayload, RejectsWhatIsNoEncoding) {
    for (const std::string bad : std::vector<std::string>{"", "   ", "ABC@RMAP_SECRET_BASE64_PLACEHOLDER", "not base64 at all!",
                                  "QUJD",                     // base64 of "ABC": text, not an armor body
                                  "AAAA",                     // base64 of zero bytes: not a packet header
                                  "=AAAA", "====", "YWJj\n=", b64("hello world, plain text")}) {
        EXPECT_FALSE(decode_payload(bad)) << bad;
    }
}

TEST(RmapPayload, RejectsOversizedPayloadBeforeDecoding) {
    EXPECT_FALSE(decode_payload(std::string(tatou::rmap::kMaxPayloadChars + 4, 'A')));
}

TEST(RmapPayload, EncodeIsStrictOneLineBase64) {
    const auto text = tatou::rmap::encode_payload(message());
    EXPECT_EQ(text.find('\n'), std::string::npos);
    std::string back;
    ASSERT_TRUE(c::base64_decode(text, c::B64::standard, back));
    EXPECT_EQ(back, message());
}

}  // namespace
