#include "api/json_body.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/validation.hpp"

namespace tatou::api {
namespace {

bool is_json_media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    std::string media = validation::to_lower_ascii(validation::trim(content_type.substr(0, semi)));
    return media == "application/json" || (media.size() > 5 && media.ends_with("+json"));
}

// Nesting depth outside strings; the parser itself has no depth limit.
bool depth_within(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

}  // namespace

JsonBody::JsonBody(const Request& request, std::initializer_list<std::string_view> allowed, bool empty_ok) {
    if (request.body.size() > kMaxJsonBody) throw Error(Errc::too_large, "JSON body too large (limit 64 KiB)");
    if (!request.content_type.empty() && !is_json_media_type(request.content_type))
        throw Error(Errc::unsupported_media, Reason::unsupported_media, "Content-Type must be application/json");
    if (validation::trim(request.body).empty()) {
        if (!empty_ok) throw Error(Errc::bad_request, "Invalid JSON payload. Expected a JSON object");
        doc_ = nlohmann::json::object();
        return;
    }
    if (!depth_within(request.body, kMaxJsonDepth)) throw Error(Errc::bad_request, "JSON nested too deeply");
    doc_ = nlohmann::json::parse(request.body, nullptr, false);
    if (doc_.is_discarded() || !doc_.is_object())
        throw Error(Errc::bad_request, "Invalid JSON payload. Expected a JSON object");
    for (const auto& [key, value] : doc_.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            throw Error(Errc::bad_request, Reason::unknown_field, "Unexpected field: " + key.substr(0, 64));
    }
}

const nlohmann::json* JsonBody::field(std::string_view name) const {
    const auto it = doc_.find(name);
    if (it == doc_.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string JsonBody::required_string(std::string_view name, std::size_t max_bytes) const {
    auto value = optional_string(name, max_bytes);
    if (!value || value->empty()) throw Error(Errc::bad_request, "Missing required field: " + std::string(name));
    return *value;
}

std::optional<std::string> JsonBody::optional_string(std::string_view name, std::size_t max_bytes) const {
    const auto* v = field(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) throw Error(Errc::bad_request, "Field '" + std::string(name) + "' must be a string");
    auto s = v->get<std::string>();
    if (s.size() > max_bytes) throw Error(Errc::bad_request, "Field '" + std::string(name) + "' is too long");
    return s;
}

std::optional<std::int64_t> JsonBody::optional_int(std::string_view name) const {
    const auto* v = field(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer() || v->get<std::int64_t>() < 0 || v->get<std::int64_t>() > 1000000000)
        throw Error(Errc::bad_request, Reason::bad_input,
                    "Field '" + std::string(name) + "' must be an integer from 0 to 1000000000");
    return v->get<std::int64_t>();
}

bool JsonBody::required_bool(std::string_view name) const {
    const auto* v = field(name);
    if (v == nullptr || !v->is_boolean())
        throw Error(Errc::bad_request, Reason::bad_input, "Field '" + std::string(name) + "' must be true or false");
    return v->get<bool>();
}

std::optional<bool> JsonBody::optional_bool(std::string_view name) const {
    if (field(name) == nullptr) return std::nullopt;
    return required_bool(name);
}

std::optional<std::int64_t> JsonBody::optional_id(std::string_view name) const {
    const auto* v = field(name);
    if (v == nullptr) return std::nullopt;
    std::optional<std::int64_t> id;
    if (v->is_number_unsigned()) {
        const auto u = v->get<std::uint64_t>();
        if (u > 0 && u <= static_cast<std::uint64_t>(INT64_MAX)) id = static_cast<std::int64_t>(u);
    } else if (v->is_number_integer()) {
        const auto i = v->get<std::int64_t>();
        if (i > 0) id = i;
    } else if (v->is_string()) {
        id = validation::parse_id(v->get<std::string>());
    }
    if (!id) throw Error(Errc::bad_request, Reason::bad_id, "document id must be a positive integer");
    return id;
}

std::int64_t require_id(std::optional<std::string_view> text, const char* message) {
    if (!text) throw Error(Errc::bad_request, message);
    const auto id = validation::parse_id(*text);
    if (!id) throw Error(Errc::bad_request, Reason::bad_id, "document id must be a positive integer");
    return *id;
}

}  // namespace tatou::api
