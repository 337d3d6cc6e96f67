#pragma once
// The one route table. The transport registers every entry, answers 405 for a known path with
// another method and 404 (JSON) for everything else.
#include <span>
#include <string_view>

#include "api/reply.hpp"
#include "api/request.hpp"
#include "core/account_jobs.hpp"
#include "core/services.hpp"
#include "obs/telemetry.hpp"

namespace tatou::api {

enum class Auth { none, user };
// Where a route's handler runs. Nothing that can block (the database, files, the PDF jail,
// password hashing) runs on an I/O thread, so a locked database never stalls the listeners.
//   io:      memory only (liveness, the method list)
//   queries: the database and stored files (listings, downloads, logout, delete, static pages)
//   heavy:   password hashing and PDF jobs; a user holds at most TATOU_USER_HEAVY_JOBS of them
//   rmap:    the RMAP handshake, on its own small pool so its load never delays logins or uploads
enum class Pool { io, queries, heavy, rmap };
// What a route's body may be, and so how large (config::Limits): the transport refuses a larger
// body when its headers arrive, before any of it is buffered (http/body_guard.hpp).
enum class Body { json_or_none, rmap_json, multipart };

using Handler = Reply (*)(Request&, Services&);

struct Route {
    std::string_view method;
    std::string_view path;  // express syntax, ":name" for a parameter
    Auth auth;
    Pool pool;
    Body body;
    Handler handler;
    obs::RouteAudit audit;
};

// "/api/get-document/:id" -> "/api/get-document/{id}": the route label in logs and metrics.
std::string route_template(std::string_view express_path);

std::span<const Route> routes();

// Authenticates (Auth::user), holds the account's heavy-job ticket on Pool::heavy routes, runs
// the handler, maps any failure to a JSON reply.
Reply dispatch(const Route& route, Request& request, Services& services, AccountJobs& heavy_jobs);

}  // namespace tatou::api
