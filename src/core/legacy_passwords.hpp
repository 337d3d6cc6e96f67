#pragma once
// Password hashes written by the original platform (Werkzeug's generate_password_hash), verified
// so migrated users can log in; a successful login then replaces them with Argon2id.
//   scrypt:N:r:p$salt$hex     (Werkzeug 3 default: scrypt:32768:8:1, 64-byte key)
//   pbkdf2:sha256:iters$salt$hex
#include <optional>
#include <string_view>

namespace tatou {

bool is_werkzeug_hash(std::string_view stored);

// true/false for a well-formed hash; nullopt for a malformed one or parameters we refuse
// (unknown digest, or a cost so high that one login could exhaust the server).
std::optional<bool> verify_werkzeug_hash(std::string_view stored, std::string_view password);

}  // namespace tatou
