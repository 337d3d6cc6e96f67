// The issuance receipts file on a real folder: heads verify under the operator's key across
// restarts, a crash's torn tail is dropped, and a file or state that was tampered with stops the
// server instead of being extended.
#include "obs/transparency_log.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace tatou;
using namespace tatou::obs;

namespace {

struct TransparencyLogTest : ::testing::Test {
    test::TempDir tmp;
    VerifyKey root;

    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        root = generate_root_key("keygen");
        std::ofstream(tmp.path() / "audit-provision.key") << encode_provision_key(root) << "\n";
    }

    TransparencyConfig config() const { return {tmp.path(), tmp.path() / "audit-provision.key"}; }
    fs::path file() const { return tmp.path() / "receipts.jsonl"; }

    static Issuance issuance(VersionId id) {
        return {id, 7, std::string(64, 'a'), std::string(64, 'b'), "recipient" + std::to_string(id) + "@x.com",
                "toy-eof"};
    }

    std::string contents() const {
        std::ifstream in(file(), std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }

    void append(const std::string& text) const { std::ofstream(file(), std::ios::app | std::ios::binary) << text; }

    void expect_all_heads_verify(std::size_t size) {
        const auto log = read_log(file());
        ASSERT_TRUE(log.problem.empty()) << log.problem;
        ASSERT_EQ(log.entries.size(), size);
        ASSERT_EQ(log.heads.size(), size);
        for (std::size_t i = 0; i < size; ++i) {
            EXPECT_EQ(log.heads[i].size, i + 1);
            EXPECT_EQ(check_tree_head(log.heads[i], root), "") << "head " << i + 1;
        }
    }
};

}  // namespace

TEST_F(TransparencyLogTest, HeadsVerifyUnderTheOperatorKeyAcrossRestarts) {
    {
        TransparencyLog log(config());
        EXPECT_FALSE(log.needs_key());
        EXPECT_FALSE(log.keyed_on_host());
        for (VersionId id = 1; id <= 3; ++id) log.record(issuance(id));
        EXPECT_EQ(log.size(), 3u);
    }
    expect_all_heads_verify(3);
    EXPECT_EQ(contents().find("recipient1@x.com"), std::string::npos);  // only the commitment
    {
        TransparencyLog log(config());
        EXPECT_EQ(log.size(), 3u);
        log.record(issuance(4));
    }
    expect_all_heads_verify(4);
    EXPECT_EQ(fs::status(file()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(TransparencyLogTest, AHeadDoesNotVerifyUnderAnotherKeyOrWhenEdited) {
    TransparencyLog(config()).record(issuance(1));
    const auto log = read_log(file());
    ASSERT_EQ(log.heads.size(), 1u);
    VerifyKey other = generate_root_key("keygen");
    other.key_id = root.key_id;  // same name, other seed
    EXPECT_NE(check_tree_head(log.heads[0], other), "");
    TreeHead edited = log.heads[0];
    edited.timestamp = "2000-01-01T00:00:00.000Z";
    EXPECT_NE(check_tree_head(edited, root), "");
}

TEST_F(TransparencyLogTest, TheStateKeepsOnlyTheSeedOfTheNextSize) {
    TransparencyLog log(config());
    log.record(issuance(1));
    log.record(issuance(2));
    std::ifstream in(tmp.path() / "receipts.state", std::ios::binary);
    const std::string state{std::istreambuf_iterator<char>(in), {}};
    ASSERT_GE(state.size(), 40u);
    const ChainKey seed1 = tree_head_root_seed(root.checkpoint_seed);
    const ChainKey next = advance_checkpoint_seed(seed1, 2);  // signs size 3
    for (std::uint64_t used = 0; used < 2; ++used) {
        const ChainKey old = advance_checkpoint_seed(seed1, used);
        EXPECT_EQ(state.find(std::string(reinterpret_cast<const char*>(old.data()), old.size())), std::string::npos)
            << "seed of size " << used + 1 << " still on disk";
    }
    EXPECT_EQ(state.substr(8, 32), std::string(reinterpret_cast<const char*>(next.data()), next.size()));
}

TEST_F(TransparencyLogTest, ATornTailAndAnUnsignedLeafAreDroppedOnStart) {
    TransparencyLog(config()).record(issuance(1));
    const std::string good = contents();
    append("{\"leaf\":\"{\\\"v\\\":1");  // cut mid-write
    {
        TransparencyLog log(config());
        EXPECT_EQ(log.size(), 1u);
    }
    EXPECT_EQ(contents(), good);
    // A whole leaf line whose head never got written: never acknowledged either.
    const std::string leaf_line = good.substr(0, good.find('\n') + 1);
    append(leaf_line);
    {
        TransparencyLog log(config());
        EXPECT_EQ(log.size(), 1u);
        log.record(issuance(2));
    }
    expect_all_heads_verify(2);
}

TEST_F(TransparencyLogTest, AnEditedReceiptStopsTheStart) {
    {
        TransparencyLog log(config());
        log.record(issuance(1));
        log.record(issuance(2));
    }
    std::string text = contents();
    const auto at = text.find("toy-eof");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 7, "toy-xof");
    std::ofstream(file(), std::ios::binary | std::ios::trunc) << text;
    EXPECT_FALSE(read_log(file()).problem.empty());
    EXPECT_THROW(TransparencyLog{config()}, std::runtime_error);
}

TEST_F(TransparencyLogTest, RemovedReceiptsOrALostStateStopTheStart) {
    {
        TransparencyLog log(config());
        for (VersionId id = 1; id <= 3; ++id) log.record(issuance(id));
    }
    const std::string text = contents();
    // Keep the first leaf and head only: the state still says 3.
    std::size_t cut = text.find('\n');
    cut = text.find('\n', cut + 1) + 1;
    std::ofstream(file(), std::ios::binary | std::ios::trunc) << text.substr(0, cut);
    EXPECT_THROW(TransparencyLog{config()}, std::runtime_error);
    std::ofstream(file(), std::ios::binary | std::ios::trunc) << text;
    fs::remove(tmp.path() / "receipts.state");
    EXPECT_THROW(TransparencyLog{config()}, std::runtime_error);
}

TEST_F(TransparencyLogTest, WithoutAProvisionFileTheHostKeyIsUsedAndFlagged) {
    fs::remove(tmp.path() / "audit-provision.key");
    VerifyKey host = generate_root_key("server");
    std::ofstream(tmp.path() / "audit-verify.key") << encode_verify_key(host) << "\n";
    TransparencyLog log(config());
    ASSERT_TRUE(log.needs_key());
    EXPECT_THROW(log.record(issuance(1)), std::runtime_error);  // no key, no receipt
    log.key_from_host(tmp.path() / "audit-verify.key");
    EXPECT_TRUE(log.keyed_on_host());
    log.record(issuance(1));
    const auto read = read_log(file());
    ASSERT_EQ(read.heads.size(), 1u);
    EXPECT_EQ(check_tree_head(read.heads[0], host), "");
}
