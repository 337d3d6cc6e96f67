#pragma once
// The public HTTP listener on RESTinio: limits, timeouts, connection caps (total and per source),
// security headers, request ids, the route table, and the hand-off of every blocking route to
// its worker pool. The admin listener runs beside it on its own thread (admin_listener.hpp).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/services.hpp"

namespace tatou::http {

struct HttpOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5000;
    std::size_t io_threads = 2;
    std::size_t workers = 4;        // heavy: password hashing, PDF jobs
    std::size_t worker_queue = 64;
    std::size_t heavy_jobs_per_client = 2;  // at once, per bearer token or source address
    std::size_t query_workers = 4;  // queries: database and file reads
    std::size_t query_queue = 256;
    std::size_t rmap_workers = 1;   // rmap: the handshake, apart from logins and uploads
    std::size_t rmap_queue = 8;
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_source = 64;
    std::uint64_t max_upload_bytes = 50u << 20;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::seconds read_timeout{30};
    std::chrono::seconds write_timeout{60};
    std::chrono::seconds handle_timeout{60};
    std::chrono::seconds shutdown_grace{10};
    std::string web_root;
    // The private listener for /metrics (and admin actions); port 0 = none.
    std::string admin_host = "127.0.0.1";
    std::uint16_t admin_port = 0;
    std::size_t admin_max_connections = 16;
    std::size_t admin_max_connections_per_source = 4;  // a scraper and an operator need a few
    // Runs on a worker thread for each SIGHUP (configuration reload); empty = SIGHUP ignored.
    std::function<void()> on_reload;
    std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For names the client
};

// Serves until SIGTERM or SIGINT, then stops accepting, finishes queued work and returns.
// SIGHUP never stops the server: it runs options.on_reload.
// on_ready runs once the listener is bound. Throws if the address cannot be bound.
void serve(const HttpOptions& options, Services& services, const std::function<void()>& on_ready);

}  // namespace tatou::http
