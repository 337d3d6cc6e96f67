#include "http/connection_registry.hpp"

#include <algorithm>

namespace tatou::http {

ConnectionRegistry::ConnectionRegistry(std::size_t total, std::size_t per_source, std::vector<std::string> exempt)
    : total_(total), per_source_(per_source), exempt_(std::move(exempt)) {}

restinio::ip_blocker::inspection_result_t ConnectionRegistry::inspect(
    const restinio::ip_blocker::incoming_info_t& info) noexcept {
    try {
        const std::string address = info.remote_endpoint().address().to_string();
        std::lock_guard lock(mu_);
        if (open_.size() >= total_) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return restinio::ip_blocker::deny();
        }
        if (per_source_ == 0 || std::find(exempt_.begin(), exempt_.end(), address) != exempt_.end())
            return restinio::ip_blocker::allow();
        const auto it = per_address_.find(address);
        if (it != per_address_.end() && it->second >= per_source_) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return restinio::ip_blocker::deny();
        }
        return restinio::ip_blocker::allow();
    } catch (...) {
        return restinio::ip_blocker::deny();
    }
}

void ConnectionRegistry::state_changed(const restinio::connection_state::notice_t& notice) noexcept {
    try {
        const std::string address = notice.remote_endpoint().address().to_string();
        const bool accepted = restinio::holds_alternative<restinio::connection_state::accepted_t>(notice.cause());
        const bool closed = restinio::holds_alternative<restinio::connection_state::closed_t>(notice.cause());
        std::lock_guard lock(mu_);
        if (accepted) {
            open_.insert(notice.connection_id());
            ++per_address_[address];
        } else if (closed && open_.erase(notice.connection_id()) != 0) {
            const auto it = per_address_.find(address);
            if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
        }
    } catch (...) {
        // Out of memory while tracking: the connection is served; only the bookkeeping is lost.
    }
}

bool ConnectionRegistry::open(restinio::connection_id_t id) const {
    std::lock_guard lock(mu_);
    return open_.count(id) != 0;
}

}  // namespace tatou::http
