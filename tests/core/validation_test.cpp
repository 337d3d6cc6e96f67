#include "core/validation.hpp"

#include <gtest/gtest.h>

namespace v = tatou::validation;

TEST(Validation, SecureFilenameMatchesWerkzeug) {
    EXPECT_EQ(v::secure_filename("normal file.pdf"), "normal_file.pdf");
    EXPECT_EQ(v::secure_filename("../../etc/passwd"), "etc_passwd");
    EXPECT_EQ(v::secure_filename(".hidden"), "hidden");
    EXPECT_EQ(v::secure_filename(""), "");
    EXPECT_EQ(v::secure_filename("r\xC3\xA9sum\xC3\xA9 final.pdf"), "resume_final.pdf");
    EXPECT_EQ(v::secure_filename("a\\b/c;rm -rf.pdf"), "a_b_crm_-rf.pdf");
}

TEST(Validation, Email) {
    EXPECT_TRUE(v::valid_email("test@example.com"));
    EXPECT_TRUE(v::valid_email("a.b+c%d@sub.example.org"));
    EXPECT_FALSE(v::valid_email("invalid"));
    EXPECT_FALSE(v::valid_email(""));
    EXPECT_FALSE(v::valid_email("a@b.c"));
    EXPECT_FALSE(v::valid_email("a@b.c0m"));
    EXPECT_FALSE(v::valid_email("a'--@x.com"));
    EXPECT_FALSE(v::valid_email("@x.com"));
}

TEST(Validation, Login) {
    EXPECT_TRUE(v::valid_login("validuser"));
    EXPECT_FALSE(v::valid_login("ab"));
    EXPECT_FALSE(v::valid_login(std::string(51, 'a')));
    EXPECT_TRUE(v::valid_login(std::string(50, 'a')));
    EXPECT_FALSE(v::valid_login("user@name"));
    EXPECT_FALSE(v::valid_login("x' OR 1=1"));
}

TEST(Validation, PasswordPolicyTable) {
    const std::pair<const char*, bool> cases[] = {
        {"StrongPass123", true},   {"weak", false},          {"nouppercase123", true}, {"NOLOWERCASE123", true},
        {"NoDigitsHere", true},    {"onlylowercase", false}, {"ONLYUPPERCASE", false}, {"1234567890", false},
    };
    for (const auto& [pw, ok] : cases) EXPECT_EQ(v::valid_password(pw), ok) << pw;
}

TEST(Validation, ParseIdAcceptsOnlyPositive63BitDecimals) {
    EXPECT_EQ(v::parse_id("5"), 5);
    EXPECT_EQ(v::parse_id("9223372036854775807"), INT64_MAX);
    for (const char* bad : {"", "0", "-1", "abc", "1.5", "99999999999999999999", "9223372036854775808", " 5", "5 ", "+5", "0x10"})
        EXPECT_FALSE(v::parse_id(bad).has_value()) << bad;
}

TEST(Validation, DisplayTextRejectsControlsAndBadUtf8) {
    EXPECT_TRUE(v::valid_display_text("Quarterly report \xC3\xA9t\xC3\xA9", 255));
    EXPECT_FALSE(v::valid_display_text("line\nbreak", 255));
    EXPECT_FALSE(v::valid_display_text(std::string("a\0b", 3), 255));
    EXPECT_FALSE(v::valid_display_text("\xFF\xFE", 255));
    EXPECT_FALSE(v::valid_display_text("sep\xE2\x80\xA8x", 255));
    EXPECT_FALSE(v::valid_display_text(std::string(256, 'a'), 255));
}
