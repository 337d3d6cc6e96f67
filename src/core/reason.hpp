#pragma once
// Why a decision went the way it did: a closed set, so the audit log and the metrics can name it
// without free text from the request ever reaching them.
#include <cstdint>

namespace tatou {

enum class Reason : std::uint8_t {
    none,
    // authentication
    bad_credentials,
    rate_limited,
    fail_max,             // this failure reached the per-account threshold
    credential_stuffing,  // this failure reached the distinct-accounts-per-source threshold
    account_locked,
    token_missing,
    token_malformed,
    token_unknown,
    token_expired,
    token_revoked,
    user_gone,
    wrong_password,  // re-authentication (password change) failed
    // authorisation and lookups
    not_found,
    not_owner,
    honeytoken,
    // input
    bad_input,
    bad_id,
    unknown_field,
    unsupported_media,
    too_large,
    quota_exceeded,
    conflict,
    unknown_method,
    bad_position,
    not_pdf,
    unreadable_pdf,
    bad_filename,
    wrong_key,
    no_watermark,
    // RMAP
    undecryptable,     // not a message for our key, or not OpenPGP at all
    unknown_identity,
    unknown_session,   // message 2 without a matching message 1
    session_expired,
    // containment
    source_blocked,
    read_only,
    admin,
    // the server side
    file_missing,
    unavailable,
    audit_unavailable,
    internal,
};

}  // namespace tatou
