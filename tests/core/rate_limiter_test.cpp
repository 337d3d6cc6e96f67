#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

using namespace tatou;
using namespace std::chrono_literals;

TEST(RateLimiter, AllowsTheBudgetPerKeyThenRefusesWithRetryAfter) {
    RateLimiter limiter(RateLimit{3, 60s});
    const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.acquire("a", t0).allowed);
    const auto refused = limiter.acquire("a", t0 + 10s);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_s, 51);
    EXPECT_TRUE(limiter.acquire("b", t0).allowed);  // other keys have their own budget
    // Refusals are not counted: the window frees up when the first events age out.
    EXPECT_TRUE(limiter.acquire("a", t0 + 60s).allowed);
}

TEST(RateLimiter, ZeroDisablesAndReleaseGivesBack) {
    RateLimiter off(RateLimit{0, 60s});
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.acquire("a").allowed);
    RateLimiter one(RateLimit{1, 60s});
    EXPECT_TRUE(one.acquire("a").allowed);
    one.release("a");
    EXPECT_TRUE(one.acquire("a").allowed);
    EXPECT_FALSE(one.acquire("a").allowed);
}

TEST(RateLimiter, MemoryStaysBoundedUnderASprayOfKeys) {
    RateLimiter limiter(RateLimit{1, 60s}, 100);
    const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
    for (int i = 0; i < 10000; ++i) EXPECT_TRUE(limiter.acquire("k" + std::to_string(i), t0).allowed);
}
