#include "http/exchange.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/crypto.hpp"
#include "http/client_address.hpp"
#include "http/security_headers.hpp"

namespace tatou::http {

namespace {

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

// W3C traceparent "00-<32 hex trace>-<16 hex span>-<2 hex flags>", neither id all zeros.
bool parse_traceparent(std::string_view v, std::string& trace, std::string& span) {
    if (v.size() != 55 || v.substr(0, 3) != "00-" || v[35] != '-' || v[52] != '-') return false;
    const auto hex = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    };
    const auto t = v.substr(3, 32), s = v.substr(36, 16);
    if (!hex(t) || !hex(s) || !hex(v.substr(53, 2))) return false;
    if (t == std::string(32, '0') || s == std::string(16, '0')) return false;
    trace = t;
    span = s;
    return true;
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

}  // namespace

api::Request make_request(const restinio::request_handle_t& req, const std::vector<std::string>& trusted_proxies) {
    api::Request r;
    const auto& h = req->header();
    r.method = std::string(h.method().c_str());
    r.path = std::string(h.path());
    r.body = std::string_view(req->body());
    r.content_type = header_or_empty(*req, restinio::http_field::content_type);
    r.authorization = header_or_empty(*req, restinio::http_field::authorization);
    r.client_ip = client_address(req->remote_endpoint().address().to_string(),
                                 forwarded_for(h), trusted_proxies);
    const auto incoming = h.opt_value_of("X-Request-ID");
    r.request_id = incoming && safe_request_id(*incoming) ? std::string(*incoming) : crypto::random_hex(16);
    auto& info = r.info;
    info.request_id = r.request_id;
    info.method = r.method;
    info.path = r.path.substr(0, 512);
    info.source_ip = r.client_ip;
    info.source_port = req->remote_endpoint().port();
    info.user_agent = header_or_empty(*req, restinio::http_field::user_agent).substr(0, 512);
    if (const auto tp = h.opt_value_of("traceparent")) parse_traceparent(*tp, info.trace_id, info.span_id);
    return r;
}

void send(const restinio::request_handle_t& req, const api::Request& request, api::Reply reply) {
    auto resp = req->create_response(restinio::http_status_line_t{
        restinio::http_status_code_t{static_cast<std::uint16_t>(reply.status)}, reason_phrase(reply.status)});
    resp.append_header(restinio::http_field::content_type, reply.content_type);
    resp.append_header("X-Request-ID", request.request_id);
    for (const auto& [name, value] : kSecurityHeaders) resp.append_header(std::string(name), std::string(value));
    // JSON answers carry bearer tokens, version links, watermark secrets and RMAP results: no
    // cache (browser, proxy, CDN) may keep one. A handler that sets its own Cache-Control wins.
    const bool json = reply.content_type.starts_with("application/json") || reply.content_type.find("+json") != std::string::npos;
    const bool cache_set = std::any_of(reply.headers.begin(), reply.headers.end(), [](const auto& h) {
        return std::equal(h.first.begin(), h.first.end(), std::string_view("cache-control").begin(),
                          std::string_view("cache-control").end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    });
    if (json && !cache_set) resp.append_header("Cache-Control", "no-store");
    for (auto& [name, value] : reply.headers) resp.append_header(std::move(name), std::move(value));
    if (reply.status >= 500 || reply.status == 413) resp.connection_close();
    resp.set_body(std::move(reply.body));
    resp.done();
}

}  // namespace tatou::http
