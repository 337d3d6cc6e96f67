// Arbitrary bytes as a multipart/form-data request into the transport's form parser. The input
// is the Content-Type header value up to the first newline (a first byte of 0 means no header),
// then the body. Contract: the parser never throws, sets a status, keeps at most 16 parts, and
// every part's body points into the request body (the handlers read it without copying).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/form_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    std::optional<std::string_view> content_type;
    std::string_view body = input;
    if (nl != std::string_view::npos) {
        if (!(nl > 0 && input[0] == '\0')) content_type = input.substr(0, nl);
        body = input.substr(nl + 1);
    }
    tatou::api::Request request;
    tatou::http::parse_form_body(content_type, body, request);
    using S = tatou::api::FormStatus;
    if (request.form_status == S::not_parsed) std::abort();
    if (request.form.size() > 16) std::abort();
    for (const auto& part : request.form) {
        if (part.body.empty()) continue;
        if (part.body.data() < body.data() || part.body.data() + part.body.size() > body.data() + body.size())
            std::abort();
    }
    return 0;
}
