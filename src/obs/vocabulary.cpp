#include "obs/vocabulary.hpp"

namespace tatou::obs {

namespace {

constexpr Level info = Level::info, warn = Level::warn, critical = Level::critical;

constexpr ActionSpec kSpecs[] = {
#define TATOU_X(name, level, category, type, custom) \
    {Action::name, #name, level, category, type, std::string_view(custom) == "custom"},
    TATOU_AUDIT_ACTIONS(TATOU_X)
#undef TATOU_X
};

}  // namespace

const ActionSpec& spec(Action action) { return kSpecs[static_cast<std::size_t>(action)]; }

std::span<const ActionSpec> all_actions() { return kSpecs; }

std::string_view level_name(Level level) {
    switch (level) {
        case Level::info: return "INFO";
        case Level::warn: return "WARN";
        case Level::critical: return "CRITICAL";
    }
    return "INFO";
}

int otel_severity(Level level) {
    switch (level) {
        case Level::info: return 9;
        case Level::warn: return 13;
        case Level::critical: return 21;
    }
    return 9;
}

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::success: return "success";
        case Outcome::failure: return "failure";
        case Outcome::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view reason_name(Reason reason) {
    switch (reason) {
        case Reason::none: return "";
        case Reason::bad_credentials: return "bad_credentials";
        case Reason::rate_limited: return "rate_limited";
        case Reason::fail_max: return "maxretries";
        case Reason::credential_stuffing: return "credential_stuffing";
        case Reason::account_locked: return "locked";
        case Reason::token_missing: return "missing";
        case Reason::token_malformed: return "malformed";
        case Reason::token_unknown: return "unknown_token";
        case Reason::token_expired: return "expired";
        case Reason::token_revoked: return "revoked";
        case Reason::user_gone: return "user_gone";
        case Reason::wrong_password: return "wrong_password";
        case Reason::not_found: return "not_found";
        case Reason::not_owner: return "not_owner";
        case Reason::honeytoken: return "honeytoken";
        case Reason::bad_input: return "bad_input";
        case Reason::bad_id: return "bad_id";
        case Reason::unknown_field: return "unknown_field";
        case Reason::unsupported_media: return "unsupported_media";
        case Reason::too_large: return "too_large";
        case Reason::quota_exceeded: return "quota_exceeded";
        case Reason::conflict: return "conflict";
        case Reason::unknown_method: return "unknown_method";
        case Reason::bad_position: return "bad_position";
        case Reason::not_pdf: return "not_pdf";
        case Reason::unreadable_pdf: return "unreadable_pdf";
        case Reason::bad_filename: return "bad_filename";
        case Reason::wrong_key: return "wrong_key";
        case Reason::no_watermark: return "no_watermark";
        case Reason::undecryptable: return "undecryptable";
        case Reason::unknown_identity: return "unknown_identity";
        case Reason::unknown_session: return "unknown_session";
        case Reason::session_expired: return "session_expired";
        case Reason::source_blocked: return "source_blocked";
        case Reason::read_only: return "read_only";
        case Reason::admin: return "admin";
        case Reason::file_missing: return "file_missing";
        case Reason::unavailable: return "unavailable";
        case Reason::audit_unavailable: return "audit_unavailable";
        case Reason::internal: return "internal";
    }
    return "";
}

}  // namespace tatou::obs
