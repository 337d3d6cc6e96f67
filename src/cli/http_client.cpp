#include "cli/http_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <asio.hpp>
#include <charconv>

#include "core/validation.hpp"

namespace tatou::cli {
namespace {

constexpr std::size_t kMaxResponseBytes = 64u << 20;

std::string header_value(std::string_view headers, std::string_view name) {
    std::size_t pos = 0;
    while (pos < headers.size()) {
        const auto end = headers.find("\r\n", pos);
        const auto line = headers.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos &&
            validation::to_lower_ascii(validation::trim(line.substr(0, colon))) == name)
            return validation::trim(line.substr(colon + 1));
        if (end == std::string_view::npos) break;
        pos = end + 2;
    }
    return {};
}

std::string dechunk(std::string_view body) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const auto eol = body.find("\r\n", pos);
        if (eol == std::string_view::npos) throw HttpFailure("malformed chunked response");
        std::size_t size = 0;
        const auto digits = body.substr(pos, eol - pos);
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
        if (ec != std::errc() || eol + 2 + size > body.size()) throw HttpFailure("malformed chunked response");
        if (size == 0) return out;
        out.append(body.substr(eol + 2, size));
        pos = eol + 2 + size + 2;
    }
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    HttpUrl out;
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) out.base_path = std::string(url.substr(slash));
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        out.port = std::string(authority.substr(colon + 1));
        authority = authority.substr(0, colon);
        unsigned port = 0;
        auto [ptr, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
        if (ec != std::errc() || ptr != out.port.data() + out.port.size() || port == 0 || port > 65535)
            return std::nullopt;
    }
    out.host = std::string(authority);
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
        out.host = out.host.substr(1, out.host.size() - 2);
    if (out.host.empty()) return std::nullopt;
    return out;
}

HttpResponse http_request(const HttpUrl& url, std::string_view method, const std::string& path,
                          const std::string& body, const std::string& content_type, std::chrono::seconds timeout,
                          const std::string& bearer) {
    HttpExtra extra;
    extra.bearer = bearer;
    return http_request(url, method, path, body, content_type, timeout, extra);
}

HttpResponse http_request(const HttpUrl& url, std::string_view method, const std::string& path,
                          const std::string& body, const std::string& content_type, std::chrono::seconds timeout,
                          const HttpExtra& extra) {
    const std::string& bearer = extra.bearer;
    try {
        asio::io_context io;
        asio::ip::tcp::resolver resolver(io);
        asio::ip::tcp::socket socket(io);
        const auto endpoints = resolver.resolve(url.host, url.port);
        if (extra.source_ip.empty()) {
            asio::connect(socket, endpoints);
        } else {
            const auto local = asio::ip::make_address(extra.source_ip);
            asio::error_code ec;
            for (const auto& ep : endpoints) {
                if (ep.endpoint().address().is_v4() != local.is_v4()) continue;
                socket.close(ec);
                socket.open(ep.endpoint().protocol());
                socket.bind(asio::ip::tcp::endpoint(local, 0));
                socket.connect(ep.endpoint(), ec);
                if (!ec) break;
            }
            if (ec || !socket.is_open()) throw HttpFailure("cannot connect from " + extra.source_ip);
        }
        // Blocking reads and writes with a deadline: simplest for a one-shot CLI.
        timeval tv{static_cast<time_t>(timeout.count()), 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

        std::string request = std::string(method) + " " + url.base_path + path + " HTTP/1.1\r\n";
        request += "Host: " + url.host + ":" + url.port + "\r\nConnection: close\r\nAccept: */*\r\n";
        bool own_agent = false;
        for (const auto& [name, value] : extra.headers) {
            if (validation::to_lower_ascii(name) == "user-agent") own_agent = true;
            request += name + ": " + value + "\r\n";
        }
        if (!own_agent) request += "User-Agent: tatou-cli/" TATOU_VERSION "\r\n";
        if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
        if (!bearer.empty()) request += "Authorization: Bearer " + bearer + "\r\n";
        if (method != "GET") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        request += "\r\n" + body;
        asio::write(socket, asio::buffer(request));

        std::string raw;
        std::array<char, 16384> buf{};
        asio::error_code ec;
        while (true) {
            const auto n = socket.read_some(asio::buffer(buf), ec);
            raw.append(buf.data(), n);
            if (raw.size() > kMaxResponseBytes) throw HttpFailure("response larger than 64 MiB");
            if (ec == asio::error::eof) break;
            if (ec) throw HttpFailure("reading the response: " + ec.message());
        }
        const auto head_end = raw.find("\r\n\r\n");
        if (head_end == std::string::npos || !raw.starts_with("HTTP/1.")) throw HttpFailure("malformed HTTP response");
        const std::string_view head(raw.data(), head_end);
        HttpResponse out;
        const auto space = head.find(' ');
        if (space == std::string_view::npos || head.size() < space + 4) throw HttpFailure("malformed status line");
        auto [ptr, perr] = std::from_chars(head.data() + space + 1, head.data() + space + 4, out.status);
        if (perr != std::errc()) throw HttpFailure("malformed status line");
        const auto headers = head.substr(head.find("\r\n") == std::string_view::npos ? head.size() : head.find("\r\n") + 2);
        out.content_type = header_value(headers, "content-type");
        out.body = raw.substr(head_end + 4);
        if (validation::to_lower_ascii(header_value(headers, "transfer-encoding")) == "chunked")
            out.body = dechunk(out.body);
        return out;
    } catch (const asio::system_error& e) {
        throw HttpFailure(url.host + ":" + url.port + ": " + e.what());
    }
}

}  // namespace tatou::cli
