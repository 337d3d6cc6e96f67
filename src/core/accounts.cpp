#include "core/accounts.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/containment.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/token_root.hpp"
#include "core/validation.hpp"

namespace tatou {

namespace v = validation;

std::string email_key(std::string_view email) { return v::to_lower_ascii(v::trim(email)); }

AccountService::AccountService(Store& store, const PasswordHasher& hasher, LoginThrottle& throttle,
                               AccountSettings settings)
    : store_(store),
      hasher_(hasher),
      throttle_(throttle),
      settings_(std::move(settings)),
      lock_hash_key_(crypto::hmac_sha256(settings_.token_key, "tatou/login-lock/v1")),
      signups_(settings_.signup),
      token_key_(std::make_shared<const std::string>(settings_.token_root_key.value_or(settings_.token_key))) {}

void AccountService::replace_token_root() {
    if (settings_.token_root_file.empty()) throw Error(Errc::unavailable, "no token key file is configured");
    auto key = std::make_shared<const std::string>(token_key_from_root(tatou::replace_token_root(settings_.token_root_file)));
    std::lock_guard lock(token_key_mu_);
    token_key_ = std::move(key);
}

std::string AccountService::lock_key(const std::string& email_key) const {
    return crypto::hmac_sha256_hex(lock_hash_key_, email_key);
}

// Called when this node's count locks an email: every node refuses it from now on. When the
// write fails the lock still holds here.
void AccountService::share_lock(const std::string& email_key) {
    const auto now = unix_now();
    try {
        store_.set_login_lock(lock_key(email_key), now + throttle_.policy().lock_duration.count(), now);
    } catch (const Error&) {
    }
}

User AccountService::create(const NewAccount& account, const std::string& client_ip) {
    User user;
    user.email = v::trim(account.email);
    user.login = v::trim(account.login);
    if (!v::valid_email(user.email)) throw Error(Errc::bad_request, "Invalid email format");
    if (!v::valid_login(user.login))
        throw Error(Errc::bad_request, "Invalid username format. Use 3-50 characters: letters, numbers, _, -");
    if (!v::valid_password(account.password))
        throw Error(Errc::bad_request,
                    "Password must be at least 10 characters and contain at least 2 character types "
                    "(lowercase, uppercase, digits)");
    // Each sign-up costs an Argon2id: one source gets a bounded number per window.
    if (const auto d = signups_.acquire(client_ip); !d.allowed) {
        Error e(Errc::rate_limited, Reason::rate_limited, "Too many accounts created from this address. Try again later.");
        e.retry_after = d.retry_after_s;
        throw e;
    }
    user.password_hash = hasher_.hash(account.password);
    user.id = store_.create_user(user, email_key(user.email));
    return user;
}

IssuedToken AccountService::issue(UserId user, std::int64_t session_started_at) {
    const auto now = unix_now();
    const auto session_ends = session_started_at + settings_.session_max_lifetime_s;
    if (session_ends <= now) throw Error(Errc::unauthorized, Reason::token_expired, "Session expired; log in again");
    const auto expires = std::min(now + settings_.token_ttl_s, session_ends);
    const std::string token = crypto::base64_encode(crypto::random_bytes(32), crypto::B64::url_safe);
    const std::string clean = token.substr(0, token.find('='));
    // issued_at records the session's start: what the absolute lifetime is counted from.
    store_.insert_token(token_hash(clean), user, session_started_at, expires);
    return IssuedToken{clean, expires - now, user};
}

// Generation 1 is the key every existing token was issued under; each rotation derives a new
// one, so every token issued before stops matching at once.
std::string AccountService::token_hash(std::string_view token) const {
    std::shared_ptr<const std::string> root;
    {
        std::lock_guard lock(token_key_mu_);
        root = token_key_;
    }
    const int generation = containment_ != nullptr ? containment_->token_generation() : 1;
    if (generation == 1) return crypto::hmac_sha256_hex(*root, token);
    const std::string key = crypto::hmac_sha256(*root, "generation:" + std::to_string(generation));
    return crypto::hmac_sha256_hex(key, token);
}

void AccountService::admit(const std::string& client_ip, const std::string& key) {
    auto decision = throttle_.check(client_ip, key);
    // Automatic locks are shared: one that another node set (or this one before a restart)
    // refuses here too, before any password check, exactly like a lock of this node's own.
    std::optional<std::int64_t> shared_until;
    if (throttle_.policy().lock_after > 0) {
        try {
            shared_until = store_.login_lock(lock_key(key), unix_now());
            if (decision.locked && !shared_until) {
                // An operator lifted the lock (on whichever node): forget this node's copy.
                throttle_.unlock(key);
                decision = throttle_.check(client_ip, key);
            }
        } catch (const Error&) {
            if (!decision.locked) throw;  // the database is away: no login could proceed anyway
        }
    }
    if (decision.locked || shared_until) {
        Error e(Errc::locked, Reason::account_locked, "Account temporarily locked. Try again later.");
        e.retry_after = decision.locked ? decision.retry_after_s
                                        : static_cast<int>(std::max<std::int64_t>(1, *shared_until - unix_now() + 1));
        throw e;
    }
    if (decision.reached_lock) share_lock(key);
    if (!decision.allowed) {
        Error e(Errc::rate_limited, decision.reached_lock ? Reason::fail_max : Reason::rate_limited,
                "Too many login attempts. Try again later.");
        e.retry_after = decision.retry_after_s;
        e.remaining_attempts = 0;
        if (decision.reached_lock)
            if (const auto target = store_.find_user_by_email_key(key)) e.subject_user = target->id;
        throw e;
    }
}

void AccountService::refuse_password(const std::string& client_ip, const std::string& key, std::optional<UserId> user,
                                     Reason plain, const char* message) {
    const auto verdict = throttle_.record_failure(client_ip, key);
    if (verdict.reached_lock) share_lock(key);
    const Reason why = verdict.reached_lock ? Reason::fail_max
                       : verdict.stuffing   ? Reason::credential_stuffing
                                            : plain;
    Error e(Errc::unauthorized, why, message);
    e.remaining_attempts = verdict.remaining;
    if (user) e.subject_user = *user;
    throw e;
}

IssuedToken AccountService::login(const std::string& client_ip, const std::string& email,
                                  const std::string& password) {
    const std::string key = email_key(email);
    if (key.empty() || password.empty())
        throw Error(Errc::bad_request, Reason::bad_input, "email and password are required");
    admit(client_ip, key);

    const auto user = store_.find_user_by_email_key(key);
    // An administrator's lock answers the same to every password (no oracle during an
    // incident), costs the same hash, and is counted as a failed login (audit, metrics). It does
    // not feed the automatic lock: guesses learn nothing here, and a lock counted while the
    // operator's unlock is still reaching this node would outlive that unlock.
    if (user && containment_ != nullptr && containment_->account_locked(user->id)) {
        hasher_.verify_dummy(password);
        Error e(Errc::locked, Reason::account_locked, "Account locked by an administrator");
        e.subject_user = user->id;
        throw e;
    }
    bool ok = false;
    if (user) {
        ok = hasher_.verify(user->password_hash, password);
    } else {
        hasher_.verify_dummy(password);
    }
    if (!ok)
        refuse_password(client_ip, key, user ? std::optional<UserId>(user->id) : std::nullopt, Reason::bad_credentials,
                        "invalid credentials");
    throttle_.record_success(client_ip, key);
    // A hash imported from the original platform (or with outdated costs) is replaced while we
    // hold the password; a failure here must not cost the user this login.
    if (hasher_.needs_rehash(user->password_hash)) {
        try {
            store_.set_password_hash(user->id, hasher_.hash(password));
        } catch (const Error&) {
        }
    }
    return issue(user->id, unix_now());
}

AuthUser AccountService::authenticate(std::string_view header) {
    constexpr std::string_view prefix = "Bearer ";
    if (header.empty()) throw Error(Errc::unauthorized, Reason::token_missing, "Missing or invalid Authorization header");
    if (header.substr(0, prefix.size()) != prefix)
        throw Error(Errc::unauthorized, Reason::token_malformed, "Missing or invalid Authorization header");
    const std::string token = v::trim(header.substr(prefix.size()));
    // 43 url-safe base64 characters; anything else cannot be one of ours.
    if (token.size() < 16 || token.size() > 128) throw Error(Errc::unauthorized, Reason::token_malformed, "Invalid token");
    AuthUser user;
    user.token_hash = token_hash(token);
    user.token_id = crypto::sha256_hex(token).substr(0, 16);
    const auto record = store_.find_token(user.token_hash);
    if (!record) throw Error(Errc::unauthorized, Reason::token_unknown, "Invalid token");
    const auto now = unix_now();
    if (record->revoked || record->expires_at <= now ||
        record->issued_at + settings_.session_max_lifetime_s <= now) {
        Error e(Errc::unauthorized, record->revoked ? Reason::token_revoked : Reason::token_expired,
                record->revoked ? "Token has been revoked" : "Token expired");
        e.subject_user = record->user_id;
        throw e;
    }
    user.id = record->user_id;
    user.session_started_at = record->issued_at;
    if (containment_ != nullptr && containment_->account_locked(user.id))
        throw Error(Errc::unauthorized, Reason::account_locked, "Account locked");
    return user;
}

bool AccountService::clear_login_lock(UserId user) {
    const auto found = store_.find_user(user);
    if (!found) return false;
    const std::string key = email_key(found->email);
    const bool here = throttle_.unlock(key);
    const bool shared = store_.remove_login_lock(lock_key(key));
    return here || shared;
}

void AccountService::logout(const AuthUser& user) { store_.revoke_token(user.token_hash); }

void AccountService::logout_all(const AuthUser& user) { store_.revoke_user_tokens(user.id); }

void AccountService::change_password(const AuthUser& user, const std::string& client_ip, const std::string& current,
                                     const std::string& replacement) {
    if (!v::valid_password(replacement)) throw Error(Errc::bad_request, "Valid new password is required");
    const auto found = store_.find_user(user.id);
    if (!found) throw Error(Errc::unauthorized, Reason::user_gone, "User no longer exists");
    const std::string key = email_key(found->email);
    admit(client_ip, key);
    if (!hasher_.verify(found->password_hash, current))
        refuse_password(client_ip, key, user.id, Reason::wrong_password, "current password is wrong");
    throttle_.record_success(client_ip, key);
    store_.set_password_hash(user.id, hasher_.hash(replacement));
}

IssuedToken AccountService::refresh(const AuthUser& user) {
    // Claim first: of two concurrent refreshes of one token only one revokes it.
    if (!store_.revoke_token(user.token_hash)) {
        Error e(Errc::unauthorized, Reason::token_revoked, "Token has been revoked");
        e.subject_user = user.id;
        throw e;
    }
    return issue(user.id, user.session_started_at);
}

}  // namespace tatou
