#pragma once
// Per-route body limits applied before a body is buffered. RESTinio's own limit is one value for
// every connection, so on its own a login could carry an upload's worth of body and have it all
// read into memory. The public listener's sockets therefore watch the bytes RESTinio reads with
// a second HTTP parser (the same http_parser library): as soon as a request's headers say its
// body is larger than its route allows, or a chunked body grows past it, the read fails and the
// connection is closed, so at most one buffer of that body is ever read. A request that is the
// connection's first is answered 413 (JSON) first; a later one on a kept-alive connection may
// have an answer of its own still on the way, so it is only closed.
#include <http_parser.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/routes.hpp"
#include "config/limits.hpp"

namespace tatou::http {

// The body limit of each route in the table (api::Body -> config::Limits); anything else gets
// the JSON limit.
class BodyLimits {
public:
    BodyLimits(std::span<const api::Route> routes, const config::Limits& limits);
    struct Match {
        std::uint64_t limit;
        const api::Route* route;  // null: no route has this method and path
    };
    // `target` is the request target as sent (path and query).
    Match for_request(http_method method, std::string_view target) const;

private:
    struct Entry {
        http_method method;
        std::vector<std::string> segments;  // ":" = any one segment
        std::uint64_t limit;
        const api::Route* route;
    };
    std::vector<Entry> entries_;
    std::uint64_t default_limit_;
};

// One connection's view of the bytes read from it.
class BodyGuard {
public:
    explicit BodyGuard(const BodyLimits& limits);
    BodyGuard(const BodyGuard&) = delete;
    BodyGuard& operator=(const BodyGuard&) = delete;

    // False once a request's body is over its limit: nothing more should reach the server.
    bool feed(const char* data, std::size_t size);
    // The refusal to send before closing, or empty when the connection should only be closed.
    // `request_id` names it in the answer and the request log, as every answer does.
    std::string refusal(const std::string& request_id) const;
    // The refused request's route (null: none matched) and method, for the request log.
    const api::Route* refused_route() const { return route_; }
    std::string_view refused_method() const { return http_method_str(static_cast<http_method>(parser_.method)); }
    std::string_view refused_path() const { return std::string_view(target_).substr(0, target_.find('?')); }

private:
    static int on_message_begin(http_parser* p);
    static int on_url(http_parser* p, const char* at, std::size_t length);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, std::size_t length);

    const BodyLimits& limits_;
    http_parser parser_{};
    http_parser_settings settings_{};
    std::string target_;
    std::uint64_t limit_ = 0;
    const api::Route* route_ = nullptr;
    std::uint64_t body_seen_ = 0;
    unsigned requests_ = 0;
    bool refused_ = false;
    bool blind_ = false;  // the parser gave up on bytes RESTinio's own parser will refuse
};

}  // namespace tatou::http
