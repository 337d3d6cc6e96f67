#pragma once
// Errors are thrown by kind and mapped to an HTTP status in one place (api/reply.cpp).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/reason.hpp"

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
    locked,
    unavailable,
    internal,
};

// The message is shown to the client: it must never carry internals or secrets.
class Error : public std::runtime_error {
public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    Error(Errc code, Reason reason, const std::string& message)
        : std::runtime_error(message), code_(code), reason_(reason) {}

    Errc code() const noexcept { return code_; }
    Reason reason() const noexcept { return reason_; }

    // Seconds the client should wait (429/503); rendered as Retry-After.
    std::optional<int> retry_after;
    // Login throttling tells the client how many attempts remain.
    std::optional<int> remaining_attempts;
    // The storage quota a refused request would have passed: named to the client.
    struct Quota {
        std::string name;  // documents | bytes | versions
        std::int64_t limit = 0;
        std::int64_t used = 0;
    };
    std::optional<Quota> quota;
    // The account a refused request was about (a revoked token's owner, a locked account), for
    // the audit record only: it is never rendered to the client.
    std::optional<std::int64_t> subject_user;

private:
    Errc code_;
    Reason reason_ = Reason::none;
};

}  // namespace tatou
