// The private admin listener (TATOU_ADMIN_LISTEN): /metrics for Prometheus. It is never on the
// public port, so scraping needs no credentials and the public API cannot read or move counters.
#include "api/admin.hpp"

#include "obs/telemetry.hpp"

namespace tatou::api {

Reply admin_dispatch(Request& request, Services& services) {
    if (request.path == "/metrics") {
        if (request.method != "GET" && request.method != "HEAD") return error_reply(405, "Method not allowed", request);
        Reply r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = services.telemetry != nullptr ? services.telemetry->metrics_text() : std::string();
        return r;
    }
    return error_reply(404, "Resource not found", request);
}

}  // namespace tatou::api
