#pragma once
#include <restinio/all.hpp>

#include "api/request.hpp"

namespace tatou::http {

// Splits a multipart/form-data body into parts that point into the request body (no copies).
void parse_form(const restinio::request_t& req, api::Request& out);

}  // namespace tatou::http
