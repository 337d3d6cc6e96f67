#include "rmap/openpgp.hpp"

#include <atomic>
#include <cstring>
#include <ctime>
#include <sys/random.h>
#include <mutex>
#include <vector>

#include "rmap/packets.hpp"
#include "rmap/rnp_handles.hpp"

namespace tatou::rmap {
namespace {

struct IteratorDeleter {
    void operator()(rnp_identifier_iterator_t p) const { rnp_identifier_iterator_destroy(p); }
};

// Primary keys of the FFI, by fingerprint.
std::vector<KeyHandle> primary_keys(rnp_ffi_t ffi) {
    rnp_identifier_iterator_t raw = nullptr;
    check(rnp_identifier_iterator_create(ffi, &raw, "fingerprint"), "rnp_identifier_iterator_create");
    std::unique_ptr<rnp_identifier_iterator_st, IteratorDeleter> it(raw);
    std::vector<KeyHandle> out;
    const char* fpr = nullptr;
    while (rnp_identifier_iterator_next(it.get(), &fpr) == RNP_SUCCESS && fpr != nullptr) {
        rnp_key_handle_t key = nullptr;
        if (rnp_locate_key(ffi, "fingerprint", fpr, &key) != RNP_SUCCESS || key == nullptr) continue;
        KeyHandle handle(key);
        bool primary = false;
        if (rnp_key_is_primary(key, &primary) == RNP_SUCCESS && primary) out.push_back(std::move(handle));
    }
    return out;
}

std::vector<KeyHandle> subkeys(rnp_key_handle_t primary) {
    std::vector<KeyHandle> out;
    std::size_t count = 0;
    if (rnp_key_get_subkey_count(primary, &count) != RNP_SUCCESS) return out;
    for (std::size_t i = 0; i < count; ++i) {
        rnp_key_handle_t sub = nullptr;
        if (rnp_key_get_subkey_at(primary, i, &sub) == RNP_SUCCESS && sub != nullptr) out.emplace_back(sub);
    }
    return out;
}

KeyInfo describe(rnp_key_handle_t key) {
    KeyInfo info;
    char* s = nullptr;
    if (rnp_key_get_fprint(key, &s) == RNP_SUCCESS) info.fingerprint = take_string(s);
    s = nullptr;
    if (rnp_key_get_alg(key, &s) == RNP_SUCCESS) info.algorithm = take_string(s);
    s = nullptr;
    if (rnp_key_get_primary_uid(key, &s) == RNP_SUCCESS) info.user_id = take_string(s);
    rnp_key_get_bits(key, &info.bits);
    return info;
}

// Loads key data into a fresh FFI and returns it with its only primary key.
std::pair<Ffi, KeyHandle> load_single_key(std::string_view data, std::uint32_t flags) {
    if (data.empty()) throw KeyError("the key file is empty");
    if (data.size() > kMaxKeyFileBytes) throw KeyError("the key file is larger than 1 MiB");
    Ffi ffi = make_ffi();
    Input in = input_from(data);
    char* results = nullptr;
    const auto rc = rnp_import_keys(ffi.get(), in.get(), flags, &results);
    take_string(results);
    if (rc != RNP_SUCCESS) throw KeyError("not an OpenPGP key (" + std::string(rnp_result_to_string(rc)) + ")");
    auto primaries = primary_keys(ffi.get());
    if (primaries.empty()) throw KeyError("no primary key found");
    if (primaries.size() > 1) throw KeyError("more than one primary key in one file");
    KeyHandle key = std::move(primaries.front());
    return {std::move(ffi), std::move(key)};
}

std::string export_key(rnp_key_handle_t key, std::uint32_t what) {
    Output out = memory_output(0);
    check(rnp_key_export(key, out.get(), what | RNP_KEY_EXPORT_ARMORED | RNP_KEY_EXPORT_SUBKEYS), "rnp_key_export");
    return output_bytes(out.get());
}

std::string encrypt_with(rnp_ffi_t ffi, rnp_key_handle_t recipient, std::string_view plaintext) {
    Input in = input_from(plaintext);
    Output out = memory_output(0);
    rnp_op_encrypt_t raw = nullptr;
    check(rnp_op_encrypt_create(&raw, ffi, in.get(), out.get()), "rnp_op_encrypt_create");
    EncryptOp op(raw);
    // add_recipient picks the key's usable encryption subkey (or the primary when it encrypts).
    check(rnp_op_encrypt_add_recipient(raw, recipient), "rnp_op_encrypt_add_recipient");
    check(rnp_op_encrypt_set_cipher(raw, "AES256"), "rnp_op_encrypt_set_cipher");
    // PGPy cannot read AEAD packets: SEIPD v1 with MDC only, whatever the key advertises.
    check(rnp_op_encrypt_set_aead(raw, "None"), "rnp_op_encrypt_set_aead");
    check(rnp_op_encrypt_set_armor(raw, false), "rnp_op_encrypt_set_armor");
    // The JSON is tiny; compression would only add a packet layer for clients to parse.
    check(rnp_op_encrypt_set_compression(raw, "Uncompressed", 0), "rnp_op_encrypt_set_compression");
    check(rnp_op_encrypt_set_file_name(raw, ""), "rnp_op_encrypt_set_file_name");
    check(rnp_op_encrypt_set_file_mtime(raw, static_cast<std::uint32_t>(std::time(nullptr))),
          "rnp_op_encrypt_set_file_mtime");
    check(rnp_op_encrypt_execute(raw), "rnp_op_encrypt_execute");
    op.reset();
    return output_bytes(out.get());
}

std::atomic<std::uint64_t> g_private_key_operations{0};

// Armored messages are at most a few KiB once dearmored (the payload limit bounds them).
constexpr std::size_t kMaxDearmoredBytes = 64 * 1024;
// Iterated S2K count for the in-memory protection: the smallest encodable one, since the
// password is random and lives beside the key (this protection is a counter, not a secret).
constexpr std::size_t kInMemoryS2kIterations = 1024;

// ASCII armor -> binary packets (librnp's dearmor: text processing, no key involved).
std::string dearmor_if_needed(std::string_view message) {
    const auto begin = message.find("-----BEGIN PGP");
    if (begin == std::string_view::npos) return std::string(message);
    Input in = input_from(message);
    Output out = memory_output(kMaxDearmoredBytes);
    if (rnp_dearmor(in.get(), out.get()) != RNP_SUCCESS) throw MessageError("bad ASCII armor");
    return output_bytes(out.get());
}

std::string random_password() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    unsigned char bytes[32];
    // The kernel's CSPRNG, as libsodium uses; rnp exports no RNG call.
    if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) throw KeyError("no randomness");
    for (unsigned char b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

}  // namespace

// ------------------------------------------------------------------------------- PublicKey

struct PublicKey::State {
    Ffi ffi;  // declared first: destroyed after the key handle
    KeyHandle key;
    KeyInfo info;
    std::mutex mutex;
};

PublicKey::PublicKey(std::shared_ptr<State> state) : state_(std::move(state)) {}

PublicKey PublicKey::from_data(std::string_view key_data) {
    // PUBLIC only: a secret key in the file contributes its public half, its secret is not kept.
    auto [ffi, key] = load_single_key(key_data, RNP_LOAD_SAVE_PUBLIC_KEYS);
    auto state = std::make_shared<State>();
    state->info = describe(key.get());
    state->ffi = std::move(ffi);
    state->key = std::move(key);
    PublicKey out(std::move(state));
    try {
        out.encrypt("probe");
    } catch (const RnpError& e) {
        throw KeyError("the key cannot be used for encryption (" + std::string(rnp_result_to_string(e.code)) + ")");
    }
    return out;
}

std::string PublicKey::encrypt(std::string_view plaintext) const {
    std::lock_guard lock(state_->mutex);
    return encrypt_with(state_->ffi.get(), state_->key.get(), plaintext);
}

const KeyInfo& PublicKey::info() const { return state_->info; }

std::string PublicKey::armored() const {
    std::lock_guard lock(state_->mutex);
    return export_key(state_->key.get(), RNP_KEY_EXPORT_PUBLIC);
}

// ------------------------------------------------------------------------------- SecretKey

// The secret keys stay locked in memory under a random password that only the password
// provider below hands out, once per decrypt(): librnp asks for it before each private-key
// operation (each key packet it tries, each nested encrypted layer), so the budget bounds the
// private-key work of one message to one operation whatever the message holds.
struct SecretKey::State {
    Ffi ffi;
    KeyHandle key;
    KeyInfo info;
    std::mutex mutex;
    std::vector<KeyId> key_ids;  // every secret (sub)key: what a PKESK for us names
    std::string password;        // the in-memory protection; never leaves this object
    int budget = 0;              // private-key operations left for the decrypt() in progress

    static bool provide(rnp_ffi_t, void* ctx, rnp_key_handle_t, const char* context, char buf[], size_t len) {
        auto* self = static_cast<State*>(ctx);
        if (context == nullptr || std::strcmp(context, "decrypt") != 0) return false;  // never symmetric
        if (self->budget <= 0 || self->password.size() + 1 > len) return false;
        --self->budget;
        g_private_key_operations.fetch_add(1, std::memory_order_relaxed);
        std::memcpy(buf, self->password.c_str(), self->password.size() + 1);
        return true;
    }
};

std::uint64_t private_key_operations() { return g_private_key_operations.load(std::memory_order_relaxed); }

SecretKey::SecretKey(std::shared_ptr<State> state) : state_(std::move(state)) {}

SecretKey SecretKey::from_data(std::string_view key_data, std::string_view passphrase) {
    auto [ffi, key] = load_single_key(key_data, RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS);
    std::vector<KeyHandle> keys = subkeys(key.get());
    bool any_secret = false;
    const std::string pass(passphrase);
    // Unlock once, here: per-message unlocking would rerun the S2K derivation on every request.
    auto unlock = [&](rnp_key_handle_t k) {
        bool secret = false, is_protected = false;
        if (rnp_key_have_secret(k, &secret) != RNP_SUCCESS || !secret) return;
        any_secret = true;
        if (rnp_key_is_protected(k, &is_protected) != RNP_SUCCESS || !is_protected) return;
        if (rnp_key_unlock(k, pass.c_str()) != RNP_SUCCESS)
            throw KeyError(pass.empty() ? "the secret key is protected and no passphrase was given"
                                        : "the passphrase does not unlock the secret key");
    };
    unlock(key.get());
    for (const auto& sub : keys) unlock(sub.get());
    if (!any_secret) throw KeyError("the file holds no secret key");

    auto state = std::make_shared<State>();
    state->password = random_password();
    // Re-protect every secret key under the in-memory password and lock it (see State).
    auto relock = [&](rnp_key_handle_t k) {
        bool secret = false;
        if (rnp_key_have_secret(k, &secret) != RNP_SUCCESS || !secret) return;
        char* id = nullptr;
        check(rnp_key_get_keyid(k, &id), "rnp_key_get_keyid");
        state->key_ids.push_back(key_id_from_hex(take_string(id)));
        check(rnp_key_protect(k, state->password.c_str(), "AES256", "CFB", "SHA256", kInMemoryS2kIterations),
              "rnp_key_protect");
        check(rnp_key_lock(k), "rnp_key_lock");
    };
    try {
        relock(key.get());
        for (const auto& sub : keys) relock(sub.get());
    } catch (const RnpError& e) {
        throw KeyError(std::string("the secret key cannot be prepared for use: ") + e.what());
    }
    check(rnp_ffi_set_pass_provider(ffi.get(), &State::provide, state.get()), "rnp_ffi_set_pass_provider");
    state->info = describe(key.get());
    state->ffi = std::move(ffi);
    state->key = std::move(key);
    SecretKey out(std::move(state));
    std::string probe;
    try {
        std::lock_guard lock(out.state_->mutex);
        probe = encrypt_with(out.state_->ffi.get(), out.state_->key.get(), "probe");
    } catch (const RnpError& e) {
        throw KeyError("the key cannot be used for encryption (" + std::string(rnp_result_to_string(e.code)) + ")");
    }
    try {
        if (out.decrypt(probe, 64) != "probe") throw MessageError("probe mismatch");
    } catch (const MessageError&) {
        throw KeyError("the secret key cannot decrypt messages encrypted to it");
    }
    return out;
}

std::string SecretKey::decrypt(std::string_view message, std::size_t max_plaintext) const {
    try {
        return decrypt_locked(message, max_plaintext);
    } catch (const RnpError& e) {
        throw MessageError(e.what());  // hostile input must never surface as an internal error
    }
}

std::string SecretKey::decrypt_locked(std::string_view message, std::size_t max_plaintext) const {
    if (message.empty()) throw MessageError("empty message");
    const std::string binary = dearmor_if_needed(message);
    // Headers first, no cryptography: shapes no RMAP client sends never reach librnp.
    check_message_shape(binary, state_->key_ids);
    std::lock_guard lock(state_->mutex);
    rnp_ffi_t ffi = state_->ffi.get();
    state_->budget = 1;
    struct NoBudgetLeft {
        State& s;
        ~NoBudgetLeft() { s.budget = 0; }
    } reset{*state_};
    Input in = input_from(binary);
    Output out = memory_output(max_plaintext);
    rnp_op_verify_t raw = nullptr;
    if (rnp_op_verify_create(&raw, ffi, in.get(), out.get()) != RNP_SUCCESS)
        throw MessageError("not an OpenPGP message");
    VerifyOp op(raw);
    rnp_op_verify_set_flags(raw, RNP_VERIFY_IGNORE_SIGS_ON_DECRYPT);
    const auto rc = rnp_op_verify_execute(raw);
    if (rc != RNP_SUCCESS) throw MessageError(std::string("cannot decrypt: ") + rnp_result_to_string(rc));

    char* mode_raw = nullptr;
    bool valid = false;
    if (rnp_op_verify_get_protection_info(raw, &mode_raw, nullptr, &valid) != RNP_SUCCESS)
        throw MessageError("no protection info");
    const std::string mode = take_string(mode_raw);
    // "none": a plain literal packet; "cfb" without MDC: malleable. Neither is accepted.
    if (mode == "none" || !valid) throw MessageError("message is not integrity-protected ciphertext");
    rnp_recipient_handle_t used = nullptr;
    if (rnp_op_verify_get_used_recipient(raw, &used) != RNP_SUCCESS || used == nullptr)
        throw MessageError("message was not decrypted with our key");
    op.reset();
    return output_bytes(out.get());
}

const KeyInfo& SecretKey::info() const { return state_->info; }

PublicKey SecretKey::public_key() const {
    std::string armored;
    {
        std::lock_guard lock(state_->mutex);
        armored = export_key(state_->key.get(), RNP_KEY_EXPORT_PUBLIC);
    }
    return PublicKey::from_data(armored);
}

// ------------------------------------------------------------------------------- generation

namespace {

void set_preferences(rnp_op_generate_t op) {
    check(rnp_op_generate_set_hash(op, "SHA256"), "rnp_op_generate_set_hash");
    check(rnp_op_generate_add_pref_cipher(op, "AES256"), "rnp_op_generate_add_pref_cipher");
    check(rnp_op_generate_add_pref_hash(op, "SHA256"), "rnp_op_generate_add_pref_hash");
    check(rnp_op_generate_add_pref_compression(op, "ZIP"), "rnp_op_generate_add_pref_compression");
    check(rnp_op_generate_add_pref_compression(op, "Uncompressed"), "rnp_op_generate_add_pref_compression");
}

KeyHandle generate_primary(rnp_ffi_t ffi, KeyKind kind, std::uint32_t bits, const std::string& user_id) {
    rnp_op_generate_t raw = nullptr;
    check(rnp_op_generate_create(&raw, ffi, kind == KeyKind::rsa ? "RSA" : "EDDSA"), "rnp_op_generate_create");
    GenerateOp op(raw);
    if (kind == KeyKind::rsa) check(rnp_op_generate_set_bits(raw, bits), "rnp_op_generate_set_bits");
    check(rnp_op_generate_set_userid(raw, user_id.c_str()), "rnp_op_generate_set_userid");
    check(rnp_op_generate_clear_usage(raw), "rnp_op_generate_clear_usage");
    check(rnp_op_generate_add_usage(raw, "sign"), "rnp_op_generate_add_usage");
    check(rnp_op_generate_add_usage(raw, "certify"), "rnp_op_generate_add_usage");
    set_preferences(raw);
    check(rnp_op_generate_execute(raw), "rnp_op_generate_execute");
    rnp_key_handle_t key = nullptr;
    check(rnp_op_generate_get_key(raw, &key), "rnp_op_generate_get_key");
    return KeyHandle(key);
}

KeyHandle generate_subkey(rnp_ffi_t ffi, rnp_key_handle_t primary, KeyKind kind, std::uint32_t bits) {
    rnp_op_generate_t raw = nullptr;
    check(rnp_op_generate_subkey_create(&raw, ffi, primary, kind == KeyKind::rsa ? "RSA" : "ECDH"),
          "rnp_op_generate_subkey_create");
    GenerateOp op(raw);
    if (kind == KeyKind::rsa) check(rnp_op_generate_set_bits(raw, bits), "rnp_op_generate_set_bits");
    else check(rnp_op_generate_set_curve(raw, "Curve25519"), "rnp_op_generate_set_curve");
    check(rnp_op_generate_set_hash(raw, "SHA256"), "rnp_op_generate_set_hash");
    check(rnp_op_generate_clear_usage(raw), "rnp_op_generate_clear_usage");
    check(rnp_op_generate_add_usage(raw, "encrypt"), "rnp_op_generate_add_usage");
    check(rnp_op_generate_execute(raw), "rnp_op_generate_execute");
    rnp_key_handle_t key = nullptr;
    check(rnp_op_generate_get_key(raw, &key), "rnp_op_generate_get_key");
    return KeyHandle(key);
}

}  // namespace

GeneratedKey generate_key(KeyKind kind, std::uint32_t bits, const std::string& user_id, std::string_view passphrase) {
    if (kind == KeyKind::rsa && (bits < 2048 || bits > 4096)) throw KeyError("RSA keys must have 2048 to 4096 bits");
    try {
        Ffi ffi = make_ffi();
        KeyHandle primary = generate_primary(ffi.get(), kind, bits, user_id);
        KeyHandle sub = generate_subkey(ffi.get(), primary.get(), kind, bits);
        GeneratedKey out;
        out.public_armored = export_key(primary.get(), RNP_KEY_EXPORT_PUBLIC);
        // Protected after generation, so the subkey binding never needed a password prompt.
        if (!passphrase.empty()) {
            const std::string pass(passphrase);
            for (rnp_key_handle_t k : {primary.get(), sub.get()})
                check(rnp_key_protect(k, pass.c_str(), "AES256", nullptr, "SHA256", 0), "rnp_key_protect");
        }
        out.secret_armored = export_key(primary.get(), RNP_KEY_EXPORT_SECRET);
        out.info = describe(primary.get());
        return out;
    } catch (const RnpError& e) {
        throw KeyError(std::string("key generation failed: ") + e.what());
    }
}

}  // namespace tatou::rmap
