#include <gtest/gtest.h>

#include "core/error.hpp"
#include "store_fixture.hpp"

using namespace tatou;

namespace {

RmapSession session(const std::string& ns, const std::string& identity, std::int64_t now) {
    return RmapSession{ns, identity, "00000000000000ff", "0123456789abcdef", now, now + 300, std::nullopt};
}

Version rmap_version(DocumentId doc, const std::string& link) {
    return Version{0, doc, link, "Group_A", "rmap:Group_A:0123456789abcdef", "toy-eof", std::nullopt,
                   "1/versions/" + link + ".pdf"};
}

struct RmapStore : ::testing::Test {
    test::StoreFixture db;
    UserId system = 0;
    DocumentId doc = 0;
    void SetUp() override {
        const auto user = db.store->find_user_by_email_key(kRmapSystemEmailKey);
        ASSERT_TRUE(user) << "migration 2 creates the system account";
        system = user->id;
        doc = db.store->insert_document(
            {0, system, "rmap.pdf", "1/documents/r.pdf", "2025-01-01T00:00:00.000000Z", std::string(64, 'b'), 5});
    }
};

}  // namespace

TEST_F(RmapStore, SessionsRoundTripWithFull64BitNoncesAsHex) {
    db.store->add_rmap_session(session("ffffffffffffffff", "Group_A", 1000), 0, 8);
    const auto s = db.store->find_rmap_session("ffffffffffffffff");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->identity, "Group_A");
    EXPECT_EQ(s->nonce_client, "00000000000000ff");
    EXPECT_EQ(s->expires_at, 1300);
    EXPECT_FALSE(s->result);
    EXPECT_FALSE(db.store->find_rmap_session("0000000000000000"));
}

TEST_F(RmapStore, PendingSessionsPerIdentityAreBoundedNotReplaced) {
    EXPECT_TRUE(db.store->add_rmap_session(session("0000000000000001", "Group_A", 1000), 0, 2));
    EXPECT_TRUE(db.store->add_rmap_session(session("0000000000000002", "Group_B", 1000), 0, 2));
    EXPECT_TRUE(db.store->add_rmap_session(session("0000000000000003", "Group_A", 1001), 0, 2));
    // Full for Group_A: refused, and the pending ones stay (nobody's handshake is cancelled).
    EXPECT_FALSE(db.store->add_rmap_session(session("0000000000000005", "Group_A", 1002), 0, 2));
    EXPECT_FALSE(db.store->find_rmap_session("0000000000000005"));
    EXPECT_TRUE(db.store->find_rmap_session("0000000000000001"));
    EXPECT_TRUE(db.store->find_rmap_session("0000000000000002"));
    EXPECT_TRUE(db.store->find_rmap_session("0000000000000003"));
    // A completed session frees its slot and survives (replays keep working).
    ASSERT_TRUE(db.store->complete_rmap_session("0000000000000003", rmap_version(doc, std::string(32, 'a'))));
    EXPECT_TRUE(db.store->add_rmap_session(session("0000000000000004", "Group_A", 1002), 0, 2));
    EXPECT_TRUE(db.store->find_rmap_session("0000000000000003"));
    // An expired pending session no longer counts (1000 + 300 <= 1300).
    EXPECT_FALSE(db.store->add_rmap_session(session("0000000000000006", "Group_A", 1299), 0, 2));
    EXPECT_TRUE(db.store->add_rmap_session(session("0000000000000006", "Group_A", 1300), 0, 2));
}

TEST_F(RmapStore, DuplicateNonceServerIsAConflict) {
    db.store->add_rmap_session(session("0000000000000001", "Group_A", 1000), 0, 8);
    EXPECT_EQ(test::code_of([&] { db.store->add_rmap_session(session("0000000000000001", "Group_B", 1), 0, 8); }),
              Errc::conflict);
}

TEST_F(RmapStore, CompletingIsOnceOnlyAndAtomic) {
    db.store->add_rmap_session(session("0000000000000001", "Group_A", 1000), 0, 8);
    const auto link = std::string(32, 'c');
    const auto id = db.store->complete_rmap_session("0000000000000001", rmap_version(doc, link));
    ASSERT_TRUE(id);
    EXPECT_EQ(db.store->find_rmap_session("0000000000000001")->result, link);
    EXPECT_EQ(db.store->find_version_by_link(link)->id, *id);
    // A second completion changes nothing: no second version, same result.
    EXPECT_FALSE(db.store->complete_rmap_session("0000000000000001", rmap_version(doc, std::string(32, 'd'))));
    EXPECT_FALSE(db.store->find_version_by_link(std::string(32, 'd')));
    // Unknown session: nothing inserted.
    EXPECT_FALSE(db.store->complete_rmap_session("00000000000000ee", rmap_version(doc, std::string(32, 'e'))));
    EXPECT_FALSE(db.store->find_version_by_link(std::string(32, 'e')));
    // A taken link rolls the claim back: the session stays pending.
    db.store->add_rmap_session(session("0000000000000002", "Group_B", 1000), 0, 8);
    EXPECT_FALSE(db.store->complete_rmap_session("0000000000000002", rmap_version(doc, link)));
    EXPECT_FALSE(db.store->find_rmap_session("0000000000000002")->result);
}

TEST_F(RmapStore, LongExpiredSessionsArePurgedOnTheNextMsg1) {
    db.store->add_rmap_session(session("0000000000000001", "Group_A", 1000), 0, 8);  // expires 1300
    db.store->add_rmap_session(session("0000000000000002", "Group_B", 5000), 1299, 8);
    EXPECT_TRUE(db.store->find_rmap_session("0000000000000001"));
    db.store->add_rmap_session(session("0000000000000003", "Group_C", 5000), 1301, 8);
    EXPECT_FALSE(db.store->find_rmap_session("0000000000000001"));
}

TEST_F(RmapStore, SystemDocumentsAreInNoUsersListing) {
    const auto alice = db.store->create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    EXPECT_TRUE(db.store->list_documents(alice).empty());
    EXPECT_EQ(db.store->list_documents(system).size(), 1u);
    EXPECT_NE(alice, system);
}
