#include "http/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

using tatou::http::WorkerPool;

TEST(WorkerPool, RefusesBeyondTheQueueBound) {
    WorkerPool pool(1, 2);
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::promise<void> started;
    ASSERT_TRUE(pool.try_post([&] { started.set_value(); gate.wait(); }));
    started.get_future().wait();  // the only worker is busy now
    std::atomic<int> ran{0};
    EXPECT_TRUE(pool.try_post([&] { ++ran; }));
    EXPECT_TRUE(pool.try_post([&] { ++ran; }));
    EXPECT_FALSE(pool.try_post([&] { ++ran; }));
    release.set_value();
    pool.drain_and_stop();
    EXPECT_EQ(ran.load(), 2);
    EXPECT_FALSE(pool.try_post([] {}));
}
