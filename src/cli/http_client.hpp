#pragma once
// A minimal blocking HTTP/1.1 client for the operator commands (`tatou rmap client`): plain
// http:// only (TLS is a reverse proxy's job, as for the server), one request per connection.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tatou::cli {

struct HttpUrl {
    std::string host;
    std::string port = "80";
    std::string base_path;  // without a trailing '/', may be empty
};

// "http://host[:port][/base]"; nullopt for anything else (https included).
std::optional<HttpUrl> parse_http_url(std::string_view url);

struct HttpResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

struct HttpFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Sends one request to base_path + path. Bodies are capped at 64 MiB. Throws HttpFailure on
// network errors, timeouts and malformed responses.
HttpResponse http_request(const HttpUrl& url, std::string_view method, const std::string& path,
                          const std::string& body, const std::string& content_type, std::chrono::seconds timeout,
                          const std::string& bearer = "");

// The same with extra headers and, when source_ip is set, the local address to send from (any
// 127.0.0.0/8 address works on Linux loopback: the drills use one per scenario).
struct HttpExtra {
    std::string bearer;
    std::vector<std::pair<std::string, std::string>> headers;  // User-Agent here replaces ours
    std::string source_ip;
};
HttpResponse http_request(const HttpUrl& url, std::string_view method, const std::string& path,
                          const std::string& body, const std::string& content_type, std::chrono::seconds timeout,
                          const HttpExtra& extra);

}  // namespace tatou::cli
