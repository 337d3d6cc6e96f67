#include "core/login_throttle.hpp"

#include <gtest/gtest.h>

using tatou::LoginThrottle;
using tatou::ThrottlePolicy;
using namespace std::chrono_literals;

TEST(LoginThrottle, FiveFailuresThenRefusedUntilWindowPasses) {
    LoginThrottle t(ThrottlePolicy{5, 100, 60s});
    const auto t0 = LoginThrottle::Clock::now();
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(t.check("1.2.3.4", "a@b.com", t0).allowed);
        EXPECT_EQ(t.record_failure("1.2.3.4", "a@b.com", t0).remaining, 4 - i);
    }
    const auto refused = t.check("1.2.3.4", "a@b.com", t0 + 1s);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_GE(refused.retry_after_s, 59);
    EXPECT_LE(refused.retry_after_s, 61);
    EXPECT_TRUE(t.check("1.2.3.4", "other@b.com", t0 + 1s).allowed);   // other email
    EXPECT_TRUE(t.check("5.6.7.8", "a@b.com", t0 + 1s).allowed);       // other IP
    EXPECT_TRUE(t.check("1.2.3.4", "a@b.com", t0 + 61s).allowed);      // window passed
}

TEST(LoginThrottle, PerIpLimitAcrossEmails) {
    LoginThrottle t(ThrottlePolicy{5, 3, 60s});
    const auto t0 = LoginThrottle::Clock::now();
    t.record_failure("9.9.9.9", "a@x.com", t0);
    t.record_failure("9.9.9.9", "b@x.com", t0);
    EXPECT_TRUE(t.check("9.9.9.9", "c@x.com", t0).allowed);
    t.record_failure("9.9.9.9", "c@x.com", t0);
    EXPECT_FALSE(t.check("9.9.9.9", "d@x.com", t0).allowed);
}

TEST(LoginThrottle, SuccessResetsThePairOnly) {
    LoginThrottle t(ThrottlePolicy{2, 3, 60s});
    const auto t0 = LoginThrottle::Clock::now();
    t.record_failure("1.1.1.1", "a@x.com", t0);
    t.record_failure("1.1.1.1", "a@x.com", t0);
    EXPECT_FALSE(t.check("1.1.1.1", "a@x.com", t0).allowed);
    t.record_success("1.1.1.1", "a@x.com");
    EXPECT_TRUE(t.check("1.1.1.1", "a@x.com", t0).allowed);
    t.record_failure("1.1.1.1", "b@x.com", t0);
    EXPECT_FALSE(t.check("1.1.1.1", "z@x.com", t0).allowed);  // 3 failures from the IP remain counted
}
