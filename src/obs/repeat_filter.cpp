#include "obs/repeat_filter.hpp"

namespace tatou::obs {

namespace {

std::string key_of(const Event& e) {
    std::string key = std::to_string(static_cast<int>(e.action)) + "|" + std::to_string(static_cast<int>(e.reason));
    if (e.request) key += "|" + e.request->source_ip + "|" + e.request->route;
    return key;
}

}  // namespace

bool RepeatFilter::aggregates(const Event& e) {
    if (e.outcome != Outcome::failure || !e.request || e.count) return false;
    switch (e.action) {
        case Action::authn_token_invalid:
        case Action::session_use_after_expire:
        case Action::input_validation_fail:
        case Action::input_validation_discrete_fail:
        case Action::malicious_extraneous:
        case Action::upload_validation:
        case Action::excess_rate_limit_exceeded: return true;
        default: return false;
    }
}

void RepeatFilter::close_ended(Clock::time_point now, bool everything, std::vector<Event>& out) {
    for (auto it = windows_.begin(); it != windows_.end();) {
        if (!everything && now - it->second.start < limits_.window) {
            ++it;
            continue;
        }
        if (it->second.counted > 0) {
            Event summary = std::move(it->second.last);
            summary.count = it->second.counted;
            out.push_back(std::move(summary));
        }
        it = windows_.erase(it);
    }
    last_sweep_ = now;
}

std::vector<Event> RepeatFilter::admit(Event event, Clock::time_point now) {
    std::vector<Event> out;
    std::lock_guard lock(mu_);
    // Sweeping is O(open windows): at most once a second.
    if (now - last_sweep_ >= std::chrono::seconds(1)) close_ended(now, false, out);
    if (!aggregates(event) || limits_.per_window == 0) {
        out.push_back(std::move(event));
        return out;
    }
    const auto key = key_of(event);
    auto it = windows_.find(key);
    if (it != windows_.end() && now - it->second.start >= limits_.window) {
        if (it->second.counted > 0) {
            Event summary = std::move(it->second.last);
            summary.count = it->second.counted;
            out.push_back(std::move(summary));
        }
        windows_.erase(it);
        it = windows_.end();
    }
    if (it == windows_.end()) {
        if (windows_.size() >= limits_.max_keys) {
            out.push_back(std::move(event));
            return out;
        }
        it = windows_.emplace(key, Window{now, 0, 0, {}}).first;
    }
    auto& w = it->second;
    if (++w.seen <= limits_.per_window) {
        out.push_back(std::move(event));
    } else {
        ++w.counted;
        w.last = std::move(event);
    }
    return out;
}

std::vector<Event> RepeatFilter::flush(Clock::time_point now, bool everything) {
    std::vector<Event> out;
    std::lock_guard lock(mu_);
    close_ended(now, everything, out);
    return out;
}

}  // namespace tatou::obs
