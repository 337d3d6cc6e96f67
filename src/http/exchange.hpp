#pragma once
// Between RESTinio and the API layer: a RESTinio request becomes an api::Request (plain values,
// the client address behind trusted proxies, a safe request id, the trace context), and an
// api::Reply goes out with the security headers and the request id.
#include <restinio/all.hpp>

#include <string>
#include <vector>

#include "api/reply.hpp"
#include "api/request.hpp"

namespace tatou::http {

api::Request make_request(const restinio::request_handle_t& req, const std::vector<std::string>& trusted_proxies);

// Error and 413 replies close the connection: what follows them on the wire is not trusted.
void send(const restinio::request_handle_t& req, const api::Request& request, api::Reply reply);

}  // namespace tatou::http
