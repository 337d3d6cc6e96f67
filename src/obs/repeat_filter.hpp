#pragma once
// Repeated identical rejections are counted, not written one line each: a flood of bogus tokens
// or malformed bodies from one source would otherwise grow the audit log as fast as the client
// can send. Per (action, reason, source, route) and window, the first `per_window` events are
// written as they come; the rest are counted, and when the window ends one record carrying
// `count` (the events it stands for) is written with the last one's request. Memory is bounded:
// past `max_keys` open windows, new keys are written as they come.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "obs/event.hpp"

namespace tatou::obs {

struct RepeatLimits {
    std::size_t per_window = 20;
    std::chrono::seconds window{60};
    std::size_t max_keys = 4096;
};

class RepeatFilter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RepeatFilter(const RepeatLimits& limits) : limits_(limits) {}

    // Whether events of this kind are aggregated at all (failures that carry no evidence of
    // their own beyond their number: invalid tokens, malformed input, rate limiting).
    static bool aggregates(const Event& event);

    // The records to write now for `event`: itself unless it is counted instead, after the
    // summaries of windows that ended.
    std::vector<Event> admit(Event event, Clock::time_point now);
    // Summaries of the windows that ended by `now` (all of them when `everything`).
    std::vector<Event> flush(Clock::time_point now, bool everything = false);

private:
    struct Window {
        Clock::time_point start;
        std::size_t seen = 0;
        std::int64_t counted = 0;
        Event last;
    };
    void close_ended(Clock::time_point now, bool everything, std::vector<Event>& out);

    RepeatLimits limits_;
    std::mutex mu_;
    std::unordered_map<std::string, Window> windows_;
    Clock::time_point last_sweep_{};
};

}  // namespace tatou::obs
