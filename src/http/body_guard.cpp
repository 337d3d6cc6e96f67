#include "http/body_guard.hpp"

#include <nlohmann/json.hpp>

#include "http/security_headers.hpp"

namespace tatou::http {

namespace {

std::vector<std::string> segments_of(std::string_view path) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < path.size()) {
        if (path[at] == '/') {
            ++at;
            continue;
        }
        const auto end = std::min(path.find('/', at), path.size());
        out.emplace_back(path.substr(at, end - at));
        at = end;
    }
    return out;
}

http_method method_of(std::string_view name) {
    if (name == "GET") return HTTP_GET;
    if (name == "POST") return HTTP_POST;
    if (name == "DELETE") return HTTP_DELETE;
    return HTTP_PUT;
}

std::uint64_t limit_of(api::Body body, const config::Limits& limits) {
    switch (body) {
        case api::Body::multipart: return limits.upload_bytes + limits.multipart_overhead_bytes;
        case api::Body::rmap_json: return limits.rmap_body_bytes;
        case api::Body::json_or_none: break;
    }
    return limits.json_body_bytes;
}

}  // namespace

BodyLimits::BodyLimits(std::span<const api::Route> routes, const config::Limits& limits)
    : default_limit_(limits.json_body_bytes) {
    for (const auto& route : routes) {
        auto segments = segments_of(route.path);
        for (auto& s : segments)
            if (!s.empty() && s.front() == ':') s = ":";
        entries_.push_back({method_of(route.method), std::move(segments), limit_of(route.body, limits), &route});
    }
}

BodyLimits::Match BodyLimits::for_request(http_method method, std::string_view target) const {
    const auto path = segments_of(target.substr(0, std::min(target.find('?'), target.size())));
    for (const auto& e : entries_) {
        if (e.method != method || e.segments.size() != path.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < path.size() && same; ++i) same = e.segments[i] == ":" || e.segments[i] == path[i];
        if (same) return {e.limit, e.route};
    }
    return {default_limit_, nullptr};
}

BodyGuard::BodyGuard(const BodyLimits& limits) : limits_(limits) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_message_begin = on_message_begin;
    settings_.on_url = on_url;
    settings_.on_headers_complete = on_headers_complete;
    settings_.on_body = on_body;
}

bool BodyGuard::feed(const char* data, std::size_t size) {
    if (blind_ || refused_) return !refused_;
    const auto used = http_parser_execute(&parser_, &settings_, data, size);
    if (refused_) return false;
    // Anything else the parser stops at (an upgrade, malformed bytes) is for RESTinio's own
    // parser to answer; this one stops watching rather than guess.
    if (used != size || HTTP_PARSER_ERRNO(&parser_) != HPE_OK) blind_ = true;
    return true;
}

std::string BodyGuard::refusal(const std::string& request_id) const {
    if (requests_ != 1) return {};
    const std::string body =
        nlohmann::json{{"error", "request body too large for this route (limit " + std::to_string(limit_) + " bytes)"},
                       {"request_id", request_id}}
            .dump();
    std::string head = "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n";
    for (const auto& [name, value] : kSecurityHeaders) head.append(name).append(": ").append(value).append("\r\n");
    return head + "X-Request-ID: " + request_id + "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int BodyGuard::on_message_begin(http_parser* p) {
    auto& g = *static_cast<BodyGuard*>(p->data);
    g.target_.clear();
    g.body_seen_ = 0;
    g.route_ = nullptr;
    ++g.requests_;
    return 0;
}

int BodyGuard::on_url(http_parser* p, const char* at, std::size_t length) {
    auto& g = *static_cast<BodyGuard*>(p->data);
    // RESTinio refuses a longer target itself; keep only what routing needs.
    if (g.target_.size() < 16 * 1024) g.target_.append(at, std::min<std::size_t>(length, 16 * 1024));
    return 0;
}

int BodyGuard::on_headers_complete(http_parser* p) {
    auto& g = *static_cast<BodyGuard*>(p->data);
    const auto match = g.limits_.for_request(static_cast<http_method>(p->method), g.target_);
    g.limit_ = match.limit;
    g.route_ = match.route;
    if (p->content_length != ULLONG_MAX && p->content_length > g.limit_) {
        g.refused_ = true;
        return -1;
    }
    return 0;
}

int BodyGuard::on_body(http_parser* p, const char*, std::size_t length) {
    auto& g = *static_cast<BodyGuard*>(p->data);
    g.body_seen_ += length;
    if (g.body_seen_ > g.limit_) {
        g.refused_ = true;
        return -1;
    }
    return 0;
}

}  // namespace tatou::http
