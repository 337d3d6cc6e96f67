// Ordinary concurrency must never look like an outage: several writers of one user, each with its
// own pooled connection, insert and delete documents and versions at once. On SQLite in WAL mode
// a transaction that reads before it writes cannot upgrade to a writer once another connection
// has committed, and the busy timeout does not help then ("database is locked" → 503); the store
// begins its write transactions as a writer so they queue on the lock instead.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "store/sql_store.hpp"
#include "store/test_database.hpp"

using namespace tatou;

namespace {

class ConcurrentWritesOn : public ::testing::TestWithParam<std::string> {};

constexpr int kWriters = 6;
constexpr int kRounds = 40;

}  // namespace

TEST_P(ConcurrentWritesOn, ManyWritersOfOneUserNeverSeeTheDatabaseAsUnavailable) {
    test::TestDatabase db{GetParam()};
    SqlStore store(db.config(kWriters));
    const UserId owner = store.create_user({0, "w@x.com", "w", "h"}, "w@x.com");

    std::atomic<int> unavailable{0}, other_errors{0}, deleted{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int r = 0; r < kRounds; ++r) {
                const std::string tag = std::to_string(w) + "-" + std::to_string(r);
                try {
                    const DocumentId doc = store.insert_document(
                        Document{0, owner, "n", "d/" + tag, "2025-01-01T00:00:00.000000Z", std::string(64, 'a'), 1});
                    store.insert_version(Version{0, doc, "link-" + tag, "bob", "s", "toy-eof", std::nullopt, "v/" + tag});
                    store.list_versions(doc, owner);
                    if (store.delete_document(doc, owner)) deleted.fetch_add(1);
                } catch (const Error& e) {
                    (e.code() == Errc::unavailable ? unavailable : other_errors).fetch_add(1);
                }
            }
        });
    }
    for (auto& t : writers) t.join();

    EXPECT_EQ(unavailable.load(), 0);
    EXPECT_EQ(other_errors.load(), 0);
    EXPECT_EQ(deleted.load(), kWriters * kRounds);
    EXPECT_TRUE(store.list_all_versions(owner).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentWritesOn, ::testing::ValuesIn(test::backends_under_test()),
                         [](const auto& info) { return info.param; });
