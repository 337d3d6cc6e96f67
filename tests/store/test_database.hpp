#pragma once
// A fresh, empty database on one backend for one test. SQLite needs nothing; MariaDB and
// PostgreSQL need a running server whose administrator URL is in TATOU_TEST_MARIADB_URL /
// TATOU_TEST_POSTGRESQL_URL (tests/db/with_server.py starts one and sets it). Backends without
// a URL are not instantiated at all, so nothing is ever skipped and counted as passing.
#include <string>
#include <vector>

#include "store/sql_store.hpp"
#include "test_support.hpp"

namespace tatou::test {

// "sqlite" always, plus "mariadb" / "postgresql" when their server URL is set.
std::vector<std::string> backends_under_test();

class TestDatabase {
public:
    explicit TestDatabase(const std::string& backend);
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    DbConfig config(std::size_t pool_size = 2) const;
    const std::string& url() const { return url_; }

private:
    std::string backend_;
    TempDir dir_;
    std::string admin_url_, name_, url_;
};

}  // namespace tatou::test
