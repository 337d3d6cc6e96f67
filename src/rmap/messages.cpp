#include "rmap/messages.hpp"

#include <nlohmann/json.hpp>

#include "rmap/nonce.hpp"
#include "rmap/openpgp.hpp"

namespace tatou::rmap {
namespace {

using nlohmann::json;

// Messages are flat objects; refusing depth early keeps hostile nesting cheap.
constexpr int kMaxDepth = 4;

json parse_object(std::string_view plaintext) {
    if (plaintext.size() > kMaxPlaintextBytes) throw MessageError("plaintext too large");
    json doc;
    try {
        doc = json::parse(plaintext, [](int depth, json::parse_event_t, json&) {
            if (depth > kMaxDepth) throw MessageError("plaintext nested too deeply");
            return true;
        });
    } catch (const json::exception&) {
        throw MessageError("plaintext is not valid UTF-8 JSON");
    }
    if (!doc.is_object()) throw MessageError("plaintext is not a JSON object");
    return doc;
}

std::uint64_t required_u64(const json& doc, const char* field) {
    const auto it = doc.find(field);
    if (it == doc.end()) throw MessageError(std::string("missing ") + field);
    const auto value = exact_u64(*it);
    if (!value) throw MessageError(std::string(field) + " is not an unsigned 64-bit integer");
    return *value;
}

}  // namespace

Msg1 parse_msg1(std::string_view plaintext) {
    const json doc = parse_object(plaintext);
    Msg1 msg;
    const auto it = doc.find("identity");
    if (it == doc.end() || !it->is_string()) throw MessageError("identity missing or not a string");
    msg.identity = it->get<std::string>();
    if (msg.identity.empty() || msg.identity.size() > kMaxIdentityBytes)
        throw MessageError("identity empty or too long");
    msg.nonce_client = required_u64(doc, "nonceClient");
    return msg;
}

Msg2 parse_msg2(std::string_view plaintext) {
    return Msg2{required_u64(parse_object(plaintext), "nonceServer")};
}

Resp1 parse_resp1(std::string_view plaintext) {
    const json doc = parse_object(plaintext);
    return Resp1{required_u64(doc, "nonceClient"), required_u64(doc, "nonceServer")};
}

std::string parse_resp2(std::string_view plaintext) {
    const json doc = parse_object(plaintext);
    for (const char* field : {"result", "link"}) {
        const auto it = doc.find(field);
        if (it != doc.end() && it->is_string()) return it->get<std::string>();
    }
    throw MessageError("resp2 has no result");
}

// Python's json.dumps separators, as RMAP 1.0.2 writes them; the order is the protocol's.
std::string msg1_json(const Msg1& msg) {
    return "{\"identity\": " + json(msg.identity).dump(-1, ' ', false, json::error_handler_t::replace) + ", \"nonceClient\": " + std::to_string(msg.nonce_client) +
           "}";
}

std::string msg2_json(const Msg2& msg) { return "{\"nonceServer\": " + std::to_string(msg.nonce_server) + "}"; }

std::string resp1_json(const Resp1& resp) {
    return "{\"nonceClient\": " + std::to_string(resp.nonce_client) +
           ", \"nonceServer\": " + std::to_string(resp.nonce_server) + "}";
}

std::string resp2_json(const std::string& result) { return "{\"result\": " + json(result).dump(-1, ' ', false, json::error_handler_t::replace) + "}"; }

}  // namespace tatou::rmap
