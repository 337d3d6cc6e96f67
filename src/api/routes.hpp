#pragma once
// The one route table. The transport registers every entry, answers 405 for a known path with
// another method and 404 (JSON) for everything else.
#include <span>
#include <string_view>

#include "api/reply.hpp"
#include "api/request.hpp"
#include "core/services.hpp"
#include "obs/telemetry.hpp"

namespace tatou::api {

enum class Auth { none, user };
// heavy: password hashing, PDF parsing, watermarking; runs on the bounded worker pool.
enum class Work { light, heavy };
enum class Body { json_or_none, multipart };

using Handler = Reply (*)(Request&, Services&);

struct Route {
    std::string_view method;
    std::string_view path;  // express syntax, ":name" for a parameter
    Auth auth;
    Work work;
    Body body;
    Handler handler;
    obs::RouteAudit audit;
};

// "/api/get-document/:id" -> "/api/get-document/{id}": the route label in logs and metrics.
std::string route_template(std::string_view express_path);

std::span<const Route> routes();

// Authenticates (Auth::user), runs the handler, maps any failure to a JSON reply.
Reply dispatch(const Route& route, Request& request, Services& services);

// Static pages (GET on any path no route claims).
Reply static_page(const Request& request, const std::string& web_root);

}  // namespace tatou::api
