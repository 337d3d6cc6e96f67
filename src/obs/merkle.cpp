#include "obs/merkle.hpp"

#include <sodium.h>

namespace tatou::obs::merkle {

namespace {

// Largest power of two strictly below n (n >= 2).
std::uint64_t split(std::uint64_t n) {
    std::uint64_t k = 1;
    while (k << 1 < n) k <<= 1;
    return k;
}

void subproof(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
              std::vector<Hash>& out) {
    const std::uint64_t n = end - begin;
    if (m == n) {
        if (!whole) out.push_back(root(leaves, begin, end));
        return;
    }
    const std::uint64_t k = split(n);
    if (m <= k) {
        subproof(leaves, m, begin, begin + k, whole, out);
        out.push_back(root(leaves, begin + k, end));
    } else {
        subproof(leaves, m - k, begin + k, end, false, out);
        out.push_back(root(leaves, begin, begin + k));
    }
}

void path(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
          std::vector<Hash>& out) {
    const std::uint64_t n = end - begin;
    if (n == 1) return;
    const std::uint64_t k = split(n);
    if (m < k) {
        path(leaves, m, begin, begin + k, out);
        out.push_back(root(leaves, begin + k, end));
    } else {
        path(leaves, m - k, begin + k, end, out);
        out.push_back(root(leaves, begin, begin + k));
    }
}

}  // namespace

Hash leaf_hash(std::string_view data) {
    Hash out{};
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const unsigned char prefix = 0x00;
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    crypto_hash_sha256_final(&st, out.data());
    return out;
}

Hash node_hash(const Hash& left, const Hash& right) {
    Hash out{};
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const unsigned char prefix = 0x01;
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, left.data(), left.size());
    crypto_hash_sha256_update(&st, right.data(), right.size());
    crypto_hash_sha256_final(&st, out.data());
    return out;
}

Hash empty_root() {
    Hash out{};
    crypto_hash_sha256(out.data(), nullptr, 0);
    return out;
}

Hash root(const std::vector<Hash>& leaves, std::size_t begin, std::size_t end) {
    const std::size_t n = end - begin;
    if (n == 0) return empty_root();
    if (n == 1) return leaves[begin];
    const std::size_t k = split(n);
    return node_hash(root(leaves, begin, begin + k), root(leaves, begin + k, end));
}

std::vector<Hash> inclusion_path(const std::vector<Hash>& leaves, std::uint64_t index, std::uint64_t size) {
    std::vector<Hash> out;
    if (index >= size || size > leaves.size()) return out;
    path(leaves, index, 0, size, out);
    return out;
}

std::vector<Hash> consistency_proof(const std::vector<Hash>& leaves, std::uint64_t old_size, std::uint64_t new_size) {
    std::vector<Hash> out;
    if (old_size == 0 || old_size > new_size || new_size > leaves.size()) return out;
    subproof(leaves, old_size, 0, new_size, true, out);
    return out;
}

bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, const std::vector<Hash>& path,
                      const Hash& root) {
    if (index >= size) return false;
    std::uint64_t fn = index, sn = size - 1;
    Hash r = leaf;
    for (const Hash& p : path) {
        if (sn == 0) return false;
        if ((fn & 1) != 0 || fn == sn) {
            r = node_hash(p, r);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1, sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(r.data(), root.data(), r.size()) == 0;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof) {
    if (old_size == 0 || old_size > new_size) return false;
    if (old_size == new_size)  // RFC 9162: the proof between equal trees is empty, the roots equal
        return proof.empty() && sodium_memcmp(old_root.data(), new_root.data(), old_root.size()) == 0;
    if (proof.empty()) return false;
    std::vector<Hash> path;
    if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
    path.insert(path.end(), proof.begin(), proof.end());
    std::uint64_t fn = old_size - 1, sn = new_size - 1;
    while ((fn & 1) != 0) fn >>= 1, sn >>= 1;
    Hash fr = path[0], sr = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) {
        const Hash& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) != 0 || fn == sn) {
            fr = node_hash(c, fr);
            sr = node_hash(c, sr);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
        } else {
            sr = node_hash(sr, c);
        }
        fn >>= 1, sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(fr.data(), old_root.data(), fr.size()) == 0 &&
           sodium_memcmp(sr.data(), new_root.data(), sr.size()) == 0;
}

void Frontier::append(const Hash& leaf) {
    stack_.push_back(leaf);
    heights_.push_back(0);
    // Two perfect subtrees of one height merge, as the binary carry of size + 1.
    while (heights_.size() >= 2 && heights_[heights_.size() - 1] == heights_[heights_.size() - 2]) {
        const Hash right = stack_.back();
        stack_.pop_back();
        heights_.pop_back();
        stack_.back() = node_hash(stack_.back(), right);
        ++heights_.back();
    }
    ++size_;
}

Hash Frontier::root() const {
    if (stack_.empty()) return empty_root();
    // MTH of an unbalanced tree folds the perfect subtrees from the right.
    Hash r = stack_.back();
    for (std::size_t i = stack_.size() - 1; i-- > 0;) r = node_hash(stack_[i], r);
    return r;
}

std::string to_hex(const Hash& h) {
    std::string out(h.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), h.data(), h.size());
    out.pop_back();
    return out;
}

std::optional<Hash> from_hex(std::string_view text) {
    Hash h{};
    std::size_t got = 0;
    if (text.size() != 64) return std::nullopt;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    if (sodium_hex2bin(h.data(), h.size(), text.data(), text.size(), nullptr, &got, nullptr) != 0 || got != 32)
        return std::nullopt;
    return h;
}

}  // namespace tatou::obs::merkle
