#include "obs/receipt_proof.hpp"

#include <stdexcept>

namespace tatou::obs {

namespace {

constexpr const char* kInclusionKind = "tatou issuance inclusion proof";
constexpr const char* kConsistencyKind = "tatou issuance consistency proof";
constexpr std::size_t kMaxPath = 64;  // a tree of 2^64 leaves needs no more

std::vector<merkle::Hash> leaf_hashes(const LogContents& log) {
    std::vector<merkle::Hash> out;
    out.reserve(log.entries.size());
    for (const auto& e : log.entries) out.push_back(e.hash);
    return out;
}

const TreeHead& head_of_size(const LogContents& log, std::uint64_t size) {
    for (const auto& h : log.heads)
        if (h.size == size) return h;
    throw std::runtime_error("no signed tree head of size " + std::to_string(size));
}

nlohmann::json hex_list(const std::vector<merkle::Hash>& hashes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hashes) out.push_back(merkle::to_hex(h));
    return out;
}

std::optional<std::vector<merkle::Hash>> parse_list(const nlohmann::json& j) {
    if (!j.is_array() || j.size() > kMaxPath) return std::nullopt;
    std::vector<merkle::Hash> out;
    for (const auto& item : j) {
        if (!item.is_string()) return std::nullopt;
        const auto h = merkle::from_hex(item.get<std::string>());
        if (!h) return std::nullopt;
        out.push_back(*h);
    }
    return out;
}

ProofCheck failed(std::string kind, std::string problem) {
    ProofCheck c;
    c.kind = std::move(kind);
    c.problem = std::move(problem);
    return c;
}

ProofCheck check_inclusion(const nlohmann::json& doc, const VerifyKey& key) {
    const auto head = doc.contains("tree_head") ? tree_head_from_json(doc["tree_head"]) : std::nullopt;
    if (!head) return failed("inclusion", "no well-formed tree_head");
    if (const auto bad = check_tree_head(*head, key); !bad.empty()) return failed("inclusion", bad);
    if (!doc.contains("leaf") || !doc["leaf"].is_string()) return failed("inclusion", "no leaf");
    const std::string leaf = doc["leaf"].get<std::string>();
    const auto receipt = decode_leaf(leaf);
    if (!receipt) return failed("inclusion", "the leaf is not an issuance receipt");
    if (!doc.contains("leaf_index") || !doc["leaf_index"].is_number_unsigned() || !doc.contains("tree_size") ||
        !doc["tree_size"].is_number_unsigned())
        return failed("inclusion", "leaf_index and tree_size must be unsigned integers");
    const auto index = doc["leaf_index"].get<std::uint64_t>();
    const auto size = doc["tree_size"].get<std::uint64_t>();
    if (size != head->size) return failed("inclusion", "tree_size differs from the signed head's");
    const auto path = doc.contains("audit_path") ? parse_list(doc["audit_path"]) : std::nullopt;
    if (!path) return failed("inclusion", "audit_path must be a list of 64-hex hashes");
    const auto root = merkle::from_hex(head->root);
    if (!merkle::verify_inclusion(merkle::leaf_hash(leaf), index, size, *path, *root))
        return failed("inclusion", "the leaf is not in the tree the signed head names (leaf, index or path altered)");
    ProofCheck c;
    c.ok = true;
    c.kind = "inclusion";
    c.details = {{"version_id", receipt->version_id},
                 {"document_id", receipt->document_id},
                 {"copy_sha256", receipt->copy_sha256},
                 {"recipient_commitment", receipt->recipient_commitment},
                 {"issued_at", receipt->time},
                 {"leaf_index", index},
                 {"tree_size", size},
                 {"tree_head_time", head->timestamp}};
    return c;
}

ProofCheck check_consistency(const nlohmann::json& doc, const VerifyKey& key) {
    const auto old_head = doc.contains("old_tree_head") ? tree_head_from_json(doc["old_tree_head"]) : std::nullopt;
    const auto new_head = doc.contains("new_tree_head") ? tree_head_from_json(doc["new_tree_head"]) : std::nullopt;
    if (!old_head || !new_head) return failed("consistency", "no well-formed old_tree_head and new_tree_head");
    if (const auto bad = check_tree_head(*old_head, key); !bad.empty()) return failed("consistency", "old head: " + bad);
    if (const auto bad = check_tree_head(*new_head, key); !bad.empty()) return failed("consistency", "new head: " + bad);
    const auto proof = doc.contains("proof") ? parse_list(doc["proof"]) : std::nullopt;
    if (!proof) return failed("consistency", "proof must be a list of 64-hex hashes");
    if (!merkle::verify_consistency(old_head->size, new_head->size, *merkle::from_hex(old_head->root),
                                    *merkle::from_hex(new_head->root), *proof))
        return failed("consistency", "the newer tree does not extend the older one (a receipt was changed, removed "
                                     "or reordered, or the proof was altered)");
    ProofCheck c;
    c.ok = true;
    c.kind = "consistency";
    c.details = {{"old_tree_size", old_head->size},
                 {"new_tree_size", new_head->size},
                 {"old_tree_head_time", old_head->timestamp},
                 {"new_tree_head_time", new_head->timestamp}};
    return c;
}

// A leak attribution report: its receipt must prove the attributed version, and the opening must
// open that leaf's recipient commitment to the recipient the report names.
ProofCheck check_attribution(const nlohmann::json& report, const VerifyKey& key) {
    const auto& receipt = report["issuance_receipt"];
    if (!receipt.is_object() || !receipt.contains("inclusion_proof"))
        return failed("attribution", "the issuance receipt has no inclusion proof");
    ProofCheck c = check_inclusion(receipt["inclusion_proof"], key);
    c.kind = "attribution";
    if (!c.ok) return c;
    const auto& opening = receipt.value("opening", nlohmann::json::object());
    if (!opening.is_object() || !opening.contains("recipient") || !opening["recipient"].is_string() ||
        !opening.contains("salt") || !opening["salt"].is_string())
        return failed("attribution", "the receipt has no opening (recipient, salt)");
    const std::string recipient = opening["recipient"].get<std::string>();
    if (recipient_commitment(recipient, opening["salt"].get<std::string>()) != c.details["recipient_commitment"])
        return failed("attribution", "the opening does not match the leaf's recipient commitment");
    const auto& result = report.value("result", nlohmann::json::object());
    const auto& named = result.is_object() ? result.value("attributed_to", nlohmann::json::array())
                                           : nlohmann::json::array();
    bool found = false;
    if (named.is_array())
        for (const auto& n : named)
            if (n.is_object() && n.value("version_id", std::uint64_t{0}) == c.details["version_id"].get<std::uint64_t>())
                found = true;
    if (!found) return failed("attribution", "the receipt is not for the version the report attributes the leak to");
    c.details["recipient"] = recipient;
    return c;
}

}  // namespace

nlohmann::json make_inclusion_proof(const LogContents& log, std::uint64_t version_id,
                                    std::optional<std::uint64_t> tree_size) {
    if (log.heads.empty()) throw std::runtime_error("the receipts log has no signed tree head");
    std::optional<std::uint64_t> index;
    for (std::uint64_t i = 0; i < log.entries.size() && i < log.heads.back().size; ++i)
        if (decode_leaf(log.entries[i].leaf)->version_id == version_id) {
            if (index) throw std::runtime_error("version " + std::to_string(version_id) + " has two receipts");
            index = i;
        }
    if (!index) throw std::runtime_error("version " + std::to_string(version_id) + " has no issuance receipt");
    const TreeHead& head = head_of_size(log, tree_size.value_or(log.heads.back().size));
    if (*index >= head.size)
        throw std::runtime_error("version " + std::to_string(version_id) + " was issued after the tree of size " +
                                 std::to_string(head.size));
    const auto hashes = leaf_hashes(log);
    return nlohmann::json{{"kind", kInclusionKind},
                          {"hash", "RFC 9162 SHA-256"},
                          {"leaf", log.entries[*index].leaf},
                          {"leaf_index", *index},
                          {"tree_size", head.size},
                          {"audit_path", hex_list(merkle::inclusion_path(hashes, *index, head.size))},
                          {"tree_head", tree_head_json(head)}};
}

nlohmann::json make_consistency_proof(const LogContents& log, std::uint64_t old_size, std::uint64_t new_size) {
    if (old_size == 0 || old_size > new_size) throw std::runtime_error("need 0 < OLD_SIZE <= NEW_SIZE");
    const TreeHead& old_head = head_of_size(log, old_size);
    const TreeHead& new_head = head_of_size(log, new_size);
    const auto hashes = leaf_hashes(log);
    return nlohmann::json{{"kind", kConsistencyKind},
                          {"hash", "RFC 9162 SHA-256"},
                          {"old_tree_head", tree_head_json(old_head)},
                          {"new_tree_head", tree_head_json(new_head)},
                          {"proof", hex_list(merkle::consistency_proof(hashes, old_size, new_size))}};
}

std::string receipt_salt(const LogContents& log, std::uint64_t version_id) {
    for (const auto& e : log.entries)
        if (decode_leaf(e.leaf)->version_id == version_id) return e.salt;
    return {};
}

ProofCheck verify_proof_document(const nlohmann::json& doc, const VerifyKey& key) {
    if (!doc.is_object()) return failed("", "not a JSON object");
    if (doc.contains("issuance_receipt")) return check_attribution(doc, key);
    const std::string kind = doc.value("kind", "");
    if (kind == kInclusionKind) return check_inclusion(doc, key);
    if (kind == kConsistencyKind) return check_consistency(doc, key);
    return failed("", "neither an inclusion proof, a consistency proof nor an attribution report");
}

}  // namespace tatou::obs
