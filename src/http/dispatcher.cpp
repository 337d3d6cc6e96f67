#include "http/dispatcher.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "http/exchange.hpp"
#include "http/form_parser.hpp"
#include "http/server.hpp"
#include "obs/telemetry.hpp"

namespace tatou::http {

WorkerPools::WorkerPools(const config::Limits& l)
    : queries(PoolLimits{l.query_workers, l.query_queue, std::max<std::size_t>(1, l.query_workers / 2),
                         l.queries_queued_per_client}),
      heavy(PoolLimits{l.heavy_workers, l.heavy_queue, l.heavy_jobs_per_user, l.heavy_queued_per_client}),
      rmap(PoolLimits{l.rmap_workers, l.rmap_queue, 1, 2}) {}

WorkerPool& WorkerPools::of(api::Pool pool) {
    switch (pool) {
        case api::Pool::heavy: return heavy;
        case api::Pool::rmap: return rmap;
        case api::Pool::io:
        case api::Pool::queries: break;
    }
    return queries;
}

void WorkerPools::drain_and_stop() {
    heavy.drain_and_stop();
    rmap.drain_and_stop();
    queries.drain_and_stop();
}

const config::Limits& options_limits(const HttpOptions& options) { return options.limits; }

namespace {

bool parse_query(const restinio::request_t& req, api::Request& out) {
    const auto parsed =
        restinio::try_parse_query<restinio::parse_query_traits::javascript_compatible>(req.header().query());
    if (!parsed) return false;
    for (const auto& [k, v] : *parsed) out.query.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    return true;
}

// Who a queued job belongs to, for the pools' fair shares: the bearer token when there is one
// (the account behind it is only known after a database lookup), else the source address.
std::string client_key(const api::Request& request) {
    if (!request.authorization.empty()) return "t:" + crypto::sha256_hex(request.authorization).substr(0, 32);
    return "a:" + request.client_ip;
}

}  // namespace

template <class Answer>
void Dispatcher::run_on(api::Pool pool, const restinio::request_handle_t& req, std::shared_ptr<api::Request> request,
                        const obs::RouteAudit& audit, std::string route, Answer answer) {
    if (pool == api::Pool::io) {
        send(req, *request, answer(*request));
        return;
    }
    const Posted posted = pools_.of(pool).try_post(client_key(*request), [this, req, request, answer, route] {
        if (!connections_.open(req->connection_id())) {
            // Nobody is waiting for this answer any more: the work is not done at all.
            if (services_.telemetry != nullptr) services_.telemetry->request_abandoned(route);
            return;
        }
        send(req, *request, answer(*request));
    });
    if (posted == Posted::queued) return;
    // The pool is full for everyone (503), or this client already has its share waiting (429).
    const bool everyone = posted == Posted::pool_full;
    auto refusal = everyone ? api::error_reply(503, "server busy, retry later", *request)
                            : api::error_reply(429, "too many requests in progress for this client", *request);
    refusal.headers.emplace_back("Retry-After", "1");
    send(req, *request, std::move(refusal));
    report(audit, *request, std::move(route), everyone ? 503 : 429, everyone ? Reason::unavailable : Reason::rate_limited);
}

restinio::request_handling_status_t Dispatcher::handle(const api::Route& route, const restinio::request_handle_t& req,
                                                       const restinio::router::route_params_t& params) {
    auto request = std::make_shared<api::Request>(make_request(req, options_.trusted_proxies));
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
    run_on(route.pool, req, request, route.audit, api::route_template(route.path),
           [this, &route](api::Request& r) { return api::dispatch(route, r, services_, account_jobs_); });
    return restinio::request_accepted();
}

restinio::request_handling_status_t Dispatcher::method_not_allowed(const restinio::request_handle_t& req) {
    auto request = make_request(req, options_.trusted_proxies);
    started();
    if (refused_source(req, request, nullptr)) return restinio::request_accepted();
    send(req, request, api::error_reply(405, "Method not allowed", request));
    report({}, request, "unmatched", 405, Reason::none);
    return restinio::request_accepted();
}

restinio::request_handling_status_t Dispatcher::not_matched(const restinio::request_handle_t& req) {
    auto request = std::make_shared<api::Request>(make_request(req, options_.trusted_proxies));
    started();
    if (refused_source(req, *request, nullptr)) return restinio::request_accepted();
    if (req->header().method() != restinio::http_method_get()) {
        send(req, *request, api::error_reply(404, "Resource not found", *request));
        report({}, *request, "unmatched", 404, Reason::not_found);
        return restinio::request_accepted();
    }
    auto reply = site_.page(*request);
    const int status = reply.status;
    send(req, *request, std::move(reply));
    report({}, *request, status < 400 ? "static" : "unmatched", status, status == 404 ? Reason::not_found : Reason::none);
    return restinio::request_accepted();
}

void Dispatcher::body_refused(const BodyGuard& refused, const std::string& peer, const std::string& request_id) {
    api::Request request;
    request.method = std::string(refused.refused_method());
    request.path = std::string(refused.refused_path().substr(0, 512));
    request.client_ip = peer;
    request.request_id = request_id;
    request.info.request_id = request.request_id;
    request.info.method = request.method;
    request.info.path = request.path;
    request.info.source_ip = peer;
    const auto* route = refused.refused_route();
    started();
    report(route != nullptr ? route->audit : obs::RouteAudit{}, request,
           route != nullptr ? api::route_template(route->path) : std::string("unmatched"), 413, Reason::too_large);
}

// A source an operator blocked gets 403 on every path before anything else runs.
bool Dispatcher::refused_source(const restinio::request_handle_t& req, api::Request& request, const api::Route* route) {
    if (services_.containment == nullptr || !services_.containment->source_blocked(request.client_ip)) return false;
    send(req, request, api::error_reply(403, "access from this address is blocked", request));
    report(route != nullptr ? route->audit : obs::RouteAudit{}, request,
           route != nullptr ? api::route_template(route->path) : std::string("unmatched"), 403, Reason::source_blocked);
    return true;
}

void Dispatcher::started() {
    if (services_.telemetry != nullptr) services_.telemetry->request_started();
}

// Requests answered here, outside api::dispatch, are reported the same way.
void Dispatcher::report(const obs::RouteAudit& audit, api::Request& request, std::string route, int status,
                        Reason reason) {
    if (services_.telemetry == nullptr) return;
    request.info.route = std::move(route);
    services_.telemetry->request_done(audit, request.info, request.facts, status, reason);
}

}  // namespace tatou::http
