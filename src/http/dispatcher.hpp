#pragma once
// The public listener's request handling: every route-table entry is answered on the pool its
// route names (api::Pool); the I/O threads only parse, route and answer what needs no I/O.
#include <restinio/all.hpp>

#include <memory>

#include "api/routes.hpp"
#include "api/static_pages.hpp"
#include "config/limits.hpp"
#include "core/services.hpp"
#include "http/body_guard.hpp"
#include "http/connection_registry.hpp"
#include "http/worker_pool.hpp"

namespace tatou::http {

struct HttpOptions;
const config::Limits& options_limits(const HttpOptions& options);

// The pools behind the API: one per api::Pool that is not io.
struct WorkerPools {
    WorkerPool queries;
    WorkerPool heavy;
    WorkerPool rmap;
    explicit WorkerPools(const config::Limits& limits);
    WorkerPool& of(api::Pool pool);
    void drain_and_stop();
};

class Dispatcher {
public:
    Dispatcher(Services& services, WorkerPools& pools, const ConnectionRegistry& connections,
               const api::StaticSite& site, const HttpOptions& options)
        : services_(services), pools_(pools), connections_(connections), site_(site), options_(options),
          account_jobs_(options_limits(options).heavy_jobs_per_user) {}

    restinio::request_handling_status_t handle(const api::Route& route, const restinio::request_handle_t& req,
                                               const restinio::router::route_params_t& params);
    restinio::request_handling_status_t method_not_allowed(const restinio::request_handle_t& req);
    restinio::request_handling_status_t not_matched(const restinio::request_handle_t& req);
    // A request the body guard refused (413) before RESTinio saw it: logged and counted like any.
    void body_refused(const BodyGuard& refused, const std::string& peer, const std::string& request_id);

private:
    bool refused_source(const restinio::request_handle_t& req, api::Request& request, const api::Route* route);
    // Runs `answer` on `pool` unless its client has gone by then; 503 when the pool is full.
    template <class Answer>
    void run_on(api::Pool pool, const restinio::request_handle_t& req, std::shared_ptr<api::Request> request,
                const obs::RouteAudit& audit, std::string route, Answer answer);
    void started();
    void report(const obs::RouteAudit& audit, api::Request& request, std::string route, int status, Reason reason);

    Services& services_;
    WorkerPools& pools_;
    const ConnectionRegistry& connections_;
    const api::StaticSite& site_;
    const HttpOptions& options_;
    AccountJobs account_jobs_;
};

}  // namespace tatou::http
