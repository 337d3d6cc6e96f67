#pragma once
// The integrity of an evidence bundle: MANIFEST.sha256 (one `sha256sum -c` line per file, sorted,
// relative paths) and MANIFEST.sha256.sig, an Ed25519 detached signature over the manifest bytes
// (hex). The signer's public key travels in the bundle as signing-key.pub (hex), but a verifier
// should pin the key it knows (<data>/ir-signing.pub, copied off the server): whoever can rewrite
// the bundle can also replace the key inside it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tatou::ops {

inline constexpr const char* kManifestName = "MANIFEST.sha256";
inline constexpr const char* kSignatureName = "MANIFEST.sha256.sig";
inline constexpr const char* kBundlePublicKeyName = "signing-key.pub";

struct SigningKey {
    std::string secret;      // 64 raw bytes (libsodium Ed25519 secret key)
    std::string public_key;  // 32 raw bytes
};

SigningKey generate_signing_key();
// <data>/ir-signing.key (0600, hex secret) and <data>/ir-signing.pub (hex), created on first use.
// Throws std::runtime_error naming the file when it is unreadable, malformed or cannot be written.
SigningKey load_or_create_signing_key(const std::filesystem::path& data_dir);
// 64 hex characters (surrounding whitespace ignored) -> 32 raw bytes.
std::optional<std::string> decode_public_key(const std::string& text);

// Every regular file under dir except the manifest and its signature, as sorted relative paths.
std::vector<std::string> bundle_files(const std::filesystem::path& dir);
// The manifest text for the files now in dir.
std::string manifest_text(const std::filesystem::path& dir);
// Writes signing-key.pub, then MANIFEST.sha256 over every file (the key included), then the signature.
void seal_bundle(const std::filesystem::path& dir, const SigningKey& key);

struct BundleCheck {
    bool ok = false;
    std::vector<std::string> problems;  // "changed: audit/audit.jsonl", "added: x", "removed: y", …
    std::string key_source;             // "pinned" or "bundle"
    std::size_t files = 0;
};
// Recomputes every hash, compares the file list with the manifest and checks the signature with
// pinned_public_key (32 raw bytes) or, without one, the bundle's own signing-key.pub.
BundleCheck verify_bundle(const std::filesystem::path& dir, const std::optional<std::string>& pinned_public_key);

}  // namespace tatou::ops
