#pragma once
// Argon2id password hashes (libsodium's self-describing "$argon2id$..." strings). verify() also
// accepts the original platform's Werkzeug hashes, which needs_rehash() then reports.
#include <cstddef>
#include <string>
#include <string_view>

namespace tatou {

struct PasswordCost {
    unsigned long long ops = 2;             // OWASP's Argon2id minimum: t=2, m=19 MiB, p=1
    std::size_t mem_bytes = 19u << 20;
};

class PasswordHasher {
public:
    explicit PasswordHasher(PasswordCost cost);
    std::string hash(std::string_view password) const;
    bool verify(std::string_view stored_hash, std::string_view password) const;
    // True for a legacy (Werkzeug) hash or an Argon2id hash with other costs than ours.
    bool needs_rehash(std::string_view stored_hash) const;
    // Same work as a real verify, for unknown accounts: login timing does not reveal them.
    void verify_dummy(std::string_view password) const;

private:
    PasswordCost cost_;
    std::string dummy_hash_;
};

}  // namespace tatou
