#pragma once
// A fixed set of threads with bounded, fair queues. Every job belongs to a client key (a bearer
// token's digest, or the source address): a key runs at most `running_per_key` jobs at once and
// queues at most `queued_per_key`, and free threads take keys in turn, so one client cannot hold
// every thread or fill the queue for everyone. Refusal is immediate (503 or 429 upstream):
// overload never grows memory without bound.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tatou::http {

struct PoolLimits {
    std::size_t threads = 2;
    std::size_t queued = 64;            // all keys together
    std::size_t running_per_key = 0;    // 0: no cap beyond the thread count
    std::size_t queued_per_key = 0;     // 0: no cap beyond `queued`
};

enum class Posted { queued, pool_full, key_full };

class WorkerPool {
public:
    explicit WorkerPool(const PoolLimits& limits);
    ~WorkerPool();

    Posted try_post(const std::string& key, std::function<void()> job);
    // Stops taking jobs, runs every queued one, joins the threads.
    void drain_and_stop();
    std::size_t queued() const;

private:
    struct Key {
        std::deque<std::function<void()>> jobs;
        std::size_t running = 0;
    };
    void run();
    // The next job under the caps, taking keys in turn; false when none may start now.
    bool take(std::function<void()>& job, std::string& key);

    PoolLimits limits_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::unordered_map<std::string, Key> keys_;
    std::list<std::string> turn_;  // keys with queued jobs, in the order they get a thread
    std::size_t queued_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tatou::http
