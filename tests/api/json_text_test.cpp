#include "api/json_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

TEST(JsonText, StringsRoundTripThroughAParser) {
    for (const std::string s : {std::string("plain"), std::string("quote \" back\\slash"), std::string("tab\tnl\nnul\0x", 13),
                                std::string("\x01\x1f"), std::string("caf\xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80"),
                                std::string("</script><img src=x onerror=alert(1)>")}) {
        std::string out;
        tatou::api::append_json_string(out, s);
        EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), s) << out;
    }
    std::string n;
    tatou::api::append_json_int(n, -9223372036854775807LL);
    EXPECT_EQ(nlohmann::json::parse(n).get<std::int64_t>(), -9223372036854775807LL);
}
