#pragma once
// Proofs over the issuance receipts (transparency_log.hpp) as self-contained JSON documents that a
// verifier checks with nothing but the audit verification key: an inclusion proof (one version's
// leaf is in the tree a signed head names) and a consistency proof (the tree of one signed head
// is a prefix of another's: nothing was removed, reordered or rewritten in between).
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "obs/transparency_log.hpp"

namespace tatou::obs {

// Against the head of `tree_size` (default: the newest head). Throws std::runtime_error with a
// sentence when the version has no receipt or no such head exists.
nlohmann::json make_inclusion_proof(const LogContents& log, std::uint64_t version_id,
                                    std::optional<std::uint64_t> tree_size = std::nullopt);
nlohmann::json make_consistency_proof(const LogContents& log, std::uint64_t old_size, std::uint64_t new_size);
// The salt of a version's leaf (opens its recipient commitment), empty when there is none.
std::string receipt_salt(const LogContents& log, std::uint64_t version_id);

struct ProofCheck {
    bool ok = false;
    std::string kind;     // "inclusion", "consistency" or "attribution"
    std::string problem;  // why not, when !ok
    nlohmann::json details = nlohmann::json::object();
};
// An inclusion or consistency proof, or a leak attribution report carrying an issuance receipt.
ProofCheck verify_proof_document(const nlohmann::json& doc, const VerifyKey& key);

}  // namespace tatou::obs
