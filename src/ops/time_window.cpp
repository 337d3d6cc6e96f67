#include "ops/time_window.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "obs/audit_record.hpp"

namespace tatou::ops {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970) return std::nullopt;
    std::size_t at = 19;
    std::int64_t ms = 0;
    if (at < s.size() && s[at] == '.') {
        ++at;
        int scale = 100, n = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
            ms += (s[at] - '0') * scale;
            scale /= 10;
            ++at;
            ++n;
        }
        if (n == 0 || n > 9) return std::nullopt;
    }
    const std::string_view zone = s.substr(at);
    if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    const std::time_t t = ::timegm(&tm);
    if (tm.tm_mday != d) return std::nullopt;  // 31 February and the like were normalised away
    return static_cast<std::int64_t>(t) * 1000 + ms;
}

std::optional<std::int64_t> parse_time_ms(std::string_view text, std::int64_t now) {
    if (text.size() >= 2 && text.size() <= 9) {
        const char unit = text.back();
        int n = 0;
        if ((unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') &&
            digits(text, 0, text.size() - 1, n)) {
            const std::int64_t secs = std::int64_t{n} * (unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
            return now - secs * 1000;
        }
    }
    return parse_rfc3339_ms(text);
}

std::string format_time(std::int64_t unix_ms) { return obs::format_timestamp(unix_ms); }

std::string format_duration(std::int64_t ms) {
    const char* sign = ms < 0 ? "-" : "";
    if (ms < 0) ms = -ms;
    char buf[64];
    if (ms < 60000) {
        if (ms % 1000 == 0)
            std::snprintf(buf, sizeof buf, "%s%llds", sign, static_cast<long long>(ms / 1000));
        else
            std::snprintf(buf, sizeof buf, "%s%lld.%03llds", sign, static_cast<long long>(ms / 1000),
                          static_cast<long long>(ms % 1000));
        return buf;
    }
    const long long s = ms / 1000, h = s / 3600, m = (s % 3600) / 60, r = s % 60;
    if (h > 0)
        std::snprintf(buf, sizeof buf, "%s%lldh %02lldm %02llds", sign, h, m, r);
    else
        std::snprintf(buf, sizeof buf, "%s%lldm %02llds", sign, m, r);
    return buf;
}

}  // namespace tatou::ops
