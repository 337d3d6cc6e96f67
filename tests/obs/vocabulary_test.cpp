#include "obs/vocabulary.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

using namespace tatou::obs;

TEST(Vocabulary, NamesFollowTheOwaspStyleAndAreUnique) {
    const std::regex style("^[a-z]+(_[a-z0-9]+)+$");
    std::set<std::string_view> seen;
    ASSERT_GT(all_actions().size(), 30u);
    for (const auto& s : all_actions()) {
        EXPECT_TRUE(std::regex_match(std::string(s.name), style)) << s.name;
        EXPECT_TRUE(seen.insert(s.name).second) << "duplicate " << s.name;
        EXPECT_FALSE(s.category.empty()) << s.name;
        EXPECT_FALSE(s.type.empty()) << s.name;
        EXPECT_EQ(&spec(s.action), &s);
    }
}

TEST(Vocabulary, LevelsMapToOtelSeverities) {
    EXPECT_EQ(spec(Action::authz_fail).level, Level::critical);
    EXPECT_EQ(otel_severity(Level::critical), 21);
    EXPECT_EQ(level_name(spec(Action::authn_login_fail).level), "WARN");
    EXPECT_TRUE(spec(Action::authn_token_invalid).custom);
    EXPECT_FALSE(spec(Action::authn_login_fail).custom);
}

TEST(Vocabulary, EveryReasonHasAName) {
    for (int r = static_cast<int>(tatou::Reason::bad_credentials); r <= static_cast<int>(tatou::Reason::internal); ++r)
        EXPECT_FALSE(reason_name(static_cast<tatou::Reason>(r)).empty()) << r;
}
