#pragma once
// A transaction that will write. SQLite in WAL mode cannot upgrade a reading transaction to a
// writer once another connection has committed (SQLITE_BUSY at once, the busy timeout does not
// apply), so on SQLite it begins as a writer (BEGIN IMMEDIATE) and waits its turn on the lock.
// MariaDB and PostgreSQL lock rows as they go; SOCI's own transaction is right for them.
// Rolls back unless committed, like soci::transaction.
#include <soci/soci.h>

#include <optional>

#include "store/sql_store.hpp"

namespace tatou {

class WriteTransaction {
public:
    WriteTransaction(soci::session& sql, DbBackend backend) : sql_(sql) {
        if (backend == DbBackend::sqlite) {
            sql_ << "BEGIN IMMEDIATE";
            raw_open_ = true;
        } else {
            portable_.emplace(sql_);
        }
    }
    ~WriteTransaction() {
        if (!raw_open_) return;
        try {
            sql_ << "ROLLBACK";
        } catch (...) {  // the connection is gone; SQLite rolled back already
        }
    }
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;

    void commit() {
        if (portable_) {
            portable_->commit();
            return;
        }
        sql_ << "COMMIT";
        raw_open_ = false;
    }

private:
    soci::session& sql_;
    bool raw_open_ = false;
    std::optional<soci::transaction> portable_;
};

}  // namespace tatou
