#include "core/rate_limiter.hpp"

#include <algorithm>

namespace tatou {

RateDecision RateLimiter::acquire(const std::string& key, Clock::time_point now) {
    if (limit_.max_events <= 0) return {};
    std::lock_guard lock(mu_);
    auto it = events_.find(key);
    if (it == events_.end()) {
        bound_memory(now);
        it = events_.emplace(key, std::deque<Clock::time_point>{}).first;
    }
    auto& w = it->second;
    while (!w.empty() && now - w.front() >= limit_.window) w.pop_front();
    if (static_cast<int>(w.size()) < limit_.max_events) {
        w.push_back(now);
        return {};
    }
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(limit_.window - (now - w.front()));
    return {false, std::max<int>(1, static_cast<int>(left.count()) + 1)};
}

void RateLimiter::release(const std::string& key) {
    if (limit_.max_events <= 0) return;
    std::lock_guard lock(mu_);
    const auto it = events_.find(key);
    if (it != events_.end() && !it->second.empty()) it->second.pop_back();
}

// A spray of distinct keys must not grow memory without bound: drop the windows that are
// empty; when every one is live, forget them all (the limit restarts rather than the process
// running out of memory).
void RateLimiter::bound_memory(Clock::time_point now) {
    if (events_.size() < max_keys_) return;
    for (auto it = events_.begin(); it != events_.end();) {
        auto& w = it->second;
        while (!w.empty() && now - w.front() >= limit_.window) w.pop_front();
        it = w.empty() ? events_.erase(it) : std::next(it);
    }
    if (events_.size() >= max_keys_) events_.clear();
}

}  // namespace tatou
