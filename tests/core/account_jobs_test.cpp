#include "core/account_jobs.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

using tatou::AccountJobs;

TEST(AccountJobs, AnAccountRunsAtMostItsCapAndOthersAreUnaffected) {
    AccountJobs jobs(2);
    std::vector<AccountJobs::Ticket> held;
    held.push_back(jobs.enter(7));
    held.push_back(jobs.enter(7));
    EXPECT_TRUE(held[0]);
    EXPECT_TRUE(held[1]);
    EXPECT_FALSE(jobs.enter(7));
    EXPECT_EQ(jobs.running(7), 2u);
    EXPECT_TRUE(jobs.enter(8));
    EXPECT_EQ(jobs.running(8), 0u);  // that ticket ended at the end of its statement
}

TEST(AccountJobs, EndingAJobFreesItsPlace) {
    AccountJobs jobs(1);
    {
        auto t = jobs.enter(1);
        ASSERT_TRUE(t);
        EXPECT_FALSE(jobs.enter(1));
        std::optional<AccountJobs::Ticket> moved;
        moved.emplace(std::move(t));
        EXPECT_EQ(jobs.running(1), 1u);  // moving a ticket does not end the job
    }
    EXPECT_EQ(jobs.running(1), 0u);
    EXPECT_TRUE(jobs.enter(1));
}

TEST(AccountJobs, ARefusedTicketReleasesNothing) {
    AccountJobs jobs(1);
    auto t = jobs.enter(3);
    { auto refused = jobs.enter(3); EXPECT_FALSE(refused); }
    EXPECT_EQ(jobs.running(3), 1u);
}
