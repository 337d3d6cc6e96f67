#pragma once
// Containment an operator puts in force during an incident: account locks, blocked source
// networks (with an expiry), read-only mode, and the token-key generation (rotating it ends every
// session at once). State lives in the database so it survives restarts and holds on every node;
// each node keeps a snapshot it refreshes after its own actions and every few seconds, so checks
// on the request path read memory only.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace tatou {

// An IPv4 or IPv6 network: "203.0.113.7", "203.0.113.0/24", "2001:db8::/32".
struct Cidr {
    std::array<unsigned char, 16> bytes{};
    int family = 0;  // 4 or 6
    int prefix = 0;
    std::string text;  // canonical
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(std::string_view address) const;
};

struct ContainmentSnapshot {
    std::map<UserId, std::int64_t> locks;                  // user -> until (0: until lifted)
    std::vector<std::pair<Cidr, std::int64_t>> blocks;     // network -> until
    bool read_only = false;
    int token_generation = 1;
};

class ContainmentService {
public:
    explicit ContainmentService(Store& store);

    void refresh();  // reloads from the database (other nodes' actions become visible)
    std::shared_ptr<const ContainmentSnapshot> snapshot() const;

    // Request-path checks (memory only).
    bool source_blocked(std::string_view address) const;
    bool account_locked(UserId user) const;
    bool read_only() const;
    int token_generation() const;

    // Actions; each validates, persists, then refreshes. Error{bad_request|not_found} on bad input.
    void lock(UserId user, std::int64_t ttl_seconds);  // 0 = until unlocked
    bool unlock(UserId user);
    void revoke_sessions(UserId user);
    std::string block(std::string_view cidr, std::int64_t ttl_seconds);  // returns the canonical form
    bool unblock(std::string_view cidr);
    int rotate_token_key();
    void set_read_only(bool on);

private:
    Store& store_;
    // Summaries of the snapshot read lock-free on every request; the snapshot itself (behind the
    // mutex) is only consulted when there is something to find.
    std::atomic<bool> any_blocks_{false}, any_locks_{false}, read_only_{false};
    std::atomic<int> token_generation_{1};
    mutable std::mutex mu_;
    std::mutex refresh_mu_;  // serialises refresh(): snapshots are installed in the order they were read
    std::shared_ptr<const ContainmentSnapshot> current_;
};

}  // namespace tatou
