#pragma once
// Issuance receipts as a transparency log (docs/audit-receipts.md). Every issued watermarked version
// is one leaf of an RFC 9162 Merkle tree (obs/merkle.hpp); after each leaf the server signs the
// tree head (size, root, time). Leaves and heads go to one append-only file beside the audit log,
// receipts.jsonl, and are fdatasync'ed before the version is acknowledged, whatever the database.
//
// Tree heads are signed like the audit checkpoints (audit_chain.hpp): with a forward-secure chain
// of Ed25519 seeds rooted in the audit chain's checkpoint seed, one epoch per tree size, the
// seed of size n erased once head n is signed. Whoever takes the host later holds only the seed of
// the next size and cannot sign a head for a tree that already exists — so a recipient mapping
// cannot be planted in the past after a leak. The verifier needs the audit verification key
// (`tatou audit keygen`, kept off the host).
//
// A leaf names the recipient only by a salted commitment, SHA-256("tatou-recipient-v1" 0x00 salt
// recipient); the salt stays in receipts.jsonl (0600) and is revealed only in an attribution
// report, where it opens the commitment for the one attributed recipient.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/issuance_log.hpp"
#include "obs/audit_chain.hpp"
#include "obs/merkle.hpp"

namespace tatou::obs {

struct Receipt {
    std::uint64_t version_id = 0;
    std::int64_t document_id = 0;
    std::string document_sha256, copy_sha256;
    std::string recipient_commitment;  // 64 hex
    std::string method;
    std::string time;  // format_timestamp's form
};
std::string encode_leaf(const Receipt& r);  // the exact bytes hashed into the leaf
std::optional<Receipt> decode_leaf(std::string_view leaf);
std::string recipient_commitment(std::string_view recipient, std::string_view salt_hex);

struct TreeHead {
    std::uint64_t size = 0;  // also the signing epoch
    std::string root;        // 64 hex
    std::string timestamp;
    std::string key_id;      // the audit verification key that checks it
    std::string signature;   // Ed25519, 128 hex
};
std::string tree_head_body(const TreeHead& head);  // what is signed
nlohmann::json tree_head_json(const TreeHead& head);
std::optional<TreeHead> tree_head_from_json(const nlohmann::json& j);
// The seed that signs the head of size 1, from the audit chain's root checkpoint seed.
ChainKey tree_head_root_seed(const ChainKey& checkpoint_root);
TreeHead sign_tree_head(std::uint64_t size, const std::string& root, const std::string& key_id,
                        const std::string& timestamp, const ChainKey& size_seed);
// Empty when the signature is good under `key`; else what is wrong.
std::string check_tree_head(const TreeHead& head, const VerifyKey& key);

// The file read back (by the server at start and by `tatou audit prove`).
struct LogEntry {
    std::string leaf;  // encode_leaf bytes
    std::string salt;  // hex; opens the recipient commitment
    merkle::Hash hash{};
};
struct LogContents {
    std::vector<LogEntry> entries;
    std::vector<TreeHead> heads;  // in file order
    std::string problem;          // non-empty: the file is not a log this server wrote
    bool torn_tail = false;       // the last line was cut mid-write (never acknowledged)
};
LogContents read_log(const std::filesystem::path& file);

struct TransparencyConfig {
    std::filesystem::path dir;             // the audit log's folder
    std::filesystem::path provision_file;  // audit-provision.key (read before the audit log erases it)
};

class TransparencyLog : public IssuanceLog {
public:
    // Opens (or starts) receipts.jsonl and receipts.state. Throws std::runtime_error when the file
    // does not match its heads or the state was lost while leaves exist.
    explicit TransparencyLog(TransparencyConfig config);
    ~TransparencyLog() override;
    TransparencyLog(const TransparencyLog&) = delete;
    TransparencyLog& operator=(const TransparencyLog&) = delete;

    // No state yet and no provision file: take the root from the verification key the audit log
    // made on this host (never trusted), or make one (receipts-verify.key) when there is none.
    bool needs_key() const { return !keyed_; }
    void key_from_host(const std::filesystem::path& audit_verify_key);

    void record(const Issuance& issuance) override;  // durable before it returns
    std::uint64_t size() const;
    bool keyed_on_host() const { return keyed_on_host_; }
    std::filesystem::path file() const { return config_.dir / "receipts.jsonl"; }

private:
    void start(const VerifyKey& root);
    void persist_state();

    TransparencyConfig config_;
    mutable std::mutex mu_;
    int fd_ = -1;
    int state_fd_ = -1;
    merkle::Frontier frontier_;
    std::uint64_t bytes_ = 0;
    ChainKey seed_{};            // signs the head of size next_size_
    std::uint64_t next_size_ = 1;
    std::string key_id_;
    bool keyed_ = false;
    bool keyed_on_host_ = false;
};

}  // namespace tatou::obs
