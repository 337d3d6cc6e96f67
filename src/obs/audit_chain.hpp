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

// Checkpoints are signed with a forward-secure key chain: epoch e signs with the Ed25519 key
// whose seed is S_e, S_1 = BLAKE2b(root) and S_{e+1} = BLAKE2b(S_e) is derived as S_e is erased. Every checkpoint
// uses a fresh epoch, so whoever takes the host holds only the seed of the next epoch and can
// sign no checkpoint for a past epoch; epochs must be consecutive, so dropping a signed
// checkpoint shows as a hole.
ChainKey next_checkpoint_seed(const ChainKey& seed);
ChainKey advance_checkpoint_seed(ChainKey seed, std::uint64_t steps);

// The chain's root secrets. `tatou audit keygen` makes them on the operator's machine and writes
// two files: the verification key (kept off the host) and the provision file the server consumes
// and erases on its first start. A server started without one makes its own and writes the
// verification key beside the log with origin "server": such a key is never trusted evidence.
struct VerifyKey {
    std::string key_id;
    ChainKey initial{};          // chain key of sequence 1
    ChainKey checkpoint_seed{};  // root of the checkpoint key chain (epoch 1 uses its hash)
    bool has_checkpoint_seed = false;
    std::string origin;          // "keygen" or "server"
};
std::string encode_verify_key(const VerifyKey& key);     // JSON, kind "verify"
std::string encode_provision_key(const VerifyKey& key);  // JSON, kind "provision"
std::optional<VerifyKey> decode_verify_key(std::string_view json);  // either kind
VerifyKey generate_root_key(const std::string& origin);

struct VerifyReport {
    bool ok = false;
    std::uint64_t records = 0;
    std::uint64_t first_sequence = 0, last_sequence = 0;
    std::string last_hash;
    std::uint64_t bad_sequence = 0;  // the first sequence that failed (or was expected), when !ok
    std::string bad_file;
    std::size_t bad_line = 0;
    std::string problem;
    // How the first record is tied to the chain's start: "genesis" (sequence 1), "anchor" (the
    // sequence/seal given to the verifier), "checkpoint" (a signed checkpoint before a window).
    std::string anchored_by;
    std::uint64_t checkpoints = 0;         // signed checkpoints checked
    std::uint64_t last_checkpoint_epoch = 0, last_checkpoint_sequence = 0;
    std::string last_checkpoint_time;
    std::uint64_t unanchored_tail = 0;     // records after the last checkpoint (no signature covers them)
    std::uint64_t checkpoints_before_start = 0;  // out of scope: before the anchor or the window
    bool torn_tail = false;                // the last line was cut mid-write (a crash), not counted
};

struct Anchor {
    std::uint64_t sequence = 0;  // the last record before the files given
    std::string hash;            // its seal
};

struct VerifyOptions {
    std::optional<std::uint64_t> expect_last_sequence;  // e.g. from tatou_audit_last_sequence
    std::optional<std::filesystem::path> checkpoints;
    std::optional<Anchor> anchor;  // without it the files must start at the genesis record
    // A window's evidence (ir collect): records before the first file may be absent when a signed
    // checkpoint anchors the first record and is older than this time (format_timestamp's form).
    std::optional<std::string> window_since;
    bool window_ends_early = false;  // checkpoints past the last record are not a truncation
};

// Files may be given in any order (rotated segments are sorted by their first sequence).
VerifyReport verify_chain(const std::vector<std::filesystem::path>& files, const VerifyKey& key,
                          const VerifyOptions& options = {});

// A signed checkpoint line: {"@timestamp","epoch","sequence","hash","key_id","signature"}.
std::string checkpoint_line(std::uint64_t epoch, std::uint64_t sequence, const std::string& hash,
                            const std::string& key_id, const std::string& timestamp, const ChainKey& epoch_seed);

}  // namespace tatou::obs
