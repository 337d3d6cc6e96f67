#include "store/migrations.hpp"

#include <soci/soci.h>

#include "core/clock.hpp"
#include "store/sql_store.hpp"

namespace tatou {
namespace {

std::string primary_key(DbBackend backend) {
    switch (backend) {
        case DbBackend::sqlite: return "INTEGER PRIMARY KEY AUTOINCREMENT";
        case DbBackend::mysql: return "BIGINT AUTO_INCREMENT PRIMARY KEY";
        case DbBackend::postgresql: return "BIGSERIAL PRIMARY KEY";
    }
    return {};
}

std::string expand(std::string stmt, DbBackend backend) {
    const std::string key = "{pk}";
    for (auto pos = stmt.find(key); pos != std::string::npos; pos = stmt.find(key))
        stmt.replace(pos, key.size(), primary_key(backend));
    // MariaDB: InnoDB (foreign keys, transactions), utf8mb4 whatever the server default, and a
    // binary collation so unique columns compare exactly as on SQLite and PostgreSQL ('Bob' and
    // 'bob' are two logins everywhere).
    if (backend == DbBackend::mysql && stmt.rfind("CREATE TABLE", 0) == 0)
        stmt += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
    return stmt;
}

// Nodes sharing one database may start together (the lock key is "tatou" in ASCII): one applies the migrations, the others wait
// and then find nothing left to do. SQLite serialises writers by itself.
class SchemaLock {
public:
    SchemaLock(soci::session& sql, DbBackend backend) : sql_(sql), backend_(backend) {
        int got = 0;
        if (backend_ == DbBackend::mysql)
            sql_ << "SELECT GET_LOCK('tatou_schema', 60)", soci::into(got);
        else if (backend_ == DbBackend::postgresql)
            sql_ << "SELECT 1 FROM (SELECT pg_advisory_lock(500108949365)) AS l", soci::into(got);
        else
            got = 1;
        if (got != 1) throw std::runtime_error("timed out waiting for another node's schema migration");
    }
    ~SchemaLock() {
        try {
            int released = 0;
            if (backend_ == DbBackend::mysql)
                sql_ << "SELECT RELEASE_LOCK('tatou_schema')", soci::into(released);
            else if (backend_ == DbBackend::postgresql)
                sql_ << "SELECT 1 FROM (SELECT pg_advisory_unlock(500108949365)) AS l", soci::into(released);
        } catch (const std::exception&) {
            // The server drops session locks with the connection anyway.
        }
    }
    SchemaLock(const SchemaLock&) = delete;
    SchemaLock& operator=(const SchemaLock&) = delete;

private:
    soci::session& sql_;
    DbBackend backend_;
};

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {1,
         {
             "CREATE TABLE users ("
             " id {pk},"
             " email VARCHAR(320) NOT NULL,"
             " email_key VARCHAR(320) NOT NULL UNIQUE,"
             " login VARCHAR(64) NOT NULL UNIQUE,"
             " hpassword VARCHAR(255) NOT NULL,"
             " created_at BIGINT NOT NULL)",
             "CREATE TABLE tokens ("
             " token_hash CHAR(64) NOT NULL PRIMARY KEY,"
             " user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
             " issued_at BIGINT NOT NULL,"
             " expires_at BIGINT NOT NULL,"
             " revoked SMALLINT NOT NULL DEFAULT 0)",
             "CREATE INDEX ix_tokens_user ON tokens(user_id)",
             "CREATE TABLE documents ("
             " id {pk},"
             " name VARCHAR(255) NOT NULL,"
             " path VARCHAR(512) NOT NULL UNIQUE,"
             " ownerid BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
             " creation VARCHAR(32) NOT NULL,"
             " sha256 CHAR(64) NOT NULL,"
             " size BIGINT NOT NULL)",
             "CREATE INDEX ix_documents_owner ON documents(ownerid)",
             "CREATE TABLE versions ("
             " id {pk},"
             " documentid BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
             " link VARCHAR(128) NOT NULL UNIQUE,"
             " intended_for VARCHAR(320) NOT NULL,"
             " secret TEXT NOT NULL,"
             " method VARCHAR(64) NOT NULL,"
             " position TEXT,"
             " path VARCHAR(512) NOT NULL)",
             "CREATE INDEX ix_versions_document ON versions(documentid)",
         }},
        // RMAP: handshake sessions (so msg2 may reach another process, or come after a restart)
        // and the system account that owns the RMAP document and its versions.
        {2,
         {
             "CREATE TABLE rmap_sessions ("
             " nonce_server CHAR(16) NOT NULL PRIMARY KEY,"
             " identity VARCHAR(128) NOT NULL,"
             " nonce_client CHAR(16) NOT NULL,"
             " session_id CHAR(16) NOT NULL,"
             " created_at BIGINT NOT NULL,"
             " expires_at BIGINT NOT NULL,"
             " result CHAR(32))",
             "CREATE INDEX ix_rmap_sessions_identity ON rmap_sessions(identity)",
             "CREATE INDEX ix_rmap_sessions_expiry ON rmap_sessions(expires_at)",
             // '!' is no Argon2 string, so no password verifies; ':' is not allowed in logins. Id -1
             // keeps every positive id free (an import from the original keeps its ids, and API ids
             // must be positive) without moving any backend's auto-increment counter.
             "INSERT INTO users(id, email, email_key, login, hpassword, created_at)"
             " VALUES(-1, 'rmap-system@tatou.invalid', 'rmap-system@tatou.invalid', 'system:rmap', '!', 0)",
         }},
        // Containment that must survive a restart and hold on every node: account locks and
        // source blocks (until = 0 means until lifted), read-only mode and the token-key
        // generation.
        {3,
         {
             "CREATE TABLE account_locks ("
             " user_id BIGINT NOT NULL PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
             " until_at BIGINT NOT NULL,"
             " created_at BIGINT NOT NULL)",
             "CREATE TABLE ip_blocks ("
             " cidr VARCHAR(64) NOT NULL PRIMARY KEY,"
             " until_at BIGINT NOT NULL,"
             " created_at BIGINT NOT NULL)",
             "CREATE TABLE server_state ("
             " name VARCHAR(64) NOT NULL PRIMARY KEY,"
             " value VARCHAR(255) NOT NULL)",
             "INSERT INTO server_state(name, value) VALUES('token_generation', '1')",
             "INSERT INTO server_state(name, value) VALUES('read_only', '0')",
         }},
        // Incident records and their timeline notes (tatou ir open/note/close/report). Times in
        // unix milliseconds, like the audit log's timestamps.
        {4,
         {
             "CREATE TABLE incidents ("
             " id {pk},"
             " title VARCHAR(200) NOT NULL,"
             " severity SMALLINT NOT NULL,"
             " status VARCHAR(16) NOT NULL,"
             " opened_at BIGINT NOT NULL,"
             " opened_by VARCHAR(64) NOT NULL,"
             " closed_at BIGINT,"
             " summary TEXT,"
             " lessons TEXT,"
             " impact_functional VARCHAR(16),"
             " impact_information VARCHAR(16),"
             " impact_recoverability VARCHAR(24))",
             "CREATE TABLE incident_notes ("
             " id {pk},"
             " incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
             " at_ms BIGINT NOT NULL,"
             " kind VARCHAR(16) NOT NULL,"
             " author VARCHAR(64) NOT NULL,"
             " body TEXT NOT NULL)",
             "CREATE INDEX ix_incident_notes_incident ON incident_notes(incident_id)",
         }},
        // Automatic login locks (TATOU_LOCK_AFTER), so a lock one node sets holds on every node
        // and across restarts. Keyed by an HMAC of the email (no address in clear, and unknown
        // emails lock like known ones).
        {5,
         {
             "CREATE TABLE login_locks ("
             " email_hash CHAR(64) NOT NULL PRIMARY KEY,"
             " until_at BIGINT NOT NULL,"
             " created_at BIGINT NOT NULL)",
             "CREATE INDEX ix_login_locks_until ON login_locks(until_at)",
         }},
    };
    return all;
}

int current_schema_version(soci::session& sql) {
    int version = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
    return ind == soci::i_ok ? version : 0;
}

void migrate(soci::session& sql, DbBackend backend) {
    const SchemaLock lock(sql, backend);
    sql << expand("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version INTEGER NOT NULL PRIMARY KEY,"
                  " applied_at BIGINT NOT NULL)",
                  backend);
    const int have = current_schema_version(sql);
    for (const auto& m : migrations()) {
        if (m.version <= have) continue;
        // MariaDB commits DDL implicitly, so there a failed migration can leave its earlier
        // statements applied; SQLite and PostgreSQL roll the whole step back.
        soci::transaction tr(sql);
        for (const auto& stmt : m.statements) sql << expand(stmt, backend);
        const long long now = unix_now();
        sql << "INSERT INTO schema_migrations(version, applied_at) VALUES(:v, :t)", soci::use(m.version),
            soci::use(now);
        tr.commit();
    }
}

}  // namespace tatou
