#include "rmap/nonce.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using tatou::rmap::exact_u64;

std::optional<std::uint64_t> from_text(const std::string& number) {
    return exact_u64(json::parse("{\"n\": " + number + "}").at("n"));
}

TEST(RmapNonce, AcceptsTheWholeUnsignedRangeExactly) {
    EXPECT_EQ(from_text("0"), 0u);
    EXPECT_EQ(from_text("54891657"), 54891657u);
    EXPECT_EQ(from_text("9007199254740993"), 9007199254740993ull);  // 2^53 + 1: a double rounds it
    EXPECT_EQ(from_text("9223372036854775808"), 9223372036854775808ull);  // 2^63
    EXPECT_EQ(from_text("18446744073709551615"), 18446744073709551615ull);  // 2^64 - 1
}

TEST(RmapNonce, RefusesEverythingElse) {
    for (const std::string bad : {"18446744073709551616", "99999999999999999999999", "-1", "-0", "1.0", "1e3",
                                  "0.5", "true", "false", "null", "\"5\"", "[5]", "{}"}) {
        EXPECT_FALSE(from_text(bad)) << bad;
    }
}

TEST(RmapNonce, HexAndResult) {
    using tatou::rmap::format_result;
    EXPECT_EQ(format_result(54891657, 987612354), "0000000003459489000000003addc4c2");
    EXPECT_EQ(format_result(UINT64_MAX, 0), "ffffffffffffffff0000000000000000");
    EXPECT_EQ(tatou::rmap::parse_hex16("000000003addc4c2"), 987612354u);
    EXPECT_EQ(tatou::rmap::parse_hex16("ffffffffffffffff"), UINT64_MAX);
    for (const std::string bad : {"", "3addc4c2", "000000003ADDC4C2", "000000003addc4c2 ", "g00000003addc4c2"})
        EXPECT_FALSE(tatou::rmap::parse_hex16(bad)) << bad;
}

}  // namespace
