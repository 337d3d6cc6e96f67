#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace tatou::http {
namespace {

bool is_ip(const std::string& s) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
    const std::string direct(peer);
    if (forwarded_for.empty() ||
        std::find(trusted_proxies.begin(), trusted_proxies.end(), direct) == trusted_proxies.end())
        return direct;
    // The trusted proxy appended the address it saw last; earlier entries are client-supplied.
    const auto comma = forwarded_for.rfind(',');
    const std::string last = trimmed(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    return is_ip(last) ? last : direct;
}

}  // namespace tatou::http
