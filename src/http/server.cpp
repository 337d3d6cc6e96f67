#include "http/server.hpp"

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <thread>

#include "http/admin_listener.hpp"
#include "http/connection_registry.hpp"
#include "http/dispatcher.hpp"
#include "http/guarded_socket.hpp"

namespace tatou::http {
namespace {

using Router = restinio::router::express_router_t<>;

struct Traits : restinio::default_traits_t {
    using request_handler_t = Router;
    // Off: ConnectionRegistry caps the total itself (RESTinio's limiter leaks a slot for every
    // connection the IP blocker refuses, see connection_registry.hpp).
    static constexpr bool use_connection_count_limiter = false;
    using ip_blocker_t = ConnectionRegistry;
    using connection_state_listener_t = ConnectionRegistry;
    using stream_socket_t = GuardedSocket;
};

// Matches any method: registered after a path's real routes, it turns the rest into 405.
struct AnyMethod final : restinio::router::method_matcher_t {
    bool match(const restinio::http_method_id_t&) const noexcept override { return true; }
};

restinio::http_method_id_t method_id(std::string_view name) {
    if (name == "GET") return restinio::http_method_get();
    if (name == "POST") return restinio::http_method_post();
    if (name == "DELETE") return restinio::http_method_delete();
    if (name == "PUT") return restinio::http_method_put();
    throw std::logic_error("route table uses an unsupported method");
}

std::unique_ptr<Router> make_router(Dispatcher& dispatcher) {
    auto router = std::make_unique<Router>();
    std::vector<std::string_view> paths;
    for (const auto& route : api::routes()) {
        router->add_handler(method_id(route.method), route.path,
                            [&dispatcher, &route](auto req, auto params) { return dispatcher.handle(route, req, params); });
        if (std::find(paths.begin(), paths.end(), route.path) == paths.end()) paths.push_back(route.path);
    }
    for (const auto path : paths)
        router->add_handler(AnyMethod{}, path, [&dispatcher](auto req, auto) { return dispatcher.method_not_allowed(req); });
    router->non_matched_request_handler([&dispatcher](auto req) { return dispatcher.not_matched(req); });
    return router;
}

}  // namespace

void serve(const HttpOptions& options, Services& services, const std::function<void()>& on_ready) {
    const config::Limits& limits = options.limits;
    WorkerPools pools(limits);
    auto connections = std::make_shared<ConnectionRegistry>(limits.connections, limits.connections_per_source,
                                                            options.trusted_proxies);
    const api::StaticSite site(options.web_root);
    Dispatcher dispatcher(services, pools, *connections, site, options);
    asio::io_context io;
    const BodyLimits body_limits(api::routes(), limits);
    auto& guard = asio::use_service<BodyLimitService>(io);
    guard.limits = &body_limits;
    guard.on_refused = [&dispatcher](const BodyGuard& refused, const std::string& peer, const std::string& request_id) {
        dispatcher.body_refused(refused, peer, request_id);
    };

    restinio::http_server_t<Traits> server{
        restinio::external_io_context(io),
        restinio::server_settings_t<Traits>{}
            .address(options.host)
            .port(options.port)
            .request_handler(make_router(dispatcher))
            .ip_blocker(connections)
            .connection_state_listener(connections)
            .read_next_http_message_timelimit(std::chrono::seconds(limits.request_timeout_s))
            .write_http_response_timelimit(std::chrono::seconds(limits.request_timeout_s))
            .handle_request_timeout(std::chrono::seconds(limits.request_timeout_s))
            // Two, not one: RESTinio then goes on reading while a request is handled, so a client
            // that hangs up is noticed (and its queued job dropped) before its job starts.
            .max_pipelined_requests(2)
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_url_size(limits.url_bytes)
                                          .max_field_name_size(limits.header_name_bytes)
                                          .max_field_value_size(limits.header_value_bytes)
                                          .max_field_count(limits.header_count)
                                          .max_body_size(limits.upload_bytes + limits.multipart_overhead_bytes))};

    server.open_sync();
    std::unique_ptr<AdminListener> admin;
    if (options.admin_port != 0) admin = std::make_unique<AdminListener>(options, services);

    // SIGHUP: reload what can be reloaded (RMAP identities) on a worker, never on an I/O thread.
    asio::signal_set hangup(io, SIGHUP);
    std::function<void(const asio::error_code&, int)> on_hangup = [&](const asio::error_code& ec, int) {
        if (ec) return;
        if (options.on_reload && pools.queries.try_post("sighup", [&] { options.on_reload(); }) != Posted::queued)
            spdlog::warn("SIGHUP: workers busy, reload skipped; send it again");
        hangup.async_wait(on_hangup);
    };
    hangup.async_wait(on_hangup);

    // SIGTERM/SIGINT: refuse new work, finish queued work, then close the listeners and
    // connections. The drain runs off the I/O threads so their replies can still go out.
    std::thread stopper;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code& ec, int) {
        if (ec) return;
        spdlog::info("shutdown requested; finishing in-flight requests");
        stopper = std::thread([&] {
            pools.drain_and_stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let replies flush
            admin.reset();
            asio::post(io, [&] {
                hangup.cancel();
                server.close_async([&] { io.stop(); }, [&](std::exception_ptr) { io.stop(); });
            });
        });
    });

    on_ready();
    std::vector<std::thread> io_threads;
    for (std::size_t i = 1; i < options.io_threads; ++i) io_threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : io_threads) t.join();
    if (stopper.joinable()) stopper.join();
}

}  // namespace tatou::http
