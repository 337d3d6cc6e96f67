#pragma once
// The audit log's tamper evidence. Record s is sealed with HMAC-SHA256 under a key K_s that
// evolves one-way after every record (K_{s+1} = HMAC(K_s, "next")), and the writer keeps only the
// current key: whoever takes the server later cannot re-seal anything written before (forward
// security, Schneier–Kelsey), and because the key index IS the sequence number a verifier always
// checks each seal against the key of its own position (the CVE-2023-31439 lesson). Each record
// also carries the previous record's seal, so deletion, insertion and reordering break the chain.
//
// Line layout (fixed prefix so the seal can be located without re-encoding):
//   {"@timestamp":"YYYY-MM-DDTHH:MM:SS.mmmZ","event":{"hash":"<64 hex>",...
// The seal is the HMAC of the line with those 64 hex characters replaced by '0's.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::obs {

using ChainKey = std::array<unsigned char, 32>;

inline constexpr std::size_t kSealOffset = 58;  // where the 64 hex characters start
inline constexpr std::size_t kSealLength = 64;

ChainKey next_key(const ChainKey& key);
ChainKey advance_key(ChainKey key, std::uint64_t steps);
std::string key_id(const ChainKey& initial);  // 16 hex; names the verification key, reveals nothing
// Fills the placeholder of `line` with its seal under `key`; returns the seal.
std::string seal_line(std::string& line, const ChainKey& key);
bool line_has_seal_layout(std::string_view line);

// What the operator keeps off the server: the initial key and the checkpoint public key.
struct VerifyKey {
    std::string key_id;
    ChainKey initial{};
    std::string checkpoint_public_key;  // 32 raw bytes (Ed25519)
};
std::string encode_verify_key(const VerifyKey& key);                  // JSON
std::optional<VerifyKey> decode_verify_key(std::string_view json);

struct VerifyReport {
    bool ok = false;
    std::uint64_t records = 0;
    std::uint64_t first_sequence = 0, last_sequence = 0;
    std::string last_hash;
    std::uint64_t bad_sequence = 0;  // the first sequence that failed (or was expected), when !ok
    std::string bad_file;
    std::size_t bad_line = 0;
    std::string problem;
};

struct VerifyOptions {
    std::optional<std::uint64_t> expect_last_sequence;  // e.g. from tatou_audit_last_sequence
    std::optional<std::filesystem::path> checkpoints;
};

// Files may be given in any order (rotated segments are sorted by their first sequence).
VerifyReport verify_chain(const std::vector<std::filesystem::path>& files, const VerifyKey& key,
                          const VerifyOptions& options = {});

// A signed checkpoint line: {"@timestamp","sequence","hash","key_id","signature"}.
std::string checkpoint_line(std::uint64_t sequence, const std::string& hash, const std::string& key_id,
                            const std::string& timestamp, const std::string& secret_key);

}  // namespace tatou::obs
