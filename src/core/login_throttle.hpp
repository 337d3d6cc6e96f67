#pragma once
// Counts failed logins in a sliding window, per (client IP, email) and per client IP.
// In process memory: one node's view (docs/architecture.md says what that means for several nodes).
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tatou {

struct ThrottlePolicy {
    int max_failures = 5;          // per (IP, email)
    int max_failures_per_ip = 50;  // all emails from one IP
    std::chrono::seconds window{60};
};

struct ThrottleDecision {
    bool allowed = true;
    int remaining = 0;        // attempts left for this (IP, email)
    int retry_after_s = 0;    // when refused
};

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;
    explicit LoginThrottle(ThrottlePolicy policy) : policy_(policy) {}

    ThrottleDecision check(const std::string& ip, const std::string& email_key, Clock::time_point now = Clock::now());
    // Returns the attempts left for this (IP, email) after recording the failure.
    int record_failure(const std::string& ip, const std::string& email_key, Clock::time_point now = Clock::now());
    void record_success(const std::string& ip, const std::string& email_key);

    const ThrottlePolicy& policy() const { return policy_; }

private:
    using Window = std::deque<Clock::time_point>;
    void prune(Window& w, Clock::time_point now) const;
    int retry_after(const Window& w, Clock::time_point now) const;
    void bound_memory(Clock::time_point now);

    ThrottlePolicy policy_;
    std::mutex mu_;
    std::unordered_map<std::string, Window> by_pair_;
    std::unordered_map<std::string, Window> by_ip_;
};

}  // namespace tatou
