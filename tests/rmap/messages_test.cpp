#include "rmap/messages.hpp"

#include <gtest/gtest.h>

#include "rmap/openpgp.hpp"

namespace {

namespace r = tatou::rmap;

TEST(RmapMessages, Msg1AsRmapClientsWriteIt) {
    const auto m = r::parse_msg1(R"({"identity": "Group_05", "nonceClient": 18446744073709551615})");
    EXPECT_EQ(m.identity, "Group_05");
    EXPECT_EQ(m.nonce_client, UINT64_MAX);
    // Sorted compact keys (RMAP-Server v2) and extra fields parse the same.
    EXPECT_EQ(r::parse_msg1(R"({"extra":[1],"identity":"x","nonceClient":7})").nonce_client, 7u);
}

TEST(RmapMessages, Msg1Refusals) {
    for (const std::string bad : {
             R"({"identity": "x"})", R"({"nonceClient": 1})", R"({"identity": 5, "nonceClient": 1})",
             R"({"identity": "", "nonceClient": 1})", R"({"identity": "x", "nonceClient": 1.0})",
             R"({"identity": "x", "nonceClient": -3})", R"({"identity": "x", "nonceClient": true})",
             R"({"identity": "x", "nonceClient": "1"})", R"({"identity": "x", "nonceClient": 18446744073709551616})",
             R"([1, 2])", R"("text")", "", "{", "\xff\xfe", R"({"identity": "\xff", "nonceClient": 1})",
             R"({"identity": "x", "nonceClient": 1, "deep": [[[[[[1]]]]]]})"}) {
        EXPECT_THROW(r::parse_msg1(bad), r::MessageError) << bad;
    }
    EXPECT_THROW(r::parse_msg1(R"({"identity": ")" + std::string(200, 'a') + R"(", "nonceClient": 1})"),
                 r::MessageError);
}

TEST(RmapMessages, Msg2AndResponses) {
    EXPECT_EQ(r::parse_msg2(R"({"nonceServer": 9223372036854775809})").nonce_server, 9223372036854775809ull);
    EXPECT_THROW(r::parse_msg2(R"({"nonceClient": 1})"), r::MessageError);
    const auto resp1 = r::parse_resp1(r::resp1_json({UINT64_MAX, 42}));
    EXPECT_EQ(resp1.nonce_client, UINT64_MAX);
    EXPECT_EQ(resp1.nonce_server, 42u);
    EXPECT_EQ(r::resp2_json("00ff"), R"({"result": "00ff"})");
    EXPECT_EQ(r::parse_resp2(R"({"link": "abc"})"), "abc");
    EXPECT_EQ(r::parse_resp2(R"({"result": "r", "link": "l"})"), "r");
}

TEST(RmapMessages, WrittenAsPythonJsonDumps) {
    EXPECT_EQ(r::msg1_json({"Server", 1234567890123456789ull}),
              R"({"identity": "Server", "nonceClient": 1234567890123456789})");
    EXPECT_EQ(r::msg2_json({UINT64_MAX}), R"({"nonceServer": 18446744073709551615})");
}

}  // namespace
