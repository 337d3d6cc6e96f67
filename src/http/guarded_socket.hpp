#pragma once
// The public listener's socket type (RESTinio's stream_socket_t): a TCP socket whose reads pass
// through a BodyGuard (body_guard.hpp) before RESTinio parses them. The limits come from a
// service on the io_context, since RESTinio makes sockets from the io_context alone.
#include <restinio/asio_include.hpp>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "core/crypto.hpp"
#include "http/body_guard.hpp"

namespace tatou::http {

class BodyLimitService final : public asio::execution_context::service {
public:
    using key_type = BodyLimitService;
    static inline asio::execution_context::id id;
    explicit BodyLimitService(asio::execution_context& context) : asio::execution_context::service(context) {}
    const BodyLimits* limits = nullptr;  // set before the listener accepts; null: reads pass unwatched
    // Reports a refused request (to the request log, metrics and audit), on the I/O thread.
    std::function<void(const BodyGuard& refused, const std::string& peer, const std::string& request_id)> on_refused;

private:
    void shutdown() override {}
};

// A read on behalf of RESTinio. Once the guard refuses, the answer goes out and the socket keeps
// reading and discarding what the client is still sending (up to kLingerBytes, bounded in time by
// RESTinio's read timeout) before the read fails: closing with unread bytes would make the kernel
// reset the connection, and the client could lose the 413 it has not read yet.
template <class Handler>
class GuardedRead {
public:
    static constexpr std::size_t kLingerBytes = 256 * 1024;
    GuardedRead(asio::ip::tcp::socket& socket, const BodyLimitService& service, std::shared_ptr<BodyGuard> guard,
                asio::mutable_buffer into, Handler handler)
        : socket_(socket), service_(service), guard_(std::move(guard)), into_(into), handler_(std::move(handler)) {}

    using executor_type = asio::associated_executor_t<Handler, asio::ip::tcp::socket::executor_type>;
    executor_type get_executor() const noexcept { return asio::get_associated_executor(handler_, socket_.get_executor()); }

    void start() { socket_.async_read_some(into_, std::move(*this)); }

    void operator()(asio::error_code ec, std::size_t n) {
        if (draining_) {
            drained_ += n;
            if (!ec && n > 0 && drained_ < kLingerBytes) return start();
            return handler_(asio::error::message_size, 0);
        }
        if (ec || n == 0 || guard_->feed(static_cast<const char*>(into_.data()), n)) return handler_(ec, n);
        const auto request_id = crypto::random_hex(16);
        if (service_.on_refused) {
            asio::error_code ignored;
            const auto peer = socket_.remote_endpoint(ignored);
            service_.on_refused(*guard_, ignored ? std::string("unknown") : peer.address().to_string(), request_id);
        }
        const auto answer = guard_->refusal(request_id);
        if (answer.empty()) return handler_(asio::error::message_size, 0);
        (void)::send(socket_.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(socket_.native_handle(), SHUT_WR);
        draining_ = true;
        drained_ = n;
        start();
    }

private:
    asio::ip::tcp::socket& socket_;
    const BodyLimitService& service_;
    std::shared_ptr<BodyGuard> guard_;
    asio::mutable_buffer into_;
    Handler handler_;
    bool draining_ = false;
    std::size_t drained_ = 0;
};

class GuardedSocket : public asio::ip::tcp::socket {
public:
    explicit GuardedSocket(asio::io_context& io)
        : asio::ip::tcp::socket(io), service_(&asio::use_service<BodyLimitService>(io)) {}
    GuardedSocket(GuardedSocket&&) = default;
    GuardedSocket& operator=(GuardedSocket&&) = default;

    template <class Buffer, class Handler>
    void async_read_some(const Buffer& buffer, Handler&& handler) {
        // A socket the acceptor hands on is reused for the next connection: the guard is per
        // connection and begins with its first read.
        if (!guard_ && service_->limits != nullptr) guard_ = std::make_shared<BodyGuard>(*service_->limits);
        if (!guard_) return asio::ip::tcp::socket::async_read_some(buffer, std::forward<Handler>(handler));
        using Read = GuardedRead<std::decay_t<Handler>>;
        Read(static_cast<asio::ip::tcp::socket&>(*this), *service_, guard_, asio::mutable_buffer(buffer),
             std::forward<Handler>(handler))
            .start();
    }

private:
    const BodyLimitService* service_;
    std::shared_ptr<BodyGuard> guard_;
};

}  // namespace tatou::http
