#include "http/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <vector>

using tatou::http::PoolLimits;
using tatou::http::Posted;
using tatou::http::WorkerPool;

namespace {

// A job that holds its thread until the gate opens, and says when it started.
struct Gate {
    std::promise<void> release;
    std::shared_future<void> opened = release.get_future().share();
    std::function<void()> hold(std::promise<void>& started) {
        auto f = opened;
        return [&started, f] {
            started.set_value();
            f.wait();
        };
    }
};

}  // namespace

TEST(WorkerPool, RefusesBeyondTheQueueBound) {
    WorkerPool pool(PoolLimits{1, 2});
    Gate gate;
    std::promise<void> started;
    ASSERT_EQ(pool.try_post("a", gate.hold(started)), Posted::queued);
    started.get_future().wait();  // the only worker is busy now
    std::atomic<int> ran{0};
    EXPECT_EQ(pool.try_post("b", [&] { ++ran; }), Posted::queued);
    EXPECT_EQ(pool.try_post("c", [&] { ++ran; }), Posted::queued);
    EXPECT_EQ(pool.try_post("d", [&] { ++ran; }), Posted::pool_full);
    gate.release.set_value();
    pool.drain_and_stop();
    EXPECT_EQ(ran.load(), 2);
    EXPECT_EQ(pool.try_post("a", [] {}), Posted::pool_full);
}

TEST(WorkerPool, OneKeyCannotHoldEveryThread) {
    WorkerPool pool(PoolLimits{2, 16, 1, 0});
    Gate gate;
    std::promise<void> first;
    ASSERT_EQ(pool.try_post("greedy", gate.hold(first)), Posted::queued);
    first.get_future().wait();
    std::atomic<bool> greedy_second{false};
    ASSERT_EQ(pool.try_post("greedy", [&] { greedy_second = true; }), Posted::queued);
    std::promise<void> other;
    ASSERT_EQ(pool.try_post("other", [&] { other.set_value(); }), Posted::queued);
    // The free thread goes to the other key even though greedy queued first.
    EXPECT_EQ(other.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_FALSE(greedy_second.load());  // still waiting for its own running job to finish
    gate.release.set_value();
    pool.drain_and_stop();
    EXPECT_TRUE(greedy_second.load());
}

TEST(WorkerPool, AKeyQueuesAtMostItsShare) {
    WorkerPool pool(PoolLimits{1, 16, 1, 2});
    Gate gate;
    std::promise<void> started;
    ASSERT_EQ(pool.try_post("a", gate.hold(started)), Posted::queued);
    started.get_future().wait();
    EXPECT_EQ(pool.try_post("a", [] {}), Posted::queued);
    EXPECT_EQ(pool.try_post("a", [] {}), Posted::queued);
    EXPECT_EQ(pool.try_post("a", [] {}), Posted::key_full);
    EXPECT_EQ(pool.try_post("b", [] {}), Posted::queued);  // the pool still has room for others
    gate.release.set_value();
    pool.drain_and_stop();
}

TEST(WorkerPool, KeysTakeTurns) {
    WorkerPool pool(PoolLimits{1, 16});
    Gate gate;
    std::promise<void> started;
    ASSERT_EQ(pool.try_post("x", gate.hold(started)), Posted::queued);
    started.get_future().wait();
    std::mutex mu;
    std::vector<std::string> order;
    auto note = [&](std::string k) { return [&, k] { std::lock_guard l(mu); order.push_back(k); }; };
    for (int i = 0; i < 3; ++i) ASSERT_EQ(pool.try_post("a", note("a")), Posted::queued);
    ASSERT_EQ(pool.try_post("b", note("b")), Posted::queued);
    ASSERT_EQ(pool.try_post("c", note("c")), Posted::queued);
    gate.release.set_value();
    pool.drain_and_stop();
    EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "a"}));
}

TEST(WorkerPool, AThrowingJobDoesNotStopTheThread) {
    WorkerPool pool(PoolLimits{1, 4});
    ASSERT_EQ(pool.try_post("a", [] { throw std::runtime_error("x"); }), Posted::queued);
    std::promise<void> after;
    ASSERT_EQ(pool.try_post("a", [&] { after.set_value(); }), Posted::queued);
    EXPECT_EQ(after.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}
