#pragma once
// Accounts and bearer tokens. Tokens are 256-bit random strings handed to the client once;
// the database keeps only their keyed SHA-256 (HMAC under the server secret), so a stolen
// database cannot be replayed and rotating the secret ends every session.
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/login_throttle.hpp"
#include "core/reason.hpp"
#include "core/rate_limiter.hpp"
#include "core/passwords.hpp"
#include "store/store.hpp"

namespace tatou {

struct NewAccount {
    std::string email;
    std::string login;
    std::string password;
};

struct IssuedToken {
    std::string token;
    std::int64_t expires_in = 0;
    UserId user = 0;
};

struct AuthUser {
    UserId id = 0;
    std::string token_hash;
    std::string token_id;  // first 16 hex of SHA-256(token): names the token in the audit log
    std::int64_t session_started_at = 0;  // the login this token descends from (refreshes keep it)
};

struct AccountSettings {
    std::int64_t token_ttl_s = 3600;
    std::string token_key;  // derived from the server secret (also keys the shared login locks)
    // No token of a session outlives its login by more than this, however often it is refreshed.
    std::int64_t session_max_lifetime_s = 86400;
    RateLimit signup{10, std::chrono::seconds(3600)};  // accounts created per source address
    // When set, tokens are hashed under this key instead (a token root that replaced the secret's).
    std::optional<std::string> token_root_key;
    std::filesystem::path token_root_file;  // where rotate-key --new-root writes a fresh root
};

class ContainmentService;

class AccountService {
public:
    AccountService(Store& store, const PasswordHasher& hasher, LoginThrottle& throttle, AccountSettings settings);

    // Throws Error{rate_limited} when `client_ip` has created its share of accounts (counted
    // after the input is valid, before the password is hashed).
    User create(const NewAccount& account, const std::string& client_ip);
    IssuedToken login(const std::string& client_ip, const std::string& email, const std::string& password);
    // Throws Error{unauthorized} for a missing, malformed, unknown, expired or revoked token.
    AuthUser authenticate(std::string_view authorization_header);
    void logout(const AuthUser& user);
    void logout_all(const AuthUser& user);
    // The current password is checked exactly like a login's: same throttle, automatic lock,
    // reasons (so the same audit events and metrics), so a stolen token is no password guesser.
    void change_password(const AuthUser& user, const std::string& client_ip, const std::string& current,
                         const std::string& replacement);
    // Single use: the presented token is revoked first, atomically; a concurrent or later refresh
    // of it is Error{unauthorized, token_revoked} (an authn_token_reuse detection). The new token
    // keeps the session's start, so the session still ends at its absolute lifetime.
    IssuedToken refresh(const AuthUser& user);
    // Account locks and the token-key generation come from containment when it is wired.
    void set_containment(const ContainmentService* containment) { containment_ = containment; }
    // Lifts the automatic login lock of an account (this node's and the shared one); true if
    // there was one.
    bool clear_login_lock(UserId user);

    std::string token_hash(std::string_view token) const;
    // Writes a fresh token root (core/token_root.hpp) and hashes tokens under it from now on:
    // every token issued before stops matching. Throws Error{unavailable} when it cannot.
    void replace_token_root();

private:
    IssuedToken issue(UserId user, std::int64_t session_started_at);
    // The throttle and lock gate every password check passes before the hash is compared.
    void admit(const std::string& client_ip, const std::string& email_key);
    // A wrong password: counted, and thrown with the reason the count reached.
    [[noreturn]] void refuse_password(const std::string& client_ip, const std::string& email_key,
                                      std::optional<UserId> user, Reason plain, const char* message);
    // The automatic lock is counted in this node's throttle and shared through the database.
    std::string lock_key(const std::string& email_key) const;
    void share_lock(const std::string& email_key);

    Store& store_;
    const PasswordHasher& hasher_;
    LoginThrottle& throttle_;
    AccountSettings settings_;
    std::string lock_hash_key_;  // derived from token_key
    RateLimiter signups_;
    mutable std::mutex token_key_mu_;
    std::shared_ptr<const std::string> token_key_;  // the current token root key
    const ContainmentService* containment_ = nullptr;
};

std::string email_key(std::string_view email);  // the case-insensitive identity of an email

}  // namespace tatou
