#pragma once
// The public HTTP listener on RESTinio: limits, timeouts, connection caps (total and per source),
// security headers, request ids, the route table, and the hand-off of every blocking route to
// its worker pool. The admin listener runs beside it on its own thread (admin_listener.hpp).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/limits.hpp"
#include "core/services.hpp"

namespace tatou::http {

struct HttpOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5000;
    std::size_t io_threads = 2;
    config::Limits limits;  // connections, request framing, bodies, pools, the admin listener
    std::string web_root;
    // The private listener for /metrics (and admin actions); port 0 = none.
    std::string admin_host = "127.0.0.1";
    std::uint16_t admin_port = 0;
    // Runs on a worker thread for each SIGHUP (configuration reload); empty = SIGHUP ignored.
    std::function<void()> on_reload;
    std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For names the client
};

// Serves until SIGTERM or SIGINT, then stops accepting, finishes queued work and returns.
// SIGHUP never stops the server: it runs options.on_reload.
// on_ready runs once the listener is bound. Throws if the address cannot be bound.
void serve(const HttpOptions& options, Services& services, const std::function<void()>& on_ready);

}  // namespace tatou::http
