#pragma once
// A fixed set of threads with a bounded queue for CPU-heavy request work. try_post refuses
// instead of queueing without bound, so overload becomes a 503 rather than unbounded memory.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tatou::http {

class WorkerPool {
public:
    WorkerPool(std::size_t threads, std::size_t max_queued);
    ~WorkerPool();

    bool try_post(std::function<void()> job);
    // Stops taking jobs, runs every queued one, joins the threads.
    void drain_and_stop();

private:
    void run();

    std::size_t max_queued_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tatou::http
