#pragma once
// Merkle tree hashing and proofs of RFC 9162 §2.1 (the RFC 6962 tree, SHA-256): a leaf hashes as
// H(0x00 || data), an inner node as H(0x01 || left || right), and a tree of n leaves splits at the
// largest power of two below n. Proof generation follows PATH (§2.1.3.1) and SUBPROOF (§2.1.4.1)
// literally; verification follows the bit-walking algorithms of §2.1.3.2 and §2.1.4.2, so the two
// sides are independent computations and a test that runs both over every size catches a wrong one.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::obs::merkle {

using Hash = std::array<unsigned char, 32>;

Hash leaf_hash(std::string_view data);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();  // SHA-256 of the empty string (MTH({}))

// MTH over leaf hashes [begin, end).
Hash root(const std::vector<Hash>& leaves, std::size_t begin, std::size_t end);
inline Hash root(const std::vector<Hash>& leaves) { return root(leaves, 0, leaves.size()); }

// PATH(index, D[size]) over the first `size` leaf hashes; index < size <= leaves.size().
std::vector<Hash> inclusion_path(const std::vector<Hash>& leaves, std::uint64_t index, std::uint64_t size);
// PROOF(old_size, D[new_size]); 0 < old_size <= new_size <= leaves.size().
std::vector<Hash> consistency_proof(const std::vector<Hash>& leaves, std::uint64_t old_size, std::uint64_t new_size);

bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, const std::vector<Hash>& path,
                      const Hash& root);
bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof);

// The right edge of a growing tree (one perfect subtree root per set bit of the size): append and
// root in O(log n), so the server never keeps or rehashes the whole tree.
class Frontier {
public:
    void append(const Hash& leaf);
    Hash root() const;
    std::uint64_t size() const { return size_; }

private:
    std::vector<Hash> stack_;  // perfect subtrees, largest first
    std::vector<std::uint64_t> heights_;
    std::uint64_t size_ = 0;
};

std::string to_hex(const Hash& h);
std::optional<Hash> from_hex(std::string_view text);

}  // namespace tatou::obs::merkle
