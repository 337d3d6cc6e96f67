#include "core/passwords.hpp"

#include <sodium.h>

#include "core/error.hpp"
#include "core/legacy_passwords.hpp"

namespace tatou {

PasswordHasher::PasswordHasher(PasswordCost cost) : cost_(cost) { dummy_hash_ = hash("tatou-dummy-password"); }

std::string PasswordHasher::hash(std::string_view password) const {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.ops, cost_.mem_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw Error(Errc::unavailable, "server busy");  // out of memory
    return out;
}

bool PasswordHasher::verify(std::string_view stored_hash, std::string_view password) const {
    if (is_werkzeug_hash(stored_hash)) return verify_werkzeug_hash(stored_hash, password).value_or(false);
    const std::string h(stored_hash);
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view stored_hash) const {
    if (is_werkzeug_hash(stored_hash)) return true;
    const std::string h(stored_hash);
    return crypto_pwhash_str_needs_rehash(h.c_str(), cost_.ops, cost_.mem_bytes) != 0;
}

void PasswordHasher::verify_dummy(std::string_view password) const { (void)verify(dummy_hash_, password); }

}  // namespace tatou
