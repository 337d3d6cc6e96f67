#pragma once
// Turns a request body into typed fields, naming the bad field on failure. Enforces the JSON
// limits: 64 KiB, nesting depth 32, an object at the top, no unknown fields.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/request.hpp"
#include "config/limits.hpp"

namespace tatou::api {

// The largest body any JSON route accepts; the transport refuses more per route before buffering.
inline constexpr std::size_t kMaxJsonBody = config::Limits{}.rmap_body_bytes;
inline constexpr int kMaxJsonDepth = 32;

class JsonBody {
public:
    // An empty body counts as {} when empty_ok.
    JsonBody(const Request& request, std::initializer_list<std::string_view> allowed_fields,
             bool empty_ok = false);

    std::string required_string(std::string_view field, std::size_t max_bytes = 4096) const;
    std::optional<std::string> optional_string(std::string_view field, std::size_t max_bytes = 4096) const;
    // A document id: a JSON integer or a decimal string; booleans and floats are refused.
    std::optional<std::int64_t> optional_id(std::string_view field) const;
    // A JSON integer in [0, 10^9] (durations, counts).
    std::optional<std::int64_t> optional_int(std::string_view field) const;
    bool required_bool(std::string_view field) const;
    std::optional<bool> optional_bool(std::string_view field) const;

private:
    const nlohmann::json* field(std::string_view name) const;
    nlohmann::json doc_;
};

// Throws Error{bad_request} naming the id problem; message fixed by the route family.
std::int64_t require_id(std::optional<std::string_view> text, const char* message);

}  // namespace tatou::api
