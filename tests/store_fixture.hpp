#pragma once
#include <memory>

#include "store/file_store.hpp"
#include "store/sql_store.hpp"
#include "test_support.hpp"

namespace tatou::test {

// A real SQLite database and storage folder in a temp dir.
struct StoreFixture {
    TempDir dir;
    std::unique_ptr<SqlStore> store;
    std::unique_ptr<FileStore> files;

    StoreFixture() {
        DbConfig config;
        config.soci_connect = "db=" + (dir.path() / "t.db").string() + " timeout=5";
        config.pool_size = 2;
        store = std::make_unique<SqlStore>(config);
        files = std::make_unique<FileStore>(dir.path() / "storage");
    }
};

}  // namespace tatou::test
