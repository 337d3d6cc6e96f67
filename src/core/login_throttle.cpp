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
    if (const auto it = locked_until_.find(email_key); it != locked_until_.end()) {
        if (now < it->second) {
            ThrottleDecision d;
            d.allowed = false;
            d.locked = true;
            d.retry_after_s = static_cast<int>(
                std::chrono::duration_cast<std::chrono::seconds>(it->second - now).count()) + 1;
            return d;
        }
        locked_until_.erase(it);
    }
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
    // Refused attempts still count towards the account lock: hammering on is still an attack.
    if (!d.allowed) d.reached_lock = count_account_attempt(email_key, now);
    return d;
}

bool LoginThrottle::count_account_attempt(const std::string& email_key, Clock::time_point now) {
    if (policy_.lock_after <= 0) return false;
    auto& w = by_account_[email_key];
    while (!w.empty() && now - w.front() >= policy_.lock_window) w.pop_front();
    w.push_back(now);
    if (static_cast<int>(w.size()) < policy_.lock_after) return false;
    w.clear();
    locked_until_[email_key] = now + policy_.lock_duration;
    return true;
}

bool LoginThrottle::count_distinct_account(const std::string& ip, const std::string& email_key, Clock::time_point now) {
    if (policy_.stuffing_accounts <= 0) return false;
    auto& spray = by_source_[ip];
    for (auto it = spray.accounts.begin(); it != spray.accounts.end();)
        it = now - it->second >= policy_.stuffing_window ? spray.accounts.erase(it) : std::next(it);
    spray.accounts[email_key] = now;
    if (now < spray.quiet_until || static_cast<int>(spray.accounts.size()) < policy_.stuffing_accounts) return false;
    spray.quiet_until = now + policy_.stuffing_window;
    return true;
}

FailureVerdict LoginThrottle::record_failure(const std::string& ip, const std::string& email_key,
                                             Clock::time_point now) {
    std::lock_guard lock(mu_);
    bound_memory(now);
    auto& pair = by_pair_[pair_key(ip, email_key)];
    pair.push_back(now);
    by_ip_[ip].push_back(now);
    FailureVerdict v;
    v.remaining = std::max(0, policy_.max_failures - static_cast<int>(pair.size()));
    v.reached_lock = count_account_attempt(email_key, now);
    v.stuffing = count_distinct_account(ip, email_key, now);
    return v;
}

bool LoginThrottle::unlock(const std::string& email_key) {
    std::lock_guard lock(mu_);
    by_account_.erase(email_key);
    for (auto it = by_pair_.begin(); it != by_pair_.end();)
        it = it->first.ends_with("\n" + email_key) ? by_pair_.erase(it) : std::next(it);
    return locked_until_.erase(email_key) > 0;
}

void LoginThrottle::record_success(const std::string& ip, const std::string& email_key) {
    std::lock_guard lock(mu_);
    by_pair_.erase(pair_key(ip, email_key));
}

void LoginThrottle::bound_memory(Clock::time_point now) {
    if (by_account_.size() + by_source_.size() + locked_until_.size() >= kMaxTrackedKeys) {
        by_account_.clear();
        by_source_.clear();
        for (auto it = locked_until_.begin(); it != locked_until_.end();)
            it = it->second <= now ? locked_until_.erase(it) : std::next(it);
    }
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
