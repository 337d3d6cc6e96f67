#pragma once
// Cuts off a database call that runs past its deadline by shutting down the connection's
// socket, which makes the blocked client library return an error at once. Needed for
// PostgreSQL: libpq has no client-side read timeout, so a server that stops answering (frozen,
// or partitioned after the request was acknowledged) would otherwise hold a request, and the
// thread serving it, forever. (MariaDB's client has read_timeout/write_timeout instead.)
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <thread>

namespace tatou {

class QueryWatchdog {
public:
    explicit QueryWatchdog(std::chrono::milliseconds limit);
    ~QueryWatchdog();
    QueryWatchdog(const QueryWatchdog&) = delete;
    QueryWatchdog& operator=(const QueryWatchdog&) = delete;

    // Watches `fd` until the returned guard goes away; past the limit the socket is shut down.
    class Guard {
    public:
        Guard(QueryWatchdog* dog, std::size_t ticket) : dog_(dog), ticket_(ticket) {}
        Guard(Guard&& other) noexcept : dog_(other.dog_), ticket_(other.ticket_) { other.dog_ = nullptr; }
        Guard(const Guard&) = delete;
        ~Guard() {
            if (dog_) dog_->disarm(ticket_);
        }

    private:
        QueryWatchdog* dog_;
        std::size_t ticket_;
    };
    Guard watch(int fd);

    std::size_t cut_off() const;  // calls cut off so far

private:
    void disarm(std::size_t ticket);
    void loop();

    struct Entry {
        int fd;
        std::chrono::steady_clock::time_point deadline;
    };
    const std::chrono::milliseconds limit_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::size_t, Entry> armed_;  // disarm and shutdown happen under mutex_, so a
                                          // watched fd is never closed (and reused) meanwhile
    std::size_t next_ticket_ = 0;
    std::size_t cut_off_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tatou
