#pragma once
// The client's address as Tatou counts it (login throttling, logs). Behind a load balancer
// every request comes from the balancer, so the address it appends to X-Forwarded-For is used
// instead, but only when the direct peer is a configured trusted proxy (otherwise any client
// could pick its own address and escape throttling).
#include <string>
#include <string_view>
#include <vector>

namespace tatou::http {

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

}  // namespace tatou::http
