#pragma once
// The OpenPGP operations RMAP needs, on librnp: load a partner's public key and encrypt to it,
// load the server's secret key and decrypt with it, generate key pairs. No signatures anywhere
// (the protocol has none).
//
// Output is what RMAP 1.0.2 clients (PGPy) can read: one PKESK v3 naming the recipient's key id
// (never hidden), then a SEIPD v1 packet with MDC and AES-256. Never AEAD (OCB/EAX).
//
// Thread safety: every method is safe to call concurrently; a librnp FFI object is not, so each
// key serialises its own operations behind a mutex.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tatou::rmap {

// A message could not be decrypted or is not what RMAP accepts (not encrypted to us, no
// integrity protection, too large). The text is for the diagnostic log, never for clients.
struct MessageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A key file is unusable (unparsable, no encryption key, wrong passphrase). The text names the
// problem for operators and never contains key material or the passphrase.
struct KeyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct KeyInfo {
    std::string fingerprint;  // primary key, uppercase hex as librnp prints it
    std::string algorithm;    // primary key algorithm, e.g. "RSA", "EDDSA"
    std::uint32_t bits = 0;
    std::string user_id;  // primary user id, may be empty
};

// Largest key file we read: real keys are a few KiB; this bounds work on a hostile file.
inline constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

class PublicKey {
public:
    // Armored or binary key data with exactly one primary key. A secret key file is accepted and
    // only its public half is kept. Throws KeyError unless a test encryption to it succeeds.
    static PublicKey from_data(std::string_view key_data);

    // Encrypts `plaintext` (a literal data packet, uncompressed) to this key. Returns the binary
    // OpenPGP message. Throws std::runtime_error only on an internal librnp failure.
    std::string encrypt(std::string_view plaintext) const;

    const KeyInfo& info() const;
    std::string armored() const;  // the public key (and subkeys), ASCII-armored

private:
    struct State;
    explicit PublicKey(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

class SecretKey {
public:
    // Armored or binary secret key data with exactly one primary key; protected keys are
    // unlocked once here with `passphrase`. Throws KeyError when there is no secret key, the
    // passphrase is wrong, or a test decryption fails.
    static SecretKey from_data(std::string_view key_data, std::string_view passphrase);

    // Decrypts an armored or binary message that is encrypted to this key with integrity
    // protection (MDC or AEAD). Signatures, if any, are ignored. Returns at most max_plaintext
    // bytes of literal data. Throws MessageError for anything else. The message's packet
    // shape is checked first (packets.hpp), and librnp may do at most one private-key
    // operation for it, whatever its nesting.
    std::string decrypt(std::string_view message, std::size_t max_plaintext) const;

    const KeyInfo& info() const;
    PublicKey public_key() const;

private:
    struct State;
    explicit SecretKey(std::shared_ptr<State> state);
    std::string decrypt_locked(std::string_view message, std::size_t max_plaintext) const;
    std::shared_ptr<State> state_;
};

// Private-key operations librnp was allowed to do since the process started, all keys together
// (each decrypt() allows at most one; metrics export the count).
std::uint64_t private_key_operations();

enum class KeyKind {
    rsa,         // RSA primary (certify, sign) + RSA encryption subkey, `bits` each
    curve25519,  // Ed25519 primary + Cv25519 (ECDH) encryption subkey; `bits` ignored
};

struct GeneratedKey {
    std::string secret_armored;  // protected with the passphrase when one was given
    std::string public_armored;
    KeyInfo info;
};

// Generates a fresh key pair. Throws KeyError on failure.
GeneratedKey generate_key(KeyKind kind, std::uint32_t bits, const std::string& user_id,
                          std::string_view passphrase);

}  // namespace tatou::rmap
