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
    // Account lock: failed or refused attempts on one account from any source. 0 disables it.
    int lock_after = 10;
    std::chrono::seconds lock_window{900};
    std::chrono::seconds lock_duration{900};
    // Credential stuffing: distinct accounts failing from one source.
    int stuffing_accounts = 10;
    std::chrono::seconds stuffing_window{300};
};

struct ThrottleDecision {
    bool allowed = true;
    bool locked = false;       // the account is locked (423), whatever the password
    bool reached_lock = false; // this refused attempt is the one that locked the account
    int remaining = 0;         // attempts left for this (IP, email)
    int retry_after_s = 0;     // when refused
};

struct FailureVerdict {
    int remaining = 0;
    bool reached_lock = false;  // this failure locked the account
    bool stuffing = false;      // this failure made the source a credential-stuffing suspect
};

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;
    explicit LoginThrottle(ThrottlePolicy policy) : policy_(policy) {}

    ThrottleDecision check(const std::string& ip, const std::string& email_key, Clock::time_point now = Clock::now());
    FailureVerdict record_failure(const std::string& ip, const std::string& email_key,
                                  Clock::time_point now = Clock::now());
    void record_success(const std::string& ip, const std::string& email_key);
    // An operator lifts an automatic lock (and forgets the attempts that led to it).
    bool unlock(const std::string& email_key);

    const ThrottlePolicy& policy() const { return policy_; }

private:
    using Window = std::deque<Clock::time_point>;
    void prune(Window& w, Clock::time_point now) const;
    int retry_after(const Window& w, Clock::time_point now) const;
    void bound_memory(Clock::time_point now);
    bool count_account_attempt(const std::string& email_key, Clock::time_point now);  // true: now locked
    bool count_distinct_account(const std::string& ip, const std::string& email_key, Clock::time_point now);

    ThrottlePolicy policy_;
    std::mutex mu_;
    std::unordered_map<std::string, Window> by_pair_;
    std::unordered_map<std::string, Window> by_ip_;
    std::unordered_map<std::string, Window> by_account_;
    std::unordered_map<std::string, Clock::time_point> locked_until_;
    struct Spray {
        std::unordered_map<std::string, Clock::time_point> accounts;
        Clock::time_point quiet_until{};
    };
    std::unordered_map<std::string, Spray> by_source_;
};

}  // namespace tatou
