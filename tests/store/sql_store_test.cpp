#include "store/sql_store.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "store/migrations.hpp"
#include "store_fixture.hpp"

using namespace tatou;

TEST(SqlStore, MigratesToTheLatestVersionAndReopensIdempotently) {
    test::TempDir dir;
    DbConfig config;
    config.soci_connect = "db=" + (dir.path() / "m.db").string();
    config.pool_size = 1;
    {
        SqlStore store(config);
        EXPECT_EQ(store.schema_version(), migrations().back().version);
        store.create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    }
    SqlStore again(config);
    EXPECT_EQ(again.schema_version(), migrations().back().version);
    EXPECT_TRUE(again.find_user_by_email_key("a@x.com").has_value());
}

TEST(SqlStore, UniqueEmailAndLoginAreConflicts) {
    test::StoreFixture db;
    db.store->create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    try {
        db.store->create_user({0, "A@x.com", "alice2", "h"}, "a@x.com");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::conflict);
    }
    EXPECT_THROW(db.store->create_user({0, "z@x.com", "alice", "h"}, "z@x.com"), Error);
}

TEST(SqlStore, InjectionStringsAreData) {
    test::StoreFixture db;
    const std::string evil = "x'); DROP TABLE users; --";
    const auto id = db.store->create_user({0, evil, "mallory", "h"}, evil);
    const auto user = db.store->find_user(id);
    ASSERT_TRUE(user);
    EXPECT_EQ(user->email, evil);
    EXPECT_TRUE(db.store->find_user_by_email_key(evil).has_value());
}

TEST(SqlStore, DocumentsAndVersionsAreOwnerScoped) {
    test::StoreFixture db;
    const auto a = db.store->create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    const auto b = db.store->create_user({0, "b@x.com", "bob", "h"}, "b@x.com");
    Document d{0, a, "n", "1/documents/x.pdf", "2025-01-01T00:00:00.000000Z", std::string(64, 'a'), 10};
    d.id = db.store->insert_document(d);
    Version v{0, d.id, "link1", "bob", "secret", "toy-eof", std::nullopt, "1/versions/y.pdf"};
    v.id = db.store->insert_version(v);
    EXPECT_FALSE(db.store->find_document(d.id, b).has_value());
    EXPECT_TRUE(db.store->list_versions(d.id, b).empty());
    EXPECT_TRUE(db.store->list_all_versions(b).empty());
    ASSERT_EQ(db.store->list_all_versions(a).size(), 1u);
    EXPECT_FALSE(db.store->list_all_versions(a)[0].position.has_value());
    EXPECT_FALSE(db.store->delete_document(d.id, b).has_value());
    const auto removed = db.store->delete_document(d.id, a);
    ASSERT_TRUE(removed);
    ASSERT_EQ(removed->size(), 1u);
    EXPECT_EQ((*removed)[0].path, "1/versions/y.pdf");
    EXPECT_FALSE(db.store->find_version_by_link("link1").has_value());
}

TEST(SqlStore, TokensRevokeSinglyAndPerUser) {
    test::StoreFixture db;
    const auto a = db.store->create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    db.store->insert_token("h1", a, 1, 100);
    db.store->insert_token("h2", a, 1, 100);
    db.store->revoke_token("h1");
    EXPECT_TRUE(db.store->find_token("h1")->revoked);
    EXPECT_FALSE(db.store->find_token("h2")->revoked);
    db.store->revoke_user_tokens(a);
    EXPECT_TRUE(db.store->find_token("h2")->revoked);
    db.store->purge_expired_tokens(1000);
    EXPECT_FALSE(db.store->find_token("h2").has_value());
}

// A cached lookup must not leave a read transaction open: a later write on the same
// connection would fail on a stale snapshot once another connection has written.
TEST(SqlStore, CachedLookupsDoNotPinASnapshot) {
    test::TempDir dir;
    DbConfig config;
    config.soci_connect = "db=" + (dir.path() / "s.db").string() + " timeout=5";
    config.pool_size = 1;
    SqlStore a(config), b(config);
    const auto user = a.create_user({0, "a@x.com", "alice", "h"}, "a@x.com");
    a.insert_token("t1", user, 1, 100);
    ASSERT_TRUE(a.find_token("t1").has_value());
    EXPECT_TRUE(a.list_documents(user).empty());
    b.insert_token("t2", user, 1, 100);
    EXPECT_NO_THROW(a.insert_token("t3", user, 1, 100));
    EXPECT_TRUE(a.find_token("t2").has_value());
}
