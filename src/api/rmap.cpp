// POST /api/rmap-initiate and /api/rmap-get-link: the JSON envelope around the handshake
// (core/rmap_handshake.hpp). Input texts follow platform.md §7.6, which existing fuzz tests check.
#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "core/error.hpp"
#include "rmap/payload.hpp"

namespace tatou::api {
namespace {

// Shorter payloads cannot hold an OpenPGP message; the text is the original's.
constexpr std::size_t kMinPayloadChars = 10;
constexpr const char* kPayloadType = "Field 'payload' must be a string of at least 10 characters.";

// {"payload": "<string>"}. "method" is accepted and ignored: the original let clients pick the
// watermarking method there; here the server chooses.
std::string payload_of(const Request& request) {
    const JsonBody body(request, {"payload", "method"});
    std::optional<std::string> payload;
    try {
        payload = body.optional_string("payload", kMaxJsonBody);
    } catch (const Error&) {
        throw Error(Errc::bad_request, kPayloadType);
    }
    if (!payload) throw Error(Errc::bad_request, "payload field is required");
    if (payload->size() < kMinPayloadChars) throw Error(Errc::bad_request, kPayloadType);
    if (payload->size() > rmap::kMaxPayloadChars) throw Error(Errc::bad_request, "Field 'payload' is too long");
    return *payload;
}

}  // namespace

Reply rmap_initiate(Request& request, Services& services) {
    services.rmap.require_configured();  // 503 before judging the input, as both routes promise
    const auto reply = services.rmap.initiate(payload_of(request), request.client_ip);
    return json_reply(200, {{"payload", reply.payload}});
}

Reply rmap_get_link(Request& request, Services& services) {
    services.rmap.require_configured();
    const auto reply = services.rmap.get_link(payload_of(request), request.client_ip);
    nlohmann::json body = {{"payload", reply.payload}};
    if (reply.result) body["result"] = *reply.result;
    return json_reply(200, body);
}

}  // namespace tatou::api
