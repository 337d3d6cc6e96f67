#include "store/db_url.hpp"

#include <cctype>
#include <charconv>

namespace tatou {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view in, const char* what) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        const int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
        const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw DbUrlError(std::string("bad percent-encoding in the ") + what);
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// Both SOCI's MySQL parser and libpq accept 'single-quoted' values with backslash escapes.
std::string quoted(std::string_view v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
}

bool valid_database_name(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '$') return false;
    return true;
}

}  // namespace

DbUrl parse_db_url(std::string_view url) {
    DbUrl out;
    if (url.rfind("sqlite:", 0) == 0) {
        out.backend = DbBackend::sqlite;
        out.path = std::string(url.substr(7));
        if (out.path.empty()) throw DbUrlError("sqlite: needs a file path");
        if (out.path.find_first_of(" \t=") != std::string::npos)
            throw DbUrlError("sqlite: the file path may not contain spaces or '='");
        return out;
    }
    std::string_view rest;
    if (url.rfind("mysql://", 0) == 0 || url.rfind("mariadb://", 0) == 0) {
        out.backend = DbBackend::mysql;
        out.port = 3306;
        rest = url.substr(url.find("://") + 3);
    } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        out.backend = DbBackend::postgresql;
        out.port = 5432;
        rest = url.substr(url.find("://") + 3);
    } else {
        throw DbUrlError("unsupported URL scheme (sqlite:, mysql://, postgresql://)");
    }
    const std::string scheme(url.substr(0, url.find("://") + 3));
    const std::string shape = "expected " + scheme + "user:password@host:port/database";
    if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
        throw DbUrlError("query parameters are not supported; " + shape);
    const auto at = rest.rfind('@');
    if (at == std::string_view::npos) throw DbUrlError("missing user@; " + shape);
    const auto userinfo = rest.substr(0, at);
    const auto hostpart = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    out.user = percent_decode(userinfo.substr(0, colon), "user");
    if (colon != std::string_view::npos) out.password = percent_decode(userinfo.substr(colon + 1), "password");
    if (out.user.empty()) throw DbUrlError("missing user; " + shape);

    const auto slash = hostpart.find('/');
    if (slash == std::string_view::npos) throw DbUrlError("missing /database; " + shape);
    out.database = percent_decode(hostpart.substr(slash + 1), "database name");
    if (!valid_database_name(out.database))
        throw DbUrlError("database name must be 1-63 letters, digits, _ - or $");
    std::string_view hostport = hostpart.substr(0, slash);
    std::string_view port;
    if (!hostport.empty() && hostport.front() == '[') {  // [ipv6]:port
        const auto close = hostport.find(']');
        if (close == std::string_view::npos) throw DbUrlError("unclosed [ in host; " + shape);
        out.host = std::string(hostport.substr(1, close - 1));
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') throw DbUrlError("bad host; " + shape);
            port = hostport.substr(close + 2);
        }
    } else {
        const auto pc = hostport.rfind(':');
        out.host = percent_decode(hostport.substr(0, pc), "host");  // %2F... is a socket path
        if (pc != std::string_view::npos) port = hostport.substr(pc + 1);
    }
    if (out.host.empty()) throw DbUrlError("missing host; " + shape);
    if (out.host.front() != '/')
        for (char c : out.host)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':')
                throw DbUrlError("invalid host name; " + shape);
    if (!port.empty() || hostport.ends_with(":")) {
        int p = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
            throw DbUrlError("invalid port; " + shape);
        out.port = p;
    }
    return out;
}

std::string soci_connect_string(const DbUrl& url, int timeout_s) {
    const std::string t = std::to_string(timeout_s);
    switch (url.backend) {
        case DbBackend::sqlite:
            // SOCI's SQLite parser takes values up to the next space and knows no quoting.
            return "db=" + url.path + " timeout=10";
        case DbBackend::mysql: {
            std::string s = "db=" + quoted(url.database) + " user=" + quoted(url.user);
            if (!url.password.empty()) s += " password=" + quoted(url.password);
            if (url.host.front() == '/')
                s += " unix_socket=" + quoted(url.host);
            else
                s += " host=" + quoted(url.host) + " port=" + std::to_string(url.port);
            return s + " charset=utf8mb4 connect_timeout=" + t + " read_timeout=" + t + " write_timeout=" + t;
        }
        case DbBackend::postgresql: {
            std::string s = "dbname=" + quoted(url.database) + " user=" + quoted(url.user);
            if (!url.password.empty()) s += " password=" + quoted(url.password);
            s += " host=" + quoted(url.host) + " port=" + std::to_string(url.port);
            // TCP keepalives notice a vanished idle server; statement_timeout bounds a slow query.
            // tcp_user_timeout: a request already sent to a server that vanished from the network.
            return s + " connect_timeout=" + t + " tcp_user_timeout=" + std::to_string(timeout_s * 1000) +
                   " keepalives=1 keepalives_idle=5 keepalives_interval=2" +
                   " keepalives_count=2 application_name=tatou" + " options='-c client_min_messages=warning -c statement_timeout=" +
                   std::to_string(timeout_s * 1000) + "'";
        }
    }
    return {};
}

DbConfig db_config_from_url(std::string_view url, std::size_t pool_size, int timeout_s) {
    const DbUrl parsed = parse_db_url(url);
    DbConfig config;
    config.backend = parsed.backend;
    config.soci_connect = soci_connect_string(parsed, timeout_s);
    config.pool_size = pool_size;
    config.lease_timeout_ms = timeout_s * 1000;
    config.query_timeout_ms = timeout_s * 1000;
    return config;
}

std::string percent_encode_component(std::string_view raw) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : raw) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string masked_db_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto at = url.rfind('@');
    if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end)
        return std::string(url);
    const auto colon = url.find(':', scheme_end + 3);
    if (colon == std::string_view::npos || colon > at) return std::string(url);
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace tatou
