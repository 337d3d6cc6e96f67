#include "obs/json_line.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace tatou::obs;

namespace {

std::string encoded(std::string_view value, std::size_t cap = 1024) {
    std::string out;
    append_json_string(out, value, cap);
    return out;
}

}  // namespace

TEST(JsonLine, EscapesEveryControlCharacterDelAndLineSeparators) {
    std::string all;
    for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
    all += "\x7f\xe2\x80\xa8\xe2\x80\xa9";
    const auto out = encoded(all);
    for (char c : out) EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) << int(c);
    EXPECT_NE(out.find("\\u2028"), std::string::npos);
    EXPECT_NE(out.find("\\u2029"), std::string::npos);
    EXPECT_NE(out.find("\\u007f"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), all);
}

TEST(JsonLine, InvalidUtf8BecomesReplacementCharacters) {
    const std::string bad = "a\xff" "b\xc3(" "\xed\xa0\x80" "\xf0\x9f\x92";  // lone, truncated, surrogate
    const auto out = encoded(bad);
    const auto back = nlohmann::json::parse(out).get<std::string>();
    EXPECT_EQ(back.find('\xff'), std::string::npos);
    EXPECT_NE(back.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
    EXPECT_EQ(encoded("caf\xc3\xa9 \xf0\x9f\x94\x92"), "\"caf\xc3\xa9 \xf0\x9f\x94\x92\"");  // valid UTF-8 kept
}

TEST(JsonLine, CapsLongValuesWithoutSplittingACharacter) {
    EXPECT_EQ(encoded(std::string(5000, 'x'), 256).size(), 258u);
    const auto out = encoded("\xc3\xa9\xc3\xa9", 3);  // the cap falls inside the second character
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), "\xc3\xa9\xef\xbf\xbd");
}

TEST(JsonLine, AHostileValueCannotAddKeysOrLines) {
    JsonLine w;
    w.open("event");
    w.str("action", "authn_login_fail");
    w.close();
    w.str("email", "x\r\n{\"event\":{\"action\":\"authn_login_success\"}}\x1b[31m");
    const auto line = w.finish();
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["event"]["action"], "authn_login_fail");
    EXPECT_EQ(j.size(), 2u);
}
