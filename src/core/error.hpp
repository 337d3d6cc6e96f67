#pragma once
// Errors are thrown by kind and mapped to an HTTP status in one place (api/reply.cpp).
#include <optional>
#include <stdexcept>
#include <string>

namespace tatou {

enum class Errc {
    bad_request,
    unauthorized,
    forbidden,
    not_found,
    method_not_allowed,
    conflict,
    gone,
    too_large,
    unsupported_media,
    rate_limited,
    unavailable,
    internal,
};

// The message is shown to the client: it must never carry internals or secrets.
class Error : public std::runtime_error {
public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}

    Errc code() const noexcept { return code_; }

    // Seconds the client should wait (429/503); rendered as Retry-After.
    std::optional<int> retry_after;
    // Login throttling tells the client how many attempts remain.
    std::optional<int> remaining_attempts;

private:
    Errc code_;
};

}  // namespace tatou
