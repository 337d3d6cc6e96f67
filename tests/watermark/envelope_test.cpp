#include "watermark/envelope.hpp"

#include <gtest/gtest.h>

#include "watermark/method.hpp"

using namespace tatou::watermark;

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
