#include "core/crypto.hpp"

#include <gtest/gtest.h>

namespace c = tatou::crypto;

TEST(Crypto, Sha256KnownVector) {
    c::init();
    EXPECT_EQ(c::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    c::Sha256Stream s;
    s.update("a");
    s.update("bc");
    EXPECT_EQ(s.hex_digest(), c::sha256_hex("abc"));
}

TEST(Crypto, HmacSha256Rfc4231Case2) {
    EXPECT_EQ(c::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Base64RoundTripAndStrictness) {
    std::string out;
    EXPECT_EQ(c::base64_encode("unit-test-secret", c::B64::standard), "dW5pdC10ZXN0LXNlY3JldA==");
    ASSERT_TRUE(c::base64_decode("dW5pdC10ZXN0LXNlY3JldA==", c::B64::standard, out));
    EXPECT_EQ(out, "unit-test-secret");
    EXPECT_FALSE(c::base64_decode("dW5pd C10", c::B64::standard, out));
    EXPECT_FALSE(c::base64_decode("@@@@", c::B64::standard, out));
    EXPECT_EQ(c::base64_encode("\xfb\xff", c::B64::url_safe), "-_8=");
}

TEST(Crypto, RandomHexIsFreshAndSized) {
    const auto a = c::random_hex(32), b = c::random_hex(32);
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
    EXPECT_TRUE(c::constant_time_equal(a, a));
    EXPECT_FALSE(c::constant_time_equal(a, b));
    EXPECT_FALSE(c::constant_time_equal("a", "ab"));
}
