#pragma once
// The root the bearer-token key is derived from (issue 14 auth 5). At first it is the server
// secret (secret.key), which also keys watermarks, RMAP watermarks and the audit log's email
// hashes. `tatou admin rotate-key --new-root` replaces it with a fresh random file of its own
// (TATOU_TOKEN_KEY_FILE), so a stolen secret.key (or an earlier token key file) no longer lets
// anyone compute the hashes the database keeps for tokens; the other uses of secret.key are
// left as they are, since replacing them would orphan every existing watermark and audit link.
#include <filesystem>
#include <optional>
#include <string>

namespace tatou {

// The token root in `file`, or nullopt when the file does not exist (root = the server secret).
// Throws Error{internal} when it exists but cannot be read or is too short.
std::optional<std::string> read_token_root(const std::filesystem::path& file);

// Writes a fresh random root to `file` (0600, through a temp file, fsynced, renamed over the
// old one) and returns it. Throws Error{unavailable} when it cannot be written.
std::string replace_token_root(const std::filesystem::path& file);

// The HMAC key tokens are hashed with, from a root. Two domains, so a root file can never
// collide with a key derived from secret.key.
std::string token_key_from_secret(const std::string& server_secret);
std::string token_key_from_root(const std::string& root);

}  // namespace tatou
