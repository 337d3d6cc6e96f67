#pragma once
// Which connections are open, and how many each source address holds. RESTinio calls it twice:
// as its IP blocker when a connection is accepted (refused past the per-source cap) and as its
// connection-state listener (accepted, closed). The dispatcher asks it whether the client of a
// queued job is still there, so work for a client that has gone is dropped before it starts.
#include <restinio/all.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tatou::http {

class ConnectionRegistry {
public:
    // At most `total` connections at once (TATOU_MAX_CONNECTIONS) and `per_source` from one
    // address. Sources in `exempt` (the trusted proxies: every client behind them shares their
    // address) are never capped per source. per_source = 0 means no per-source cap.
    // The total is enforced here, not by RESTinio's connection count limiter: that limiter
    // (0.6.16) reserves a slot for every accept and frees it only for a connection it went on to
    // serve, so every connection this blocker refused leaked a slot until the listener stopped
    // accepting for everyone (tests/api/test_bounded.py RefusedConnectionsLeakNoSlotTests).
    ConnectionRegistry(std::size_t total, std::size_t per_source, std::vector<std::string> exempt);

    restinio::ip_blocker::inspection_result_t inspect(const restinio::ip_blocker::incoming_info_t& info) noexcept;
    void state_changed(const restinio::connection_state::notice_t& notice) noexcept;

    bool open(restinio::connection_id_t id) const;
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

private:
    std::size_t total_;
    std::size_t per_source_;
    std::vector<std::string> exempt_;
    mutable std::mutex mu_;
    std::unordered_set<restinio::connection_id_t> open_;
    std::unordered_map<std::string, std::size_t> per_address_;
    std::atomic<std::uint64_t> refused_{0};
};

}  // namespace tatou::http
