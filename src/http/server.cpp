#include "http/server.hpp"

#include <restinio/all.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>
#include <thread>

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
        for (const auto& name : {"id", "link"})
            if (auto v = params.get_param(name)) request->params.emplace(name, std::string(v->data(), v->size()));
        if (!parse_query(*req, *request)) {
            send(req, *request, api::error_reply(400, "malformed query string", *request));
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
        }
        return restinio::request_accepted();
    }

    restinio::request_handling_status_t method_not_allowed(const restinio::request_handle_t& req) {
        const auto request = make_request(req, options_);
        send(req, request, api::error_reply(405, "Method not allowed", request));
        return restinio::request_accepted();
    }

    restinio::request_handling_status_t not_matched(const restinio::request_handle_t& req) {
        const auto request = make_request(req, options_);
        if (req->header().method() == restinio::http_method_get())
            send(req, request, api::static_page(request, options_.web_root));
        else
            send(req, request, api::error_reply(404, "Resource not found", request));
        return restinio::request_accepted();
    }

    static constexpr std::uint64_t kMultipartOverhead = 64 * 1024;

private:
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
