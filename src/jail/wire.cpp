#include "jail/wire.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace tatou::jail {

namespace {

constexpr std::uint32_t kJobMagic = 0x544a4f42;    // "TJOB"
constexpr std::uint32_t kReplyMagic = 0x54525059;  // "TRPY"
constexpr std::uint32_t kMaxFields = 16;

bool wait_for(int fd, short events, Deadline deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
        if (n < 0 && errno != EINTR) return false;
    }
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

// Header: magic, tag (op or code), field count, then one length per field.
bool send_frame(int fd, std::uint32_t magic, std::uint8_t tag, std::span<const std::string_view> fields,
                Deadline deadline) {
    std::string header;
    put_u32(header, magic);
    header.push_back(static_cast<char>(tag));
    put_u32(header, static_cast<std::uint32_t>(fields.size()));
    for (const auto f : fields) put_u64(header, f.size());
    if (!send_all(fd, header, deadline)) return false;
    for (const auto f : fields)
        if (!send_all(fd, f, deadline)) return false;
    return true;
}

std::optional<std::pair<std::uint8_t, std::vector<std::string>>> recv_frame(int fd, std::uint32_t magic,
                                                                           std::size_t max_total,
                                                                           Deadline deadline) {
    char head[9];
    if (!recv_exact(fd, head, sizeof head, deadline)) return std::nullopt;
    if (get_le(head, 4) != magic) return std::nullopt;
    const auto count = static_cast<std::uint32_t>(get_le(head + 5, 4));
    if (count > kMaxFields) return std::nullopt;
    std::vector<char> lengths(8 * count);
    if (count && !recv_exact(fd, lengths.data(), lengths.size(), deadline)) return std::nullopt;
    std::uint64_t total = 0;
    std::vector<std::uint64_t> sizes(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        sizes[i] = get_le(lengths.data() + 8 * i, 8);
        if (sizes[i] > max_total || (total += sizes[i]) > max_total) return std::nullopt;
    }
    std::vector<std::string> fields(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        fields[i].resize(sizes[i]);
        if (sizes[i] && !recv_exact(fd, fields[i].data(), sizes[i], deadline)) return std::nullopt;
    }
    return std::make_pair(static_cast<std::uint8_t>(head[4]), std::move(fields));
}

}  // namespace

std::string encode_optional(std::optional<std::string_view> value) {
    if (!value) return std::string(1, '\0');
    std::string out(1, '\1');
    out.append(*value);
    return out;
}

std::optional<std::string> decode_optional(std::string_view field) {
    if (field.empty() || field[0] == '\0') return std::nullopt;
    return std::string(field.substr(1));
}

bool send_all(int fd, std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLOUT, deadline)) continue;
        return false;
    }
    return true;
}

bool recv_exact(int fd, char* out, std::size_t n, Deadline deadline) {
    while (n > 0) {
        const ssize_t got = ::recv(fd, out, n, MSG_DONTWAIT);
        if (got > 0) {
            out += got;
            n -= static_cast<std::size_t>(got);
            continue;
        }
        if (got == 0) return false;  // the peer is gone
        if (errno == EINTR) continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd, POLLIN, deadline)) continue;
        return false;
    }
    return true;
}

bool send_job(int fd, Op op, std::span<const std::string_view> fields, Deadline deadline) {
    return send_frame(fd, kJobMagic, static_cast<std::uint8_t>(op), fields, deadline);
}

std::optional<std::pair<Op, std::vector<std::string>>> recv_job(int fd, std::size_t max_total, Deadline deadline) {
    auto frame = recv_frame(fd, kJobMagic, max_total, deadline);
    if (!frame) return std::nullopt;
    return std::make_pair(static_cast<Op>(frame->first), std::move(frame->second));
}

bool send_reply(int fd, const Reply& reply, Deadline deadline) {
    const std::string_view fields[] = {reply.message, reply.payload};
    return send_frame(fd, kReplyMagic, static_cast<std::uint8_t>(reply.code), fields, deadline);
}

std::optional<Reply> recv_reply(int fd, std::size_t max_total, Deadline deadline) {
    auto frame = recv_frame(fd, kReplyMagic, max_total, deadline);
    if (!frame || frame->second.size() != 2) return std::nullopt;
    Reply r;
    r.code = static_cast<Code>(frame->first);
    r.message = std::move(frame->second[0]);
    r.payload = std::move(frame->second[1]);
    return r;
}

}  // namespace tatou::jail
