#include "core/containment.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace tatou {

namespace {

bool to_bytes(std::string_view address, std::array<unsigned char, 16>& out, int& family) {
    const std::string a(address);
    out.fill(0);
    if (inet_pton(AF_INET, a.c_str(), out.data()) == 1) {
        family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, a.c_str(), out.data()) == 1) {
        // An IPv4-mapped IPv6 address is matched as the IPv4 address it carries.
        static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::equal(mapped, mapped + 12, out.begin())) {
            std::copy(out.begin() + 12, out.end(), out.begin());
            std::fill(out.begin() + 4, out.end(), 0);
            family = 4;
            return true;
        }
        family = 6;
        return true;
    }
    return false;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    Cidr c;
    const auto slash = text.find('/');
    if (!to_bytes(text.substr(0, slash), c.bytes, c.family)) return std::nullopt;
    const int max = c.family == 4 ? 32 : 128;
    c.prefix = max;
    if (slash != std::string_view::npos) {
        const auto p = text.substr(slash + 1);
        int v = -1;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > max) return std::nullopt;
        c.prefix = v;
    }
    // Host bits are cleared, so "10.1.2.3/8" and "10.0.0.0/8" are the same block.
    for (int bit = c.prefix; bit < max; ++bit) c.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(c.family == 4 ? AF_INET : AF_INET6, c.bytes.data(), buf, sizeof buf);
    c.text = std::string(buf) + "/" + std::to_string(c.prefix);
    return c;
}

bool Cidr::contains(std::string_view address) const {
    std::array<unsigned char, 16> a{};
    int fam = 0;
    if (!to_bytes(address, a, fam) || fam != family) return false;
    for (int bit = 0; bit < prefix; ++bit) {
        const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
        if ((a[bit / 8] & mask) != (bytes[bit / 8] & mask)) return false;
    }
    return true;
}

ContainmentService::ContainmentService(Store& store)
    : store_(store), current_(std::make_shared<ContainmentSnapshot>()) {}

void ContainmentService::refresh() {
    // One refresh at a time, reads and install together: otherwise the periodic refresh could read
    // the tables before an operator's unblock and install that stale view after the unblock's own.
    std::lock_guard serial(refresh_mu_);
    auto next = std::make_shared<ContainmentSnapshot>();
    const auto now = unix_now();
    for (const auto& [user, until] : store_.account_locks())
        if (until == 0 || until > now) next->locks.emplace(user, until);
    for (const auto& [text, until] : store_.ip_blocks())
        if (until == 0 || until > now)
            if (auto c = Cidr::parse(text)) next->blocks.emplace_back(*c, until);
    next->read_only = store_.state_value("read_only").value_or("0") == "1";
    const auto gen = store_.state_value("token_generation").value_or("1");
    int g = 1;
    std::from_chars(gen.data(), gen.data() + gen.size(), g);
    next->token_generation = std::max(1, g);
    any_blocks_ = !next->blocks.empty();
    any_locks_ = !next->locks.empty();
    read_only_ = next->read_only;
    token_generation_ = next->token_generation;
    std::lock_guard lock(mu_);
    current_ = std::move(next);
}

std::shared_ptr<const ContainmentSnapshot> ContainmentService::snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
}

bool ContainmentService::source_blocked(std::string_view address) const {
    if (!any_blocks_.load(std::memory_order_relaxed)) return false;
    const auto s = snapshot();
    if (s->blocks.empty()) return false;
    const auto now = unix_now();
    for (const auto& [cidr, until] : s->blocks)
        if ((until == 0 || until > now) && cidr.contains(address)) return true;
    return false;
}

bool ContainmentService::account_locked(UserId user) const {
    if (!any_locks_.load(std::memory_order_relaxed)) return false;
    const auto s = snapshot();
    const auto it = s->locks.find(user);
    return it != s->locks.end() && (it->second == 0 || it->second > unix_now());
}

bool ContainmentService::read_only() const { return read_only_.load(std::memory_order_relaxed); }
int ContainmentService::token_generation() const { return token_generation_.load(std::memory_order_relaxed); }

void ContainmentService::lock(UserId user, std::int64_t ttl) {
    if (ttl < 0) throw Error(Errc::bad_request, Reason::bad_input, "ttl must be zero or positive");
    if (!store_.find_user(user)) throw Error(Errc::not_found, Reason::not_found, "no such user");
    const auto now = unix_now();
    store_.set_account_lock(user, ttl == 0 ? 0 : now + ttl, now);
    refresh();
}

bool ContainmentService::unlock(UserId user) {
    const bool removed = store_.remove_account_lock(user);
    refresh();
    return removed;
}

void ContainmentService::revoke_sessions(UserId user) {
    if (!store_.find_user(user)) throw Error(Errc::not_found, Reason::not_found, "no such user");
    store_.revoke_user_tokens(user);
}

std::string ContainmentService::block(std::string_view text, std::int64_t ttl) {
    const auto cidr = Cidr::parse(text);
    if (!cidr) throw Error(Errc::bad_request, Reason::bad_input, "expected an IP address or CIDR network");
    if (ttl < 0) throw Error(Errc::bad_request, Reason::bad_input, "ttl must be zero or positive");
    const auto now = unix_now();
    store_.set_ip_block(cidr->text, ttl == 0 ? 0 : now + ttl, now);
    refresh();
    return cidr->text;
}

bool ContainmentService::unblock(std::string_view text) {
    const auto cidr = Cidr::parse(text);
    if (!cidr) throw Error(Errc::bad_request, Reason::bad_input, "expected an IP address or CIDR network");
    const bool removed = store_.remove_ip_block(cidr->text);
    refresh();
    return removed;
}

int ContainmentService::rotate_token_key() {
    refresh();
    const int next = token_generation() + 1;
    store_.set_state_value("token_generation", std::to_string(next));
    refresh();
    return next;
}

void ContainmentService::set_read_only(bool on) {
    store_.set_state_value("read_only", on ? "1" : "0");
    refresh();
}

}  // namespace tatou
