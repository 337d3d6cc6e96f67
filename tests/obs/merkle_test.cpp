// obs/merkle against a second, deliberately naive RFC 9162 implementation written here from the
// RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF over slices), for every tree size 1..40,
// every leaf index and every pair of sizes; then the attacks a verifier must refuse.
#include "obs/merkle.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>
#include <string>
#include <vector>

namespace m = tatou::obs::merkle;

namespace {

using Hash = m::Hash;
using Slice = std::vector<std::string>;  // the leaf data D[n]

Hash sha(const std::string& bytes) {
    Hash out{};
    crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return out;
}

std::string raw(const Hash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

std::size_t ref_split(std::size_t n) {  // largest power of two k < n
    std::size_t k = 1;
    while (2 * k < n) k *= 2;
    return k;
}

Slice sub(const Slice& d, std::size_t begin, std::size_t end) { return Slice(d.begin() + begin, d.begin() + end); }

// RFC 9162 §2.1.1.
Hash ref_mth(const Slice& d) {
    if (d.empty()) return sha("");
    if (d.size() == 1) return sha(std::string(1, '\0') + d[0]);
    const std::size_t k = ref_split(d.size());
    return sha(std::string(1, '\1') + raw(ref_mth(sub(d, 0, k))) + raw(ref_mth(sub(d, k, d.size()))));
}

// RFC 9162 §2.1.3.1.
std::vector<Hash> ref_path(std::size_t m, const Slice& d) {
    if (d.size() == 1) return {};
    const std::size_t k = ref_split(d.size());
    std::vector<Hash> out;
    if (m < k) {
        out = ref_path(m, sub(d, 0, k));
        out.push_back(ref_mth(sub(d, k, d.size())));
    } else {
        out = ref_path(m - k, sub(d, k, d.size()));
        out.push_back(ref_mth(sub(d, 0, k)));
    }
    return out;
}

// RFC 9162 §2.1.4.1.
std::vector<Hash> ref_subproof(std::size_t m, const Slice& d, bool b) {
    const std::size_t n = d.size();
    if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{ref_mth(d)};
    const std::size_t k = ref_split(n);
    std::vector<Hash> out;
    if (m <= k) {
        out = ref_subproof(m, sub(d, 0, k), b);
        out.push_back(ref_mth(sub(d, k, n)));
    } else {
        out = ref_subproof(m - k, sub(d, k, n), false);
        out.push_back(ref_mth(sub(d, 0, k)));
    }
    return out;
}

Slice data_of(std::size_t n) {
    Slice d;
    for (std::size_t i = 0; i < n; ++i) d.push_back("receipt #" + std::to_string(i));
    return d;
}

std::vector<Hash> hashes_of(const Slice& d) {
    std::vector<Hash> out;
    for (const auto& s : d) out.push_back(m::leaf_hash(s));
    return out;
}

constexpr std::size_t kMaxSize = 40;

class MerkleTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
    const Slice data = data_of(kMaxSize);
    const std::vector<Hash> leaves = hashes_of(data);
};

}  // namespace

TEST_F(MerkleTest, EmptyTreeIsSha256OfNothing) {
    EXPECT_EQ(m::to_hex(m::empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(m::to_hex(m::root({})), m::to_hex(m::empty_root()));
    EXPECT_EQ(m::to_hex(m::Frontier{}.root()), m::to_hex(m::empty_root()));
}

TEST_F(MerkleTest, LeafAndNodeHashesCarryDomainPrefixes) {
    EXPECT_EQ(m::leaf_hash("abc"), sha(std::string(1, '\0') + "abc"));
    EXPECT_EQ(m::node_hash(leaves[0], leaves[1]), sha(std::string(1, '\1') + raw(leaves[0]) + raw(leaves[1])));
    // A leaf can never pose as an inner node of the same bytes.
    EXPECT_NE(m::leaf_hash(raw(leaves[0]) + raw(leaves[1])), m::node_hash(leaves[0], leaves[1]));
}

TEST_F(MerkleTest, RootAndFrontierMatchReferenceForEverySize) {
    m::Frontier f;
    for (std::size_t n = 1; n <= kMaxSize; ++n) {
        f.append(leaves[n - 1]);
        const Hash want = ref_mth(sub(data, 0, n));
        EXPECT_EQ(m::root(leaves, 0, n), want) << "size " << n;
        EXPECT_EQ(f.root(), want) << "frontier size " << n;
        EXPECT_EQ(f.size(), n);
    }
}

TEST_F(MerkleTest, InclusionPathsMatchReferenceAndVerifyForEveryIndex) {
    for (std::size_t n = 1; n <= kMaxSize; ++n) {
        const Hash root = ref_mth(sub(data, 0, n));
        for (std::size_t i = 0; i < n; ++i) {
            const auto path = m::inclusion_path(leaves, i, n);
            ASSERT_EQ(path, ref_path(i, sub(data, 0, n))) << "size " << n << " index " << i;
            EXPECT_TRUE(m::verify_inclusion(leaves[i], i, n, path, root)) << "size " << n << " index " << i;
        }
    }
}

TEST_F(MerkleTest, ConsistencyProofsMatchReferenceAndVerifyForEveryPair) {
    for (std::size_t n = 1; n <= kMaxSize; ++n) {
        const Hash new_root = ref_mth(sub(data, 0, n));
        for (std::size_t o = 1; o <= n; ++o) {
            const Hash old_root = ref_mth(sub(data, 0, o));
            const auto proof = m::consistency_proof(leaves, o, n);
            ASSERT_EQ(proof, ref_subproof(o, sub(data, 0, n), true)) << o << " -> " << n;
            EXPECT_TRUE(m::verify_consistency(o, n, old_root, new_root, proof)) << o << " -> " << n;
        }
    }
}

TEST_F(MerkleTest, InclusionRejectsModifiedLeafWrongIndexAndTruncatedPath) {
    for (std::size_t n = 1; n <= kMaxSize; ++n) {
        const Hash root = m::root(leaves, 0, n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto path = m::inclusion_path(leaves, i, n);
            const std::string where = "size " + std::to_string(n) + " index " + std::to_string(i);
            EXPECT_FALSE(m::verify_inclusion(m::leaf_hash(data[i] + "x"), i, n, path, root)) << where;
            for (std::size_t j = 0; j < n; ++j)
                if (j != i) EXPECT_FALSE(m::verify_inclusion(leaves[i], j, n, path, root)) << where << " as " << j;
            EXPECT_FALSE(m::verify_inclusion(leaves[i], i + n, n, path, root)) << where;  // out of range
            if (!path.empty()) {
                auto cut = path;
                cut.pop_back();
                EXPECT_FALSE(m::verify_inclusion(leaves[i], i, n, cut, root)) << where;
                for (std::size_t k = 0; k < path.size(); ++k) {
                    auto bent = path;
                    bent[k][0] ^= 1;
                    EXPECT_FALSE(m::verify_inclusion(leaves[i], i, n, bent, root)) << where << " hash " << k;
                }
            }
            auto longer = path;
            longer.push_back(leaves[0]);
            EXPECT_FALSE(m::verify_inclusion(leaves[i], i, n, longer, root)) << where;
            Hash other = root;
            other[31] ^= 1;
            EXPECT_FALSE(m::verify_inclusion(leaves[i], i, n, path, other)) << where;
        }
    }
}

TEST_F(MerkleTest, ConsistencyRejectsSwappedSizesTamperedProofsAndRoots) {
    for (std::size_t n = 2; n <= kMaxSize; ++n) {
        const Hash new_root = m::root(leaves, 0, n);
        for (std::size_t o = 1; o < n; ++o) {
            const Hash old_root = m::root(leaves, 0, o);
            const auto proof = m::consistency_proof(leaves, o, n);
            const std::string where = std::to_string(o) + " -> " + std::to_string(n);
            EXPECT_FALSE(m::verify_consistency(n, o, new_root, old_root, proof)) << where << " swapped";
            EXPECT_FALSE(m::verify_consistency(n, o, old_root, new_root, proof)) << where << " sizes swapped";
            EXPECT_FALSE(m::verify_consistency(o, n, old_root, new_root, {})) << where << " empty";
            auto cut = proof;
            cut.pop_back();
            EXPECT_FALSE(m::verify_consistency(o, n, old_root, new_root, cut)) << where << " truncated";
            auto longer = proof;
            longer.push_back(leaves[0]);
            EXPECT_FALSE(m::verify_consistency(o, n, old_root, new_root, longer)) << where << " extended";
            for (std::size_t k = 0; k < proof.size(); ++k) {
                auto bent = proof;
                bent[k][5] ^= 0x40;
                EXPECT_FALSE(m::verify_consistency(o, n, old_root, new_root, bent)) << where << " hash " << k;
            }
            Hash forged = old_root;
            forged[0] ^= 1;
            EXPECT_FALSE(m::verify_consistency(o, n, forged, new_root, proof)) << where << " old root";
            forged = new_root;
            forged[0] ^= 1;
            EXPECT_FALSE(m::verify_consistency(o, n, old_root, forged, proof)) << where << " new root";
            // A rewritten old leaf: the new tree no longer extends the old one.
            auto rewritten = leaves;
            rewritten[o - 1] = m::leaf_hash("planted");
            EXPECT_FALSE(m::verify_consistency(o, n, old_root, m::root(rewritten, 0, n),
                                               m::consistency_proof(rewritten, o, n)))
                << where << " rewritten";
        }
        EXPECT_FALSE(m::verify_consistency(0, n, m::empty_root(), new_root, {}));
        EXPECT_TRUE(m::verify_consistency(n, n, new_root, new_root, {}));
        EXPECT_FALSE(m::verify_consistency(n, n, new_root, new_root, {leaves[0]}));
        EXPECT_FALSE(m::verify_consistency(n, n, new_root, m::root(leaves, 0, n - 1), {}));
    }
}

// The size is part of what is proved: the proof 2 -> 3 with the root of 3 must not pass for 2 -> 5
// (the walk ends before the new size's top, sn != 0), nor the path of leaf 2 in 3 for a tree of 5.
TEST_F(MerkleTest, AProofDoesNotStretchToALargerClaimedSize) {
    const Hash root2 = m::root(leaves, 0, 2), root3 = m::root(leaves, 0, 3);
    const auto proof = m::consistency_proof(leaves, 2, 3);
    ASSERT_TRUE(m::verify_consistency(2, 3, root2, root3, proof));
    EXPECT_FALSE(m::verify_consistency(2, 5, root2, root3, proof));
    const auto path = m::inclusion_path(leaves, 2, 3);
    ASSERT_TRUE(m::verify_inclusion(leaves[2], 2, 3, path, root3));
    EXPECT_FALSE(m::verify_inclusion(leaves[2], 2, 5, path, root3));
}

TEST_F(MerkleTest, GeneratorsRefuseOutOfRangeArguments) {
    EXPECT_TRUE(m::inclusion_path(leaves, 5, 5).empty());
    EXPECT_TRUE(m::inclusion_path(leaves, 0, kMaxSize + 1).empty());
    EXPECT_TRUE(m::consistency_proof(leaves, 0, 4).empty());
    EXPECT_TRUE(m::consistency_proof(leaves, 5, 4).empty());
    EXPECT_TRUE(m::consistency_proof(leaves, 4, kMaxSize + 1).empty());
}

TEST_F(MerkleTest, HexRoundTripsAndRejectsMalformedText) {
    const std::string h = m::to_hex(leaves[3]);
    ASSERT_EQ(h.size(), 64u);
    EXPECT_EQ(m::from_hex(h), leaves[3]);
    EXPECT_FALSE(m::from_hex(h.substr(1)));
    EXPECT_FALSE(m::from_hex(h + "0"));
    std::string upper = h;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != h) EXPECT_FALSE(m::from_hex(upper));
    EXPECT_FALSE(m::from_hex(std::string(63, '0') + "g"));
}
