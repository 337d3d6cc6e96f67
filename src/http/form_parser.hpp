#pragma once
#include <optional>
#include <restinio/all.hpp>
#include <string_view>

#include "api/request.hpp"

namespace tatou::http {

// Splits a multipart/form-data body into parts that point into the request body (no copies).
void parse_form(const restinio::request_t& req, api::Request& out);

// The same on plain values (the Content-Type header, if any, and the body): what parse_form
// does once the transport has handed over the request, and what the fuzz target drives.
void parse_form_body(std::optional<std::string_view> content_type, std::string_view body, api::Request& out);

}  // namespace tatou::http
