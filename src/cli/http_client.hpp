#pragma once
// A minimal blocking HTTP/1.1 client for the operator commands (`tatou rmap client`): plain
// http:// only (TLS is a reverse proxy's job, as for the server), one request per connection.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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

}  // namespace tatou::cli
