// Arbitrary bytes as a JSON request body into JsonBody and every typed accessor the handlers use.
// Contract: a body is either accepted or refused with a tatou::Error of a client kind (400, 413,
// 415); any other exception, a server-side kind, a crash or a sanitizer report is a finding.
// The first byte picks the Content-Type and whether an empty body counts as {}.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/json_body.hpp"
#include "core/error.hpp"

namespace {

namespace api = tatou::api;

void client_error_only(const tatou::Error& e) {
    switch (e.code()) {
        case tatou::Errc::bad_request:
        case tatou::Errc::too_large:
        case tatou::Errc::unsupported_media: return;
        default: std::abort();  // a bad body answered as anything but a 4xx of the body's own
    }
}

template <typename F>
void guarded(F&& f) {
    try {
        f();
    } catch (const tatou::Error& e) {
        client_error_only(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr const char* kTypes[] = {"", "application/json", "application/problem+json; charset=utf-8",
                                             "text/plain", "APPLICATION/JSON ;x=y"};
    api::Request request;
    request.content_type = kTypes[(data[0] & 0x7f) % 5];
    const bool empty_ok = (data[0] & 0x80) != 0;
    request.body = std::string_view(reinterpret_cast<const char*>(data + 1), size - 1);
    guarded([&] {
        // The union of the fields the routes accept.
        const api::JsonBody body(request,
                                 {"login", "email", "password", "id", "documentid", "name", "method", "position",
                                  "key", "secret", "intended_for", "seconds", "enabled", "reason", "payload"},
                                 empty_ok);
        for (const char* f : {"login", "email", "password", "id", "documentid", "name", "method", "position", "key",
                              "secret", "intended_for", "seconds", "enabled", "reason", "payload", "absent"}) {
            guarded([&] { (void)body.required_string(f); });
            guarded([&] { (void)body.optional_string(f, 8); });
            guarded([&] { (void)body.optional_id(f); });
            guarded([&] { (void)body.optional_int(f); });
            guarded([&] { (void)body.required_bool(f); });
            guarded([&] { (void)body.optional_bool(f); });
        }
    });
    guarded([&] { (void)api::require_id(request.body.substr(0, 32), "document id required"); });
    return 0;
}
