#pragma once
// In-app attack detectors in the OWASP AppSensor style: sliding windows per source with a hard
// cap on tracked keys (least recently seen are forgotten), so a flood of spoofed sources costs a
// bounded amount of memory. Detectors only detect; the responses (429, 423) live with the
// decisions in core (login_throttle), whose outcomes reach here as reasons.
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "obs/event.hpp"

namespace tatou::obs {

struct DetectorConfig {
    int scan_404_threshold = 30;
    std::chrono::seconds scan_404_window{60};
    int authz_threshold = 5;
    std::chrono::seconds authz_window{300};
    int rmap_threshold = 10;
    std::chrono::seconds rmap_window{300};
    std::chrono::seconds attack_tool_window{600};
    std::size_t max_keys = 10000;
};

// Counts hits per key in a window; reports the one hit that reaches the threshold, then stays
// quiet for that key until the window has passed.
class WindowCounter {
public:
    using Clock = std::chrono::steady_clock;
    WindowCounter(int threshold, std::chrono::seconds window, std::size_t max_keys)
        : threshold_(threshold), window_(window), max_keys_(max_keys) {}
    bool hit(std::string_view key, Clock::time_point now);
    std::size_t tracked() const;

private:
    struct Entry {
        std::vector<Clock::time_point> hits;
        Clock::time_point quiet_until{};
        std::list<std::string>::iterator lru;
    };
    int threshold_;
    std::chrono::seconds window_;
    std::size_t max_keys_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> order_;  // most recent first
};

// Recognises well-known attack tools by their default User-Agent.
std::string_view attack_tool_in(std::string_view user_agent);

class Detectors {
public:
    explicit Detectors(const DetectorConfig& config = {});
    // Events the request adds beyond its own (already decided) event.
    std::vector<Event> observe(const RequestInfo& request, const Facts& facts, int status, Reason reason,
                               bool rmap_route, WindowCounter::Clock::time_point now = WindowCounter::Clock::now());
    std::size_t tracked_keys() const;

private:
    DetectorConfig config_;
    WindowCounter scans_, authz_, rmap_, tools_;
};

}  // namespace tatou::obs
