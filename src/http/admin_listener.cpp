#include "http/admin_listener.hpp"

#include <restinio/all.hpp>

#include "http/connection_registry.hpp"

#include <thread>

#include "api/admin.hpp"
#include "http/exchange.hpp"
#include "http/server.hpp"
#include "http/worker_pool.hpp"

namespace tatou::http {

namespace {

// The caps are ConnectionRegistry's, as on the public listener: a total and a per-source share, so
// one address holding slow connections (slowloris) cannot take every slot from the scraper.
struct AdminTraits : restinio::default_traits_t {
    static constexpr bool use_connection_count_limiter = false;
    using ip_blocker_t = ConnectionRegistry;
    using connection_state_listener_t = ConnectionRegistry;
};

}  // namespace

struct AdminListener::Impl {
    Services& services;
    const HttpOptions& options;
    asio::io_context io;
    WorkerPool actions;  // containment actions touch the database; /metrics never waits behind them
    std::unique_ptr<restinio::http_server_t<AdminTraits>> server;
    std::thread thread;

    std::shared_ptr<ConnectionRegistry> connections;

    Impl(const HttpOptions& o, Services& s)
        : services(s),
          options(o),
          actions(PoolLimits{2, 16}),
          connections(std::make_shared<ConnectionRegistry>(o.limits.admin_connections, o.limits.admin_connections_per_source,
                                                           std::vector<std::string>{})) {}

    restinio::request_handling_status_t handle(const restinio::request_handle_t& req) {
        auto request = std::make_shared<api::Request>(make_request(req, {}));
        if (api::admin_answers_from_memory(request->path)) {
            send(req, *request, api::admin_dispatch(*request, services));
            return restinio::request_accepted();
        }
        const auto run = [this, req, request] { send(req, *request, api::admin_dispatch(*request, services)); };
        if (actions.try_post(request->client_ip, run) != Posted::queued) {
            auto busy = api::error_reply(503, "admin actions busy, retry later", *request);
            busy.headers.emplace_back("Retry-After", "1");
            send(req, *request, std::move(busy));
        }
        return restinio::request_accepted();
    }
};

AdminListener::AdminListener(const HttpOptions& options, Services& services)
    : impl_(std::make_unique<Impl>(options, services)) {
    auto& i = *impl_;
    const config::Limits& limits = options.limits;
    i.server = std::make_unique<restinio::http_server_t<AdminTraits>>(
        restinio::external_io_context(i.io),
        restinio::server_settings_t<AdminTraits>{}
            .address(options.admin_host)
            .port(options.admin_port)
            .request_handler([&i](auto req) { return i.handle(req); })
            .read_next_http_message_timelimit(std::chrono::seconds(limits.admin_read_timeout_s))
            .write_http_response_timelimit(std::chrono::seconds(limits.admin_read_timeout_s))
            .handle_request_timeout(std::chrono::seconds(limits.admin_handle_timeout_s))
            .ip_blocker(i.connections)
            .connection_state_listener(i.connections)
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_url_size(limits.admin_url_bytes)
                                          .max_field_name_size(limits.header_name_bytes)
                                          .max_field_value_size(limits.admin_header_value_bytes)
                                          .max_field_count(limits.admin_header_count)
                                          .max_body_size(limits.admin_body_bytes)));
    i.server->open_sync();
    i.thread = std::thread([&i] { i.io.run(); });
}

AdminListener::~AdminListener() {
    auto& i = *impl_;
    i.actions.drain_and_stop();
    asio::post(i.io, [&i] { i.server->close_async([&i] { i.io.stop(); }, [&i](std::exception_ptr) { i.io.stop(); }); });
    i.thread.join();
}

}  // namespace tatou::http
