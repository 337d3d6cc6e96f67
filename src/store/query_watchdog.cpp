#include "store/query_watchdog.hpp"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

namespace tatou {

QueryWatchdog::QueryWatchdog(std::chrono::milliseconds limit) : limit_(limit), thread_([this] { loop(); }) {}

QueryWatchdog::~QueryWatchdog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

QueryWatchdog::Guard QueryWatchdog::watch(int fd) {
    if (fd < 0) return Guard(nullptr, 0);
    std::size_t ticket = 0;
    {
        std::lock_guard lock(mutex_);
        ticket = next_ticket_++;
        armed_[ticket] = Entry{fd, std::chrono::steady_clock::now() + limit_};
    }
    wake_.notify_all();
    return Guard(this, ticket);
}

void QueryWatchdog::disarm(std::size_t ticket) {
    std::lock_guard lock(mutex_);
    armed_.erase(ticket);
}

std::size_t QueryWatchdog::cut_off() const {
    std::lock_guard lock(mutex_);
    return cut_off_;
}

void QueryWatchdog::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto next = std::chrono::steady_clock::time_point::max();
        const auto now = std::chrono::steady_clock::now();
        for (auto it = armed_.begin(); it != armed_.end();) {
            if (it->second.deadline <= now) {
                ::shutdown(it->second.fd, SHUT_RDWR);
                ++cut_off_;
                spdlog::warn("database call exceeded {} ms: connection cut off", limit_.count());
                it = armed_.erase(it);
            } else {
                next = std::min(next, it->second.deadline);
                ++it;
            }
        }
        if (next == std::chrono::steady_clock::time_point::max())
            wake_.wait(lock);
        else
            wake_.wait_until(lock, next);
    }
}

}  // namespace tatou
