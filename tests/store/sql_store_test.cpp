// The Store contract, run on every backend under test (SQLite always; MariaDB and PostgreSQL
// when tests/db/with_server.py has started them): the same inputs give the same results.
#include "store/sql_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "store/migrations.hpp"
#include "store/test_database.hpp"
#include "test_support.hpp"

using namespace tatou;

namespace {

class SqlStoreOn : public ::testing::TestWithParam<std::string> {
protected:
    test::TestDatabase db{GetParam()};
    std::unique_ptr<SqlStore> store = std::make_unique<SqlStore>(db.config());

    UserId user(const std::string& login) {
        return store->create_user({0, login + "@x.com", login, "h"}, login + "@x.com");
    }
};

Document doc_of(UserId owner, const std::string& path) {
    return Document{0, owner, "n", path, "2025-01-01T00:00:00.123456Z", std::string(64, 'a'), 10};
}

}  // namespace

TEST_P(SqlStoreOn, MigratesToTheLatestVersionAndReopensIdempotently) {
    EXPECT_EQ(store->schema_version(), migrations().back().version);
    user("alice");
    store.reset();
    SqlStore again(db.config());
    EXPECT_EQ(again.schema_version(), migrations().back().version);
    EXPECT_TRUE(again.find_user_by_email_key("alice@x.com").has_value());
}

TEST_P(SqlStoreOn, UniqueEmailAndLoginAreConflicts) {
    user("alice");
    EXPECT_EQ(test::code_of([&] { store->create_user({0, "A@x.com", "alice2", "h"}, "alice@x.com"); }),
              Errc::conflict);
    EXPECT_EQ(test::code_of([&] { store->create_user({0, "z@x.com", "alice", "h"}, "z@x.com"); }),
              Errc::conflict);
    // Uniqueness is exact on every backend (MariaDB tables use a binary collation).
    EXPECT_NO_THROW(store->create_user({0, "b@x.com", "Alice", "h"}, "b@x.com"));
}

TEST_P(SqlStoreOn, InjectionStringsAreData) {
    const std::string evil = "x'); DROP TABLE users; --\\";
    const auto id = store->create_user({0, evil, "mallory", "h"}, evil);
    const auto found = store->find_user(id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->email, evil);
    EXPECT_TRUE(store->find_user_by_email_key(evil).has_value());
}

TEST_P(SqlStoreOn, TextRoundTripsExactly) {
    const auto a = user("alice");
    Document d = doc_of(a, "1/documents/u.pdf");
    d.name = "r\xC3\xA9sum\xC3\xA9 \xF0\x9F\x93\x84 \xE6\x96\x87\xE6\xA1\xA3.pdf";  // 4-byte UTF-8 too
    d.id = store->insert_document(d);
    const auto listed = store->list_documents(a);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].name, d.name);
    EXPECT_EQ(listed[0].creation, d.creation);
    EXPECT_EQ(store->find_document(d.id, a)->creation, d.creation);
}

// SQLite ignores VARCHAR lengths and keeps the whole value; MariaDB (strict mode, whatever the
// server default) and PostgreSQL refuse it. Nowhere is a value cut short.
TEST_P(SqlStoreOn, TooLongValuesAreNeverTruncated) {
    const auto a = user("alice");
    const Document d = doc_of(a, std::string(600, 'p'));  // path is VARCHAR(512)
    if (GetParam() == "sqlite") {
        store->insert_document(d);
        EXPECT_EQ(store->list_documents(a).at(0).path, d.path);
    } else {
        EXPECT_EQ(test::code_of([&] { store->insert_document(d); }), Errc::unavailable);
        EXPECT_TRUE(store->list_documents(a).empty());
    }
}

TEST_P(SqlStoreOn, IdsAreSixtyFourBitAndIncreasing) {
    const auto a = user("alice");
    const auto d1 = store->insert_document(doc_of(a, "1/documents/a.pdf"));
    const auto d2 = store->insert_document(doc_of(a, "1/documents/b.pdf"));
    EXPECT_GT(d2, d1);
    const auto docs = store->list_documents(a);
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].id, d2);  // newest first
}

TEST_P(SqlStoreOn, DocumentsAndVersionsAreOwnerScoped) {
    const auto a = user("alice");
    const auto b = user("bob");
    Document d = doc_of(a, "1/documents/x.pdf");
    d.id = store->insert_document(d);
    Version v{0, d.id, "link1", "bob", "secret", "toy-eof", std::nullopt, "1/versions/y.pdf"};
    v.id = store->insert_version(v);
    Version w{0, d.id, "link2", "carol", "s2", "toy-eof", std::string("top"), "1/versions/z.pdf"};
    w.id = store->insert_version(w);
    EXPECT_FALSE(store->find_document(d.id, b).has_value());
    EXPECT_TRUE(store->list_versions(d.id, b).empty());
    EXPECT_TRUE(store->list_all_versions(b).empty());
    const auto all = store->list_all_versions(a);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_FALSE(all[0].position.has_value());
    EXPECT_EQ(all[1].position.value_or(""), "top");
    EXPECT_EQ(store->list_versions(d.id, a).size(), 2u);
    EXPECT_EQ(store->find_version_by_link("link2")->intended_for, "carol");
    EXPECT_FALSE(store->delete_document(d.id, b).has_value());
    const auto removed = store->delete_document(d.id, a);
    ASSERT_TRUE(removed);
    ASSERT_EQ(removed->size(), 2u);
    EXPECT_EQ((*removed)[0].path, "1/versions/y.pdf");
    EXPECT_FALSE(store->find_version_by_link("link1").has_value());
    EXPECT_TRUE(store->list_documents(a).empty());
}

TEST_P(SqlStoreOn, TokensRevokeSinglyAndPerUser) {
    const auto a = user("alice");
    store->insert_token("h1", a, 1, 100);
    store->insert_token("h2", a, 1, 100);
    store->revoke_token("h1");
    EXPECT_TRUE(store->find_token("h1")->revoked);
    EXPECT_FALSE(store->find_token("h2")->revoked);
    store->revoke_user_tokens(a);
    EXPECT_TRUE(store->find_token("h2")->revoked);
    store->purge_expired_tokens(1000);
    EXPECT_FALSE(store->find_token("h2").has_value());
}

// Two stores on one database behave like two nodes: each sees the other's writes at once,
// and a cached lookup never pins a stale snapshot.
TEST_P(SqlStoreOn, TwoStoresOnOneDatabaseSeeEachOthersWrites) {
    SqlStore other(db.config(1));
    const auto a = user("alice");
    store->insert_token("t1", a, 1, 100);
    ASSERT_TRUE(store->find_token("t1").has_value());
    EXPECT_TRUE(store->list_documents(a).empty());
    other.insert_token("t2", a, 1, 100);
    other.revoke_token("t1");
    EXPECT_NO_THROW(store->insert_token("t3", a, 1, 100));
    EXPECT_TRUE(store->find_token("t2").has_value());
    EXPECT_TRUE(store->find_token("t1")->revoked);
    other.insert_document(doc_of(a, "1/documents/o.pdf"));
    EXPECT_EQ(store->list_documents(a).size(), 1u);
}

// Automatic login locks: one node sets, every node sees it at once; times are 64-bit; setting a
// lock drops the expired ones; removing is per email.
TEST_P(SqlStoreOn, LoginLocksAreSharedExpireAndLift) {
    SqlStore other(db.config(1));
    const std::string a(64, 'a'), b(64, 'b'), c(64, 'c');
    const std::int64_t now = 5'000'000'000;  // past 2^32
    EXPECT_FALSE(store->login_lock(a, now).has_value());
    store->set_login_lock(a, now + 900, now);
    EXPECT_EQ(other.login_lock(a, now), now + 900);
    EXPECT_FALSE(other.login_lock(a, now + 900).has_value());  // over at its end
    other.set_login_lock(a, now + 1800, now);                  // replaced, not doubled
    EXPECT_EQ(store->login_lock(a, now), now + 1800);
    store->set_login_lock(b, now + 10, now);
    store->set_login_lock(c, now + 1000, now + 20);  // b has expired by then: dropped
    EXPECT_FALSE(store->remove_login_lock(b));
    EXPECT_TRUE(other.remove_login_lock(a));
    EXPECT_FALSE(store->login_lock(a, now).has_value());
    EXPECT_EQ(store->login_lock(c, now + 20), now + 1000);
    EXPECT_EQ(store->count_login_locks(now + 20), 1);  // c only: a removed, b expired
    store->set_login_lock(a, now + 50, now + 20);
    EXPECT_EQ(store->count_login_locks(now + 20), 2);
    EXPECT_EQ(store->count_login_locks(now + 50), 1);  // a ends at now + 50
}

TEST_P(SqlStoreOn, PathsListsEveryReferencedFile) {
    const auto a = user("alice");
    const auto d = store->insert_document(doc_of(a, "1/documents/x.pdf"));
    store->insert_version({0, d, "l", "b", "s", "toy-eof", std::nullopt, "1/versions/y.pdf"});
    auto paths = store->all_file_paths();
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths, (std::vector<std::string>{"1/documents/x.pdf", "1/versions/y.pdf"}));
}

// Migration keeps the original's ids (64-bit ones too); new rows continue after them, and a
// taken id is a conflict, never an overwrite.
TEST_P(SqlStoreOn, ImportedIdsAreKeptAndNewRowsFollowThem) {
    constexpr std::int64_t big = 5'000'000'123LL;
    store->import_user({big, "old@x.com", "old", "scrypt:1:1:1$s$00"}, "old@x.com");
    Document d = doc_of(big, "1/documents/old.pdf");
    d.id = big + 1;
    Version v{big + 2, d.id, "oldlink", "carol", "s", "toy-eof", std::nullopt, "1/versions/old.pdf"};
    store->import_document(d, true, {v});
    store->finish_import();
    EXPECT_EQ(store->find_user(big)->login, "old");
    EXPECT_EQ(store->find_document(big + 1, big)->creation, d.creation);
    EXPECT_EQ(store->find_version_by_link("oldlink")->id, big + 2);
    EXPECT_TRUE(store->document_id_taken(big + 1));
    EXPECT_TRUE(store->version_id_taken(big + 2));
    EXPECT_TRUE(store->version_link_taken("oldlink"));
    EXPECT_GT(user("newer"), big);
    EXPECT_GT(store->insert_document(doc_of(big, "1/documents/new.pdf")), big + 1);
    EXPECT_EQ(test::code_of([&] { store->import_user({big, "x@x.com", "x", "h"}, "x@x.com"); }), Errc::conflict);
    // A version whose link is taken rolls its whole document back.
    Document e = doc_of(big, "1/documents/e.pdf");
    e.id = big + 10;
    Version dup{big + 11, e.id, "oldlink", "", "s", "toy-eof", std::nullopt, "1/versions/e.pdf"};
    EXPECT_EQ(test::code_of([&] { store->import_document(e, true, {dup}); }), Errc::conflict);
    EXPECT_FALSE(store->document_id_taken(big + 10));
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlStoreOn, ::testing::ValuesIn(test::backends_under_test()),
                         [](const auto& info) { return info.param; });
