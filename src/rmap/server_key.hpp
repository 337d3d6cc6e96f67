#pragma once
// The server's own key pair on disk: the secret key at TATOU_RMAP_SERVER_KEY (server_priv.asc)
// and, beside it, server_pub.asc for partners.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "rmap/openpgp.hpp"

namespace tatou::rmap {

inline constexpr std::uint32_t kServerKeyBits = 3072;

// server_pub.asc in the secret key's directory.
std::filesystem::path public_key_path(const std::filesystem::path& secret_key_file);

// Reads and unlocks the secret key. Writes server_pub.asc when it is missing. Throws KeyError
// naming the file.
SecretKey load_server_key(const std::filesystem::path& secret_key_file, std::string_view passphrase);

// Generates an RSA key pair (protected with the passphrase when one is set) and writes the
// secret key (mode 0600, never over an existing file) and server_pub.asc. Slow: seconds for
// RSA-3072. Throws KeyError.
SecretKey generate_server_key(const std::filesystem::path& secret_key_file, std::string_view passphrase,
                              std::uint32_t bits = kServerKeyBits);

// Writes `data` to `file` through a temp file and rename, fsynced, with `mode`. With
// exclusive, fails when the file exists. Throws KeyError naming the file.
void write_key_file(const std::filesystem::path& file, std::string_view data, unsigned mode, bool exclusive);

}  // namespace tatou::rmap
