// Arbitrary bytes as what the server reads back from a PDF jail child (jail/wire.hpp). The child
// parsed a hostile PDF with a library far larger than ours, so the server treats its replies as
// untrusted: whatever a compromised child sends, recv_reply must return a Reply or nullopt within
// its caps, never crash or allocate past max_total. The same bytes go through recv_job (the fork
// server's side) and decode_optional. Input byte 0 picks the direction, the rest is the stream,
// written into a socketpair whose far end is then closed.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jail/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace j = tatou::jail;
    if (size == 0 || size > 60000) return 0;  // one socket buffer, so the write cannot block
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
    int buf = 1 << 17;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto deadline = j::Clock::now() + std::chrono::seconds(1);
    if (!stream.empty() && !j::send_all(fds[0], stream, deadline)) std::abort();
    ::close(fds[0]);
    // The server's cap for a reply to a job with `size` input bytes (pdf_jail.cpp).
    const std::size_t max_total = 3 * size + (16u << 20);
    if (data[0] & 1) {
        if (const auto reply = j::recv_reply(fds[1], max_total, deadline)) {
            if (reply->message.size() + reply->payload.size() > max_total) std::abort();
        }
    } else if (const auto job = j::recv_job(fds[1], max_total, deadline)) {
        std::size_t total = 0;
        for (const auto& f : job->second) {
            total += f.size();
            (void)j::decode_optional(f);
        }
        if (job->second.size() > 16 || total > max_total) std::abort();
    }
    ::close(fds[1]);
    return 0;
}
