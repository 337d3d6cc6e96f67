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
    // Sources in `exempt` (the trusted proxies: every client behind them shares their address)
    // are never capped. per_source = 0 means no cap.
    ConnectionRegistry(std::size_t per_source, std::vector<std::string> exempt);

    restinio::ip_blocker::inspection_result_t inspect(const restinio::ip_blocker::incoming_info_t& info) noexcept;
    void state_changed(const restinio::connection_state::notice_t& notice) noexcept;

    bool open(restinio::connection_id_t id) const;
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

private:
    std::size_t per_source_;
    std::vector<std::string> exempt_;
    mutable std::mutex mu_;
    std::unordered_set<restinio::connection_id_t> open_;
    std::unordered_map<std::string, std::size_t> per_address_;
    std::atomic<std::uint64_t> refused_{0};
};

}  // namespace tatou::http
