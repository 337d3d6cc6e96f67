#include "http/worker_pool.hpp"

namespace tatou::http {

WorkerPool::WorkerPool(const PoolLimits& limits) : limits_(limits) {
    if (limits_.running_per_key == 0) limits_.running_per_key = limits_.threads;
    if (limits_.queued_per_key == 0) limits_.queued_per_key = limits_.queued;
    for (std::size_t i = 0; i < limits_.threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { drain_and_stop(); }

Posted WorkerPool::try_post(const std::string& key, std::function<void()> job) {
    {
        std::lock_guard lock(mu_);
        if (stopping_ || queued_ >= limits_.queued) return Posted::pool_full;
        Key& k = keys_[key];
        if (k.jobs.size() >= limits_.queued_per_key) {
            if (k.jobs.empty() && k.running == 0) keys_.erase(key);
            return Posted::key_full;
        }
        if (k.jobs.empty()) turn_.push_back(key);
        k.jobs.push_back(std::move(job));
        ++queued_;
    }
    cv_.notify_one();
    return Posted::queued;
}

std::size_t WorkerPool::queued() const {
    std::lock_guard lock(mu_);
    return queued_;
}

bool WorkerPool::take(std::function<void()>& job, std::string& key) {
    for (auto it = turn_.begin(); it != turn_.end(); ++it) {
        Key& k = keys_.at(*it);
        // While stopping every queued job runs, whatever its key's share.
        if (k.running >= limits_.running_per_key && !stopping_) continue;
        key = *it;
        job = std::move(k.jobs.front());
        k.jobs.pop_front();
        ++k.running;
        --queued_;
        turn_.erase(it);
        if (!k.jobs.empty()) turn_.push_back(key);  // its next job waits for the others' turn
        return true;
    }
    return false;
}

void WorkerPool::drain_and_stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> job;
        std::string key;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return take(job, key) || (stopping_ && queued_ == 0); });
            if (!job) return;  // stopping and drained
        }
        try {
            job();
        } catch (...) {
            // A job answers its own failures; one that still throws must not take the thread.
        }
        {
            std::lock_guard lock(mu_);
            Key& k = keys_.at(key);
            --k.running;
            if (k.running == 0 && k.jobs.empty()) keys_.erase(key);
        }
        cv_.notify_all();  // a key at its cap may take a thread again
    }
}

}  // namespace tatou::http
