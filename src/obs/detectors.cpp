#include "obs/detectors.hpp"

#include <algorithm>
#include <array>

namespace tatou::obs {

bool WindowCounter::hit(std::string_view key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) {
        if (entries_.size() >= max_keys_) {
            entries_.erase(order_.back());
            order_.pop_back();
        }
        order_.emplace_front(key);
        it = entries_.emplace(std::string(key), Entry{}).first;
        it->second.lru = order_.begin();
    } else {
        order_.splice(order_.begin(), order_, it->second.lru);
    }
    Entry& e = it->second;
    const auto horizon = now - window_;
    e.hits.erase(std::remove_if(e.hits.begin(), e.hits.end(), [&](auto t) { return t < horizon; }), e.hits.end());
    if (now < e.quiet_until) return false;
    e.hits.push_back(now);
    if (static_cast<int>(e.hits.size()) < threshold_) return false;
    e.hits.clear();
    e.quiet_until = now + window_;
    return true;
}

std::size_t WindowCounter::tracked() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::string_view attack_tool_in(std::string_view ua) {
    static constexpr std::array<std::string_view, 14> tools = {
        "sqlmap", "nikto", "nmap", "masscan", "zgrab", "gobuster", "dirbuster",
        "wfuzz", "ffuf", "nuclei", "hydra", "acunetix", "w3af", "wpscan"};
    // This runs on every request: lower-case (ASCII, no locale) the head once into a stack
    // buffer, then plain substring searches.
    std::array<char, 512> buf;
    const std::size_t n = std::min(ua.size(), buf.size());
    for (std::size_t i = 0; i < n; ++i) {
        const char c = ua[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view lower(buf.data(), n);
    for (auto t : tools)
        if (lower.find(t) != std::string_view::npos) return t;
    return {};
}

Detectors::Detectors(const DetectorConfig& c)
    : config_(c),
      scans_(c.scan_404_threshold, c.scan_404_window, c.max_keys),
      authz_(c.authz_threshold, c.authz_window, c.max_keys),
      rmap_(c.rmap_threshold, c.rmap_window, c.max_keys),
      tools_(1, c.attack_tool_window, c.max_keys) {}

std::vector<Event> Detectors::observe(const RequestInfo& request, const Facts& facts, int status, Reason reason,
                                      bool rmap_route, WindowCounter::Clock::time_point now) {
    std::vector<Event> out;
    auto add = [&](Action action, std::int64_t count) {
        Event e;
        e.action = action;
        e.outcome = Outcome::unknown;
        e.count = count;
        e.status = status;
        e.facts.user_id = facts.user_id;
        e.request = request;
        out.push_back(std::move(e));
    };
    const std::string& source = request.source_ip;
    if (status == 404 && reason != Reason::not_owner && scans_.hit(source, now))
        add(Action::malicious_excess_404, config_.scan_404_threshold);
    if (reason == Reason::not_owner && authz_.hit(source, now)) add(Action::malicious_direct_reference, config_.authz_threshold);
    if (rmap_route && status >= 400 && rmap_.hit(source, now)) add(Action::rmap_failure_burst, config_.rmap_threshold);
    if (!request.user_agent.empty() && !attack_tool_in(request.user_agent).empty() && tools_.hit(source, now))
        add(Action::malicious_attack_tool, 1);
    return out;
}

std::size_t Detectors::tracked_keys() const {
    return scans_.tracked() + authz_.tracked() + rmap_.tracked() + tools_.tracked();
}

}  // namespace tatou::obs
