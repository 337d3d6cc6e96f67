#pragma once
// A sliding-window counter per key (a source address, an RMAP identity): at most `max_events`
// accepted events per `window`. In process memory, one node's view, like the login throttle.
// Used where work is cheap to refuse but expensive to do: sign-ups (an Argon2id each) and RMAP
// messages (a private-key operation each).
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tatou {

struct RateLimit {
    int max_events = 0;  // 0 disables the limit
    std::chrono::seconds window{60};
};

struct RateDecision {
    bool allowed = true;
    int retry_after_s = 0;  // when refused: seconds until the oldest counted event leaves the window
};

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100000) : limit_(limit), max_keys_(max_keys) {}

    // Counts the event when it is allowed; a refused event is not counted, so a client that
    // keeps hammering is refused until its own earlier events age out, not forever.
    RateDecision acquire(const std::string& key, Clock::time_point now = Clock::now());
    // Gives back the last event of `key` (the work it paid for was not done, e.g. bad input).
    void release(const std::string& key);

    const RateLimit& limit() const { return limit_; }

private:
    void bound_memory(Clock::time_point now);

    RateLimit limit_;
    std::size_t max_keys_;
    std::mutex mu_;
    std::unordered_map<std::string, std::deque<Clock::time_point>> events_;
};

}  // namespace tatou
