#pragma once
// The sealed form of a secret that our own methods hide in a PDF: a printable token
//   "TWM1" hex(salt[16] | nonce[24] | XChaCha20-Poly1305(secret) | check[8])
// The per-watermark key is BLAKE2b(key, salt) so two watermarks never share a key. The unkeyed
// 8-byte check lets a reader tell a damaged token (skipped) from an intact one that the key does
// not open (a wrong key), so "wrong key" and "no watermark" stay distinct outcomes.
#include <set>
#include <string>
#include <string_view>

namespace tatou::watermark {

inline constexpr std::string_view kEnvelopeMarker = "TWM1";
inline constexpr std::size_t kMaxSecretBytes = 4096;

// Throws InvalidInput for an empty secret or key or an oversized secret.
std::string seal_secret(std::string_view secret, std::string_view key);

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
    void try_token(std::string_view binary);

    std::string key_;
    std::set<std::string> tried_;
    bool intact_seen_ = false;
    bool opened_ = false;
    std::string secret_;
};

}  // namespace tatou::watermark
