#include "core/login_throttle.hpp"

#include <algorithm>

namespace tatou {
namespace {

constexpr std::size_t kMaxTrackedKeys = 100000;  // bounds memory under a spray of distinct keys

std::string pair_key(const std::string& ip, const std::string& email_key) { return ip + '\n' + email_key; }

}  // namespace

void LoginThrottle::prune(Window& w, Clock::time_point now) const {
    while (!w.empty() && now - w.front() >= policy_.window) w.pop_front();
}

int LoginThrottle::retry_after(const Window& w, Clock::time_point now) const {
    if (w.empty()) return 1;
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(policy_.window - (now - w.front()));
    return std::max<int>(1, static_cast<int>(left.count()) + 1);
}

ThrottleDecision LoginThrottle::check(const std::string& ip, const std::string& email_key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    static const Window empty;
    auto pair_it = by_pair_.find(pair_key(ip, email_key));
    auto ip_it = by_ip_.find(ip);
    if (pair_it != by_pair_.end()) prune(pair_it->second, now);
    if (ip_it != by_ip_.end()) prune(ip_it->second, now);
    const Window& pair = pair_it != by_pair_.end() ? pair_it->second : empty;
    const Window& per_ip = ip_it != by_ip_.end() ? ip_it->second : empty;
    ThrottleDecision d;
    d.remaining = std::max(0, policy_.max_failures - static_cast<int>(pair.size()));
    if (static_cast<int>(pair.size()) >= policy_.max_failures) {
        d.allowed = false;
        d.retry_after_s = retry_after(pair, now);
    } else if (static_cast<int>(per_ip.size()) >= policy_.max_failures_per_ip) {
        d.allowed = false;
        d.remaining = 0;
        d.retry_after_s = retry_after(per_ip, now);
    }
    return d;
}

int LoginThrottle::record_failure(const std::string& ip, const std::string& email_key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    bound_memory(now);
    auto& pair = by_pair_[pair_key(ip, email_key)];
    pair.push_back(now);
    by_ip_[ip].push_back(now);
    return std::max(0, policy_.max_failures - static_cast<int>(pair.size()));
}

void LoginThrottle::record_success(const std::string& ip, const std::string& email_key) {
    std::lock_guard lock(mu_);
    by_pair_.erase(pair_key(ip, email_key));
}

void LoginThrottle::bound_memory(Clock::time_point now) {
    if (by_pair_.size() + by_ip_.size() < kMaxTrackedKeys) return;
    for (auto* map : {&by_pair_, &by_ip_}) {
        for (auto it = map->begin(); it != map->end();) {
            prune(it->second, now);
            it = it->second.empty() ? map->erase(it) : std::next(it);
        }
    }
    // Still full of live entries: forget the pair windows (per-IP windows keep limiting).
    if (by_pair_.size() + by_ip_.size() >= kMaxTrackedKeys) by_pair_.clear();
}

}  // namespace tatou
