#pragma once
// The sealed form of a secret that our own methods hide in a PDF, a printable token
//   "TWM2" hex(ops[4] | mem_kib[4] | salt[16] | nonce[24] | XChaCha20-Poly1305(secret) | check[8])
// The per-watermark key is Argon2id(key, salt, ops, mem_kib) (libsodium crypto_pwhash): a leaked
// copy holds the salt and ciphertext, so each offline guess of a weak user key costs one
// memory-hard derivation instead of one hash (docs/architecture.md, "Watermark keys"). The
// parameters travel in the token, so a later change of them leaves today's copies readable;
// a reader derives only for the parameter sets in kAcceptedKdfs (a hostile token cannot ask for
// a gigabyte). Tokens written before TWM2 ("TWM1" hex(salt | nonce | ciphertext | check), key
// BLAKE2b(key, salt)) are still read, never written.
// The unkeyed 8-byte check lets a reader tell a damaged token (skipped) from an intact one that
// the key does not open (a wrong key), so "wrong key" and "no watermark" stay distinct outcomes.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace tatou::watermark {

inline constexpr std::string_view kEnvelopePrefix = "TWM";          // every version
inline constexpr std::string_view kEnvelopeMarker = "TWM2";          // what seal_secret writes
inline constexpr std::string_view kLegacyEnvelopeMarker = "TWM1";    // read only
inline constexpr std::size_t kMaxSecretBytes = 4096;

// Argon2id cost of one watermark key: OWASP's minimum for Argon2id (19 MiB, 2 passes, one lane),
// the same as the password hashes' defaults; it runs inside the PDF jail's memory budget
// (TATOU_PDF_JOB_MEMORY_MB, 64 MiB by default) and costs tens of milliseconds per watermark.
struct KdfParams {
    std::uint32_t ops;
    std::uint32_t mem_kib;
    bool operator==(const KdfParams&) const = default;
};
inline constexpr KdfParams kWatermarkKdf{2, 19456};
// Parameter sets a reader derives for: today's, and any earlier ones once they change.
inline constexpr KdfParams kAcceptedKdfs[] = {kWatermarkKdf};
// Distinct salts one reader runs Argon2id for: a hostile PDF with many tokens cannot turn one
// read into many derivations (the copies of one watermark share a salt).
inline constexpr std::size_t kMaxKdfRunsPerRead = 4;

// Throws InvalidInput for an empty secret or key or an oversized secret.
std::string seal_secret(std::string_view secret, std::string_view key);

// The key derivations, for the tests and the benchmark (bench/RESULTS.md, guesses per second).
std::string derive_key_argon2id(std::string_view key, std::string_view salt, KdfParams params);
std::string derive_key_legacy_blake2b(std::string_view key, std::string_view salt);
// A TWM1 token as versions made before TWM2 carry: tests and benchmarks only.
std::string seal_secret_legacy_v1(std::string_view secret, std::string_view key);

// Collects tokens from any number of carrier texts and opens the first the key accepts. The same
// token found on many pages is tried once.
class EnvelopeReader {
public:
    explicit EnvelopeReader(std::string_view key);
    ~EnvelopeReader();

    void scan(std::string_view text);  // finds every token in text
    bool opened() const { return opened_; }
    // The secret, or throws InvalidKey (an intact token the key does not open) or
    // SecretNotFound (no intact token at all).
    std::string result(std::string_view not_found_message) const;

private:
    void try_token(std::string_view binary, char version);
    // The derived key for `salt`, or nullptr once kMaxKdfRunsPerRead salts were derived.
    const std::string* argon2id_key(std::string_view salt, KdfParams params);

    std::string key_;
    std::set<std::string> tried_;
    std::map<std::string, std::string> derived_;  // params|salt -> key
    bool intact_seen_ = false;
    bool opened_ = false;
    std::string secret_;
};

}  // namespace tatou::watermark
