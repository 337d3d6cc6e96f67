#include "http/server.hpp"

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <thread>

#include "api/admin.hpp"
#include "api/routes.hpp"
#include "core/crypto.hpp"
#include "http/client_address.hpp"
#include "http/form_parser.hpp"
#include "http/security_headers.hpp"
#include "http/worker_pool.hpp"

namespace tatou::http {
namespace {

using Router = restinio::router::express_router_t<>;

struct Traits : restinio::default_traits_t {
    using request_handler_t = Router;
    static constexpr bool use_connection_count_limiter = true;
};

// Matches any method: registered after a path's real routes, it turns the rest into 405.
struct AnyMethod final : restinio::router::method_matcher_t {
    bool match(const restinio::http_method_id_t&) const noexcept override { return true; }
};

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 503: return "Service Unavailable";
        default: return status < 500 ? "Client Error" : "Internal Server Error";
    }
}

bool safe_request_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

std::string header_or_empty(const restinio::request_t& req, restinio::http_field_t field) {
    const auto v = req.header().opt_value_of(field);
    return v ? std::string(v->data(), v->size()) : std::string();
}

// W3C traceparent "00-<32 hex trace>-<16 hex span>-<2 hex flags>", neither id all zeros.
bool parse_traceparent(std::string_view v, std::string& trace, std::string& span) {
    if (v.size() != 55 || v.substr(0, 3) != "00-" || v[35] != '-' || v[52] != '-') return false;
    const auto hex = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    };
    const auto t = v.substr(3, 32), s = v.substr(36, 16);
    if (!hex(t) || !hex(s) || !hex(v.substr(53, 2))) return false;
    if (t == std::string(32, '0') || s == std::string(16, '0')) return false;
    trace = t;
    span = s;
    return true;
}

// Every X-Forwarded-For field, joined in order: a proxy may add its own field rather than
// append to the client's, and only the last entry is the proxy's.
std::string forwarded_for(const restinio::http_request_header_t& h) {
    std::string joined;
    h.for_each_value_of("X-Forwarded-For", [&](restinio::string_view_t v) {
        if (!joined.empty()) joined += ", ";
        joined.append(v.data(), v.size());
        return restinio::http_header_fields_t::continue_enumeration();
    });
    return joined;
}

api::Request make_request(const restinio::request_handle_t& req, const HttpOptions& options) {
    api::Request r;
    const auto& h = req->header();
    r.method = std::string(h.method().c_str());
    r.path = std::string(h.path());
    r.body = std::string_view(req->body());
    r.content_type = header_or_empty(*req, restinio::http_field::content_type);
    r.authorization = header_or_empty(*req, restinio::http_field::authorization);
    r.client_ip = client_address(req->remote_endpoint().address().to_string(),
                                 forwarded_for(h), options.trusted_proxies);
    const auto incoming = h.opt_value_of("X-Request-ID");
    r.request_id = incoming && safe_request_id(*incoming) ? std::string(*incoming) : crypto::random_hex(16);
    auto& info = r.info;
    info.request_id = r.request_id;
    info.method = r.method;
    info.path = r.path.substr(0, 512);
    info.source_ip = r.client_ip;
    info.source_port = req->remote_endpoint().port();
    info.user_agent = header_or_empty(*req, restinio::http_field::user_agent).substr(0, 512);
    if (const auto tp = h.opt_value_of("traceparent")) parse_traceparent(*tp, info.trace_id, info.span_id);
    return r;
}

void send(const restinio::request_handle_t& req, const api::Request& request, api::Reply reply) {
    auto resp = req->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{static_cast<std::uint16_t>(reply.status)}, reason_phrase(reply.status)});
    resp.append_header(restinio::http_field::content_type, reply.content_type);
    resp.append_header("X-Request-ID", request.request_id);
    for (const auto& [name, value] : kSecurityHeaders) resp.append_header(std::string(name), std::string(value));
    for (auto& [name, value] : reply.headers) resp.append_header(std::move(name), std::move(value));
    if (reply.status >= 500 || reply.status == 413) resp.connection_close();
    resp.set_body(std::move(reply.body));
    resp.done();
}

class Dispatcher {
public:
    Dispatcher(Services& services, WorkerPool& workers, const HttpOptions& options)
        : services_(services), workers_(workers), options_(options) {}

    restinio::request_handling_status_t handle(const api::Route& route, const restinio::request_handle_t& req,
                                               const restinio::router::route_params_t& params) {
        auto request = std::make_shared<api::Request>(make_request(req, options_));
        started();
        if (refused_source(req, *request, &route)) return restinio::request_accepted();
        for (const auto& name : {"id", "link"})
            if (auto v = params.get_param(name)) request->params.emplace(name, std::string(v->data(), v->size()));
        if (const auto link = request->param("link")) {
            // A version link is a bearer capability: the log names it only by a digest.
            request->info.path = api::route_template(route.path);
            request->facts.link_id = obs::Telemetry::link_id(*link);
        }
        if (!parse_query(*req, *request)) {
            send(req, *request, api::error_reply(400, "malformed query string", *request));
            report(route.audit, *request, api::route_template(route.path), 400, Reason::bad_input);
            return restinio::request_accepted();
        }
        // RESTinio's body limit already bounds the form; the file part's own limit is core's.
        if (route.body == api::Body::multipart) parse_form(*req, *request);
        if (route.work == api::Work::light) {
            send(req, *request, api::dispatch(route, *request, services_));
            return restinio::request_accepted();
        }
        const bool queued = workers_.try_post([this, &route, req, request] {
            send(req, *request, api::dispatch(route, *request, services_));
        });
        if (!queued) {
            auto busy = api::error_reply(503, "server busy, retry later", *request);
            busy.headers.emplace_back("Retry-After", "1");
            send(req, *request, std::move(busy));
            report(route.audit, *request, api::route_template(route.path), 503, Reason::unavailable);
        }
        return restinio::request_accepted();
    }

    restinio::request_handling_status_t method_not_allowed(const restinio::request_handle_t& req) {
        auto request = make_request(req, options_);
        started();
        if (refused_source(req, request, nullptr)) return restinio::request_accepted();
        send(req, request, api::error_reply(405, "Method not allowed", request));
        report({}, request, "unmatched", 405, Reason::none);
        return restinio::request_accepted();
    }

    restinio::request_handling_status_t not_matched(const restinio::request_handle_t& req) {
        auto request = make_request(req, options_);
        started();
        if (refused_source(req, request, nullptr)) return restinio::request_accepted();
        auto reply = req->header().method() == restinio::http_method_get()
                         ? api::static_page(request, options_.web_root)
                         : api::error_reply(404, "Resource not found", request);
        const int status = reply.status;
        send(req, request, std::move(reply));
        report({}, request, status < 400 ? "static" : "unmatched", status, status == 404 ? Reason::not_found : Reason::none);
        return restinio::request_accepted();
    }

    static constexpr std::uint64_t kMultipartOverhead = 64 * 1024;

    restinio::request_handling_status_t admin(const restinio::request_handle_t& req) {
        auto request = make_request(req, options_);
        send(req, request, api::admin_dispatch(request, services_));
        return restinio::request_accepted();
    }

private:
    // A source an operator blocked gets 403 on every path before anything else runs.
    bool refused_source(const restinio::request_handle_t& req, api::Request& request, const api::Route* route) {
        if (services_.containment == nullptr || !services_.containment->source_blocked(request.client_ip)) return false;
        send(req, request, api::error_reply(403, "access from this address is blocked", request));
        report(route != nullptr ? route->audit : obs::RouteAudit{}, request,
               route != nullptr ? api::route_template(route->path) : std::string("unmatched"), 403,
               Reason::source_blocked);
        return true;
    }

    void started() {
        if (services_.telemetry != nullptr) services_.telemetry->request_started();
    }

    // Requests answered here, outside api::dispatch, are reported the same way.
    void report(const obs::RouteAudit& audit, api::Request& request, std::string route, int status, Reason reason) {
        if (services_.telemetry == nullptr) return;
        request.info.route = std::move(route);
        services_.telemetry->request_done(audit, request.info, request.facts, status, reason);
    }

    static bool parse_query(const restinio::request_t& req, api::Request& out) {
        const auto parsed = restinio::try_parse_query<restinio::parse_query_traits::javascript_compatible>(
            req.header().query());
        if (!parsed) return false;
        for (const auto& [k, v] : *parsed) out.query.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
        return true;
    }

    Services& services_;
    WorkerPool& workers_;
    const HttpOptions& options_;
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
    WorkerPool workers(options.workers, options.worker_queue);
    Dispatcher dispatcher(services, workers, options);
    asio::io_context io;

    restinio::http_server_t<Traits> server{
        restinio::external_io_context(io),
        restinio::server_settings_t<Traits>{}
            .address(options.host)
            .port(options.port)
            .request_handler(make_router(dispatcher))
            .read_next_http_message_timelimit(options.read_timeout)
            .write_http_response_timelimit(options.write_timeout)
            .handle_request_timeout(options.handle_timeout)
            .max_parallel_connections(options.max_connections)
            .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                          .max_url_size(8 * 1024)
                                          .max_field_name_size(256)
                                          .max_field_value_size(options.max_header_bytes)
                                          .max_field_count(100)
                                          .max_body_size(options.max_upload_bytes + Dispatcher::kMultipartOverhead))};

    server.open_sync();

    // The admin listener shares the I/O threads; it has no routes of the public API.
    std::unique_ptr<restinio::http_server_t<restinio::default_traits_t>> admin;
    if (options.admin_port != 0) {
        admin = std::make_unique<restinio::http_server_t<restinio::default_traits_t>>(
            restinio::external_io_context(io),
            restinio::server_settings_t<restinio::default_traits_t>{}
                .address(options.admin_host)
                .port(options.admin_port)
                .request_handler([&dispatcher](auto req) { return dispatcher.admin(req); })
                .read_next_http_message_timelimit(options.read_timeout)
                .write_http_response_timelimit(options.write_timeout)
                .handle_request_timeout(options.handle_timeout)
                .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                              .max_url_size(4 * 1024)
                                              .max_field_count(100)
                                              .max_body_size(64 * 1024)));
        admin->open_sync();
    }

    // SIGHUP: reload what can be reloaded (RMAP identities) on a worker, never on an I/O thread.
    asio::signal_set hangup(io, SIGHUP);
    std::function<void(const asio::error_code&, int)> on_hangup = [&](const asio::error_code& ec, int) {
        if (ec) return;
        if (options.on_reload && !workers.try_post([&] { options.on_reload(); }))
            spdlog::warn("SIGHUP: workers busy, reload skipped; send it again");
        hangup.async_wait(on_hangup);
    };
    hangup.async_wait(on_hangup);

    // SIGTERM/SIGINT: refuse new heavy work, finish queued work, then close the listener and
    // connections. The worker drain runs off the I/O threads so their replies can still go out.
    std::thread stopper;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code& ec, int) {
        if (ec) return;
        spdlog::info("shutdown requested; finishing in-flight requests");
        stopper = std::thread([&] {
            workers.drain_and_stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let replies flush
            asio::post(io, [&] {
                hangup.cancel();
                if (admin) admin->close_sync();
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
