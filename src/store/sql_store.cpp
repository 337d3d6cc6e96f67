#include "store/sql_store.hpp"

#include <chrono>
#include <type_traits>

#include <soci/soci.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "store/dialect.hpp"
#include "store/hot_queries.hpp"
#include "store/migrations.hpp"
#include "store/query_watchdog.hpp"
#include "store/write_transaction.hpp"

namespace tatou {
namespace {

bool is_unique_violation(const soci::soci_error& e) {
    if (e.get_error_category() == soci::soci_error::constraint_violation) return true;
    const std::string what = e.what();
    return what.find("UNIQUE") != std::string::npos || what.find("Duplicate entry") != std::string::npos ||
           what.find("duplicate key") != std::string::npos;
}

[[noreturn]] void unavailable(const std::exception& e) {
    // The driver text may hold table names or user names: it goes to the diagnostic log only.
    spdlog::error("database error: {}", sanitized_driver_message(e.what()));
    throw Error(Errc::unavailable, "database unavailable");
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A pooled connection idle longer than this is checked with a round-trip before use: a server
// restarted while Tatou was idle has silently invalidated it.
constexpr std::int64_t kIdleCheckMs = 1000;

// Rows are read into typed variables, never through soci::row: SQLite reports an INTEGER
// PRIMARY KEY column as a 32-bit int there and SOCI truncates ids beyond 2^31 on the way.
struct DocumentRow {
    long long id = 0, owner = 0, size = 0;
    std::string name, path, creation, sha256;
    Document value() const { return Document{id, owner, name, path, creation, sha256, size}; }
};

struct VersionRow {
    long long id = 0, document_id = 0;
    std::string link, intended_for, secret, method, position, path;
    soci::indicator position_ind = soci::i_null;
    Version value() const {
        Version v{id, document_id, link, intended_for, secret, method, std::nullopt, path};
        if (position_ind == soci::i_ok) v.position = position;
        return v;
    }
};

constexpr const char* kDocumentColumns = "id, ownerid, name, path, creation, sha256, size";
constexpr const char* kVersionColumns =
    "v.id, v.documentid, v.link, v.intended_for, v.secret, v.method, v.position, v.path";

}  // namespace

SqlStore::SqlStore(const DbConfig& config) : config_(config) {
    try {
        pool_ = std::make_unique<soci::connection_pool>(config.pool_size);
        for (std::size_t i = 0; i < config.pool_size; ++i) open_connection(pool_->at(i));
        migrate(pool_->at(0), config.backend);
        slots_.resize(config.pool_size);
        if (config.backend == DbBackend::postgresql)
            watchdog_ = std::make_unique<QueryWatchdog>(std::chrono::milliseconds(config.query_timeout_ms));
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        spdlog::debug("database open failed: {}", sanitized_driver_message(e.what()));
        throw Error(Errc::unavailable, describe_open_failure(e.what()));
    }
}

SqlStore::~SqlStore() = default;

void SqlStore::open_connection(soci::session& s) {
    switch (config_.backend) {
        case DbBackend::sqlite: s.open(*soci::factory_sqlite3(), config_.soci_connect); break;
        case DbBackend::mysql: s.open(*soci::factory_mysql(), config_.soci_connect); break;
        case DbBackend::postgresql: s.open(*soci::factory_postgresql(), config_.soci_connect); break;
    }
    configure_session(s, config_.backend);
}

// The connection's socket, for the watchdog (-1: not watched).
int SqlStore::socket_of(std::size_t slot) {
    if (!watchdog_) return -1;
    auto* backend = static_cast<soci::postgresql_session_backend*>(pool_->at(slot).get_backend());
    return backend && backend->conn_ ? PQsocket(backend->conn_) : -1;
}

void SqlStore::on_availability_change(AvailabilityListener listener) {
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
}

void SqlStore::set_available(bool up) {
    if (available_.exchange(up) == up) return;
    if (!up) outages_.fetch_add(1);
    std::lock_guard lock(listener_mutex_);
    if (listener_) listener_(up);
}

// Brings a leased connection back to a known-good state before work runs on it.
void SqlStore::make_usable(std::size_t slot) {
    Slot& s = slots_[slot];
    soci::session& sql = pool_->at(slot);
    const auto now = steady_ms();
    const bool suspect = s.broken || s.checked_epoch != epoch_.load() ||
                         (config_.backend != DbBackend::sqlite && now - s.last_used_ms > kIdleCheckMs);
    if (suspect) {
        bool alive = !s.broken;
        if (alive) {
            try {
                const auto guard = watchdog_ ? watchdog_->watch(socket_of(slot)) : QueryWatchdog::Guard(nullptr, 0);
                int one = 0;
                sql << "SELECT 1", soci::into(one);
            } catch (const std::exception&) {
                alive = false;
            }
        }
        if (!alive) {
            s.hot.reset();  // its statements belong to the old connection
            s.broken = true;
            sql.reconnect();  // throws while the server is still away
            configure_session(sql, config_.backend);
            s.broken = false;
            spdlog::info("database connection {} reopened", slot);
        }
        s.checked_epoch = epoch_.load();
    }
    s.last_used_ms = now;
}

// After a failed call: a lost connection starts (or continues) an outage.
void SqlStore::note_failure(std::size_t slot) {
    Slot& s = slots_[slot];
    s.hot.reset();  // prepared again on next use, after the connection recovers
    if (s.broken || !pool_->at(slot).is_connected()) {
        s.broken = true;
        epoch_.fetch_add(1);  // every other connection is re-checked before its next use
        set_available(false);
    }
}

template <class F>
auto SqlStore::run_on_slot(F&& work) {
    std::size_t slot = 0;
    if (!pool_->try_lease(slot, config_.lease_timeout_ms)) {
        Error busy(Errc::unavailable, "database busy");
        busy.retry_after = 2;
        throw busy;
    }
    struct GiveBack {
        soci::connection_pool& pool;
        std::size_t slot;
        ~GiveBack() { pool.give_back(slot); }
    } give_back{*pool_, slot};
    using Result = std::invoke_result_t<F&, soci::session&, std::size_t>;
    try {
        make_usable(slot);
        const auto guard = watchdog_ ? watchdog_->watch(socket_of(slot)) : QueryWatchdog::Guard(nullptr, 0);
        if constexpr (std::is_void_v<Result>) {
            work(pool_->at(slot), slot);
            set_available(true);
        } else {
            Result result = work(pool_->at(slot), slot);
            set_available(true);
            return result;
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        note_failure(slot);
        unavailable(e);
    }
}

template <class F>
auto SqlStore::run(F&& work) {
    return run_on_slot([&](soci::session& sql, std::size_t) { return work(sql); });
}

template <class F>
auto SqlStore::with_hot_queries(F&& work) {
    return run_on_slot([&](soci::session& sql, std::size_t slot) {
        if (!slots_[slot].hot) slots_[slot].hot = std::make_unique<HotQueries>(sql);
        return work(*slots_[slot].hot);
    });
}

int SqlStore::schema_version() {
    return run([](soci::session& sql) { return current_schema_version(sql); });
}

bool SqlStore::ping() {
    try {
        return run([](soci::session& sql) {
            int one = 0;
            sql << "SELECT 1", soci::into(one);
            return one == 1;
        });
    } catch (const Error&) {
        return false;
    }
}

UserId SqlStore::create_user(const User& user, const std::string& email_key) {
    return run([&](soci::session& sql) -> UserId {
        long long id = 0;
        const long long now = static_cast<long long>(std::time(nullptr));
        try {
            sql << "INSERT INTO users(email, email_key, login, hpassword, created_at)"
                   " VALUES(:e, :k, :l, :h, :t) RETURNING id",
                soci::use(user.email), soci::use(email_key), soci::use(user.login),
                soci::use(user.password_hash), soci::use(now), soci::into(id);
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) throw Error(Errc::conflict, "email or login already exists");
            throw;
        }
        return id;
    });
}

static std::optional<User> one_user(soci::session& sql, const std::string& where, const auto& key) {
    User u;
    long long id = 0;
    sql << "SELECT id, email, login, hpassword FROM users WHERE " + where, soci::use(key), soci::into(id),
        soci::into(u.email), soci::into(u.login), soci::into(u.password_hash);
    if (!sql.got_data()) return std::nullopt;
    u.id = id;
    return u;
}

std::optional<User> SqlStore::find_user_by_email_key(const std::string& email_key) {
    return run([&](soci::session& sql) { return one_user(sql, "email_key = :k", email_key); });
}

std::optional<User> SqlStore::find_user(UserId id) {
    return run([&](soci::session& sql) { return one_user(sql, "id = :k", id); });
}

void SqlStore::set_password_hash(UserId id, const std::string& hash) {
    run([&](soci::session& sql) {
        sql << "UPDATE users SET hpassword = :h WHERE id = :i", soci::use(hash), soci::use(id);
    });
}

void SqlStore::insert_token(const std::string& token_hash, UserId user, std::int64_t issued_at,
                            std::int64_t expires_at) {
    run([&](soci::session& sql) {
        sql << "INSERT INTO tokens(token_hash, user_id, issued_at, expires_at, revoked)"
               " VALUES(:h, :u, :i, :e, 0)",
            soci::use(token_hash), soci::use(user), soci::use(issued_at), soci::use(expires_at);
    });
}

std::optional<TokenRecord> SqlStore::find_token(const std::string& token_hash) {
    return with_hot_queries([&](HotQueries& q) { return q.token.run(token_hash); });
}

bool SqlStore::revoke_token(const std::string& token_hash) {
    return run([&](soci::session& sql) {
        soci::statement st = (sql.prepare << "UPDATE tokens SET revoked = 1 WHERE token_hash = :h AND revoked = 0",
                              soci::use(token_hash));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

void SqlStore::revoke_user_tokens(UserId user) {
    run([&](soci::session& sql) {
        sql << "UPDATE tokens SET revoked = 1 WHERE user_id = :u", soci::use(user);
    });
}

void SqlStore::purge_expired_tokens(std::int64_t now) {
    run([&](soci::session& sql) {
        sql << "DELETE FROM tokens WHERE expires_at < :n", soci::use(now);
    });
}

namespace {

// The owner's row, locked for this transaction on the server databases so that concurrent
// inserts for one user count each other (SQLite's write transaction already excludes them).
void lock_owner(soci::session& sql, DbBackend backend, long long owner) {
    if (backend == DbBackend::sqlite) return;
    long long id = 0;
    sql << "SELECT id FROM users WHERE id = :o FOR UPDATE", soci::use(owner), soci::into(id);
}

void check_document_quota(soci::session& sql, DbBackend backend, const Document& doc, const StorageQuota& quota) {
    if (quota.documents <= 0 && quota.bytes <= 0) return;
    const long long owner = doc.owner;
    lock_owner(sql, backend, owner);
    long long count = 0, bytes = 0;
    sql << "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM documents WHERE ownerid = :o", soci::use(owner),
        soci::into(count), soci::into(bytes);
    if (quota.documents > 0 && count >= quota.documents)
        throw QuotaExceeded{QuotaExceeded::Kind::documents, quota.documents, count};
    if (quota.bytes > 0 && bytes + doc.size > quota.bytes)
        throw QuotaExceeded{QuotaExceeded::Kind::bytes, quota.bytes, bytes};
}

void check_version_quota(soci::session& sql, DbBackend backend, DocumentId document, const StorageQuota& quota) {
    if (quota.versions <= 0) return;
    const long long d = document;
    long long owner = 0;
    sql << "SELECT ownerid FROM documents WHERE id = :d", soci::use(d), soci::into(owner);
    if (!sql.got_data()) return;  // the insert itself reports the missing document
    lock_owner(sql, backend, owner);
    long long count = 0;
    sql << "SELECT COUNT(*) FROM versions v JOIN documents d ON d.id = v.documentid WHERE d.ownerid = :o",
        soci::use(owner), soci::into(count);
    if (count >= quota.versions) throw QuotaExceeded{QuotaExceeded::Kind::versions, quota.versions, count};
}

}  // namespace

DocumentId SqlStore::insert_document(const Document& doc, const StorageQuota& quota) {
    return run([&](soci::session& sql) -> DocumentId {
        WriteTransaction tr(sql, config_.backend);
        check_document_quota(sql, config_.backend, doc, quota);
        long long id = 0;
        sql << "INSERT INTO documents(name, path, ownerid, creation, sha256, size)"
               " VALUES(:n, :p, :o, :c, :s, :z) RETURNING id",
            soci::use(doc.name), soci::use(doc.path), soci::use(doc.owner), soci::use(doc.creation),
            soci::use(doc.sha256), soci::use(doc.size), soci::into(id);
        tr.commit();
        return id;
    });
}

std::vector<Document> SqlStore::list_documents(UserId owner) {
    return with_hot_queries([&](HotQueries& q) { return q.documents.run(owner); });
}

static std::optional<Document> one_document(soci::session& sql, DocumentId id, UserId owner) {
    const long long i = id, o = owner;
    DocumentRow r;
    sql << std::string("SELECT ") + kDocumentColumns + " FROM documents WHERE id = :i AND ownerid = :o", soci::use(i),
        soci::use(o), soci::into(r.id), soci::into(r.owner), soci::into(r.name), soci::into(r.path),
        soci::into(r.creation), soci::into(r.sha256), soci::into(r.size);
    if (!sql.got_data()) return std::nullopt;
    return r.value();
}

// Runs a versions query (kVersionColumns first) and collects every row.
template <class... Uses>
static std::vector<Version> versions_of(soci::session& sql, const std::string& text, Uses&&... uses) {
    std::vector<Version> out;
    VersionRow r;
    soci::details::prepare_temp_type prep = (sql.prepare << text);
    (prep, ..., std::forward<Uses>(uses));
    prep, soci::into(r.id), soci::into(r.document_id), soci::into(r.link), soci::into(r.intended_for),
        soci::into(r.secret), soci::into(r.method), soci::into(r.position, r.position_ind), soci::into(r.path);
    soci::statement st(prep);
    st.execute();
    while (st.fetch()) out.push_back(r.value());
    return out;
}

// Versions of the owner's documents, optionally of one document only.
static std::vector<Version> owned_versions(soci::session& sql, UserId owner, std::optional<DocumentId> doc) {
    const long long o = owner, d = doc.value_or(0);
    // Positional binds: PostgreSQL's backend cannot bind one name twice.
    return versions_of(sql,
                       std::string("SELECT ") + kVersionColumns +
                           " FROM versions v JOIN documents d ON d.id = v.documentid"
                           " WHERE d.ownerid = :o AND (:d1 = 0 OR d.id = :d2) ORDER BY v.id",
                       soci::use(o), soci::use(d), soci::use(d));
}

std::optional<Document> SqlStore::find_document(DocumentId id, UserId owner) {
    return run([&](soci::session& sql) { return one_document(sql, id, owner); });
}

bool SqlStore::document_exists(DocumentId id) {
    return run([&](soci::session& sql) {
        const long long i = id;
        int found = 0;
        soci::indicator ind = soci::i_null;
        sql << "SELECT 1 FROM documents WHERE id = :i", soci::use(i), soci::into(found, ind);
        return sql.got_data() && ind == soci::i_ok && found == 1;
    });
}

std::optional<std::vector<Version>> SqlStore::delete_document(DocumentId id, UserId owner) {
    return run([&](soci::session& sql) -> std::optional<std::vector<Version>> {
        WriteTransaction tr(sql, config_.backend);
        if (!one_document(sql, id, owner)) return std::nullopt;
        auto versions = owned_versions(sql, owner, id);
        const long long i = id;
        sql << "DELETE FROM versions WHERE documentid = :i", soci::use(i);
        sql << "DELETE FROM documents WHERE id = :i", soci::use(i);
        tr.commit();
        return versions;
    });
}

static VersionId insert_version_row(soci::session& sql, const Version& v) {
    long long id = 0;
    soci::indicator pos_ind = v.position ? soci::i_ok : soci::i_null;
    const std::string pos = v.position.value_or("");
    sql << "INSERT INTO versions(documentid, link, intended_for, secret, method, position, path)"
           " VALUES(:d, :l, :f, :s, :m, :p, :path) RETURNING id",
        soci::use(v.document_id), soci::use(v.link), soci::use(v.intended_for), soci::use(v.secret),
        soci::use(v.method), soci::use(pos, pos_ind), soci::use(v.path), soci::into(id);
    return id;
}

VersionId SqlStore::insert_version(const Version& v, const StorageQuota& quota) {
    return run([&](soci::session& sql) {
        WriteTransaction tr(sql, config_.backend);
        check_version_quota(sql, config_.backend, v.document_id, quota);
        const VersionId id = insert_version_row(sql, v);
        tr.commit();
        return id;
    });
}

std::vector<Version> SqlStore::list_versions(DocumentId doc, UserId owner) {
    return run([&](soci::session& sql) {
        return owned_versions(sql, owner, doc);
    });
}

std::vector<Version> SqlStore::list_all_versions(UserId owner) {
    return run([&](soci::session& sql) {
        return owned_versions(sql, owner, std::nullopt);
    });
}

std::optional<Version> SqlStore::find_version_by_link(const std::string& link) {
    return run([&](soci::session& sql) -> std::optional<Version> {
        auto found = versions_of(sql, std::string("SELECT ") + kVersionColumns + " FROM versions v WHERE v.link = :l",
                                 soci::use(link));
        if (found.empty()) return std::nullopt;
        return found.front();
    });
}

bool SqlStore::add_rmap_session(const RmapSession& s, std::int64_t purge_before, int max_pending) {
    return run([&](soci::session& sql) {
        // Begun as a writer (and writing first): concurrent msg1 count each other's rows.
        WriteTransaction tr(sql, config_.backend);
        sql << "DELETE FROM rmap_sessions WHERE expires_at < :p", soci::use(purge_before);
        long long pending = 0;
        sql << "SELECT COUNT(*) FROM rmap_sessions WHERE identity = :i AND result IS NULL AND expires_at > :n",
            soci::use(s.identity), soci::use(s.created_at), soci::into(pending);
        if (pending >= max_pending) {
            tr.commit();  // the purge stands
            return false;
        }
        try {
            sql << "INSERT INTO rmap_sessions(nonce_server, identity, nonce_client, session_id, created_at, expires_at)"
                   " VALUES(:ns, :i, :nc, :sid, :c, :e)",
                soci::use(s.nonce_server), soci::use(s.identity), soci::use(s.nonce_client), soci::use(s.session_id),
                soci::use(s.created_at), soci::use(s.expires_at);
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) throw Error(Errc::conflict, "nonce already in use");
            throw;
        }
        tr.commit();
        return true;
    });
}

static std::optional<RmapSession> one_rmap_session(soci::session& sql, const std::string& nonce_server) {
    RmapSession s;
    long long created = 0, expires = 0;
    std::string result;
    soci::indicator result_ind = soci::i_null;
    sql << "SELECT nonce_server, identity, nonce_client, session_id, created_at, expires_at, result"
           " FROM rmap_sessions WHERE nonce_server = :n",
        soci::use(nonce_server), soci::into(s.nonce_server), soci::into(s.identity), soci::into(s.nonce_client),
        soci::into(s.session_id), soci::into(created), soci::into(expires), soci::into(result, result_ind);
    if (!sql.got_data()) return std::nullopt;
    s.created_at = created;
    s.expires_at = expires;
    if (result_ind == soci::i_ok) s.result = result;
    return s;
}

std::optional<RmapSession> SqlStore::find_rmap_session(const std::string& nonce_server) {
    return run([&](soci::session& sql) { return one_rmap_session(sql, nonce_server); });
}

std::optional<VersionId> SqlStore::complete_rmap_session(const std::string& nonce_server, const Version& v) {
    return run([&](soci::session& sql) -> std::optional<VersionId> {
        WriteTransaction tr(sql, config_.backend);
        // Claim the session first: only one writer can move it from pending to completed.
        soci::statement claim = (sql.prepare << "UPDATE rmap_sessions SET result = :r"
                                                " WHERE nonce_server = :n AND result IS NULL",
                                 soci::use(v.link), soci::use(nonce_server));
        claim.execute(true);
        if (claim.get_affected_rows() != 1) return std::nullopt;  // rolled back by tr
        VersionId id = 0;
        try {
            id = insert_version_row(sql, v);
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) return std::nullopt;
            throw;
        }
        tr.commit();
        return id;
    });
}

std::vector<std::string> SqlStore::all_file_paths() {
    return run([&](soci::session& sql) {
        std::vector<std::string> out;
        soci::rowset<std::string> docs = sql.prepare << "SELECT path FROM documents";
        for (const auto& p : docs) out.push_back(p);
        soci::rowset<std::string> vers = sql.prepare << "SELECT path FROM versions";
        for (const auto& p : vers) out.push_back(p);
        return out;
    });
}

void SqlStore::import_user(const User& user, const std::string& email_key) {
    run([&](soci::session& sql) {
        const long long now = static_cast<long long>(std::time(nullptr));
        try {
            sql << "INSERT INTO users(id, email, email_key, login, hpassword, created_at)"
                   " VALUES(:i, :e, :k, :l, :h, :t)",
                soci::use(user.id), soci::use(user.email), soci::use(email_key), soci::use(user.login),
                soci::use(user.password_hash), soci::use(now);
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) throw Error(Errc::conflict, "id, email or login already exists");
            throw;
        }
    });
}

void SqlStore::import_document(const Document& doc, bool with_document, const std::vector<Version>& versions) {
    run([&](soci::session& sql) {
        WriteTransaction tr(sql, config_.backend);
        try {
            if (with_document)
                sql << "INSERT INTO documents(id, name, path, ownerid, creation, sha256, size)"
                       " VALUES(:i, :n, :p, :o, :c, :s, :z)",
                    soci::use(doc.id), soci::use(doc.name), soci::use(doc.path), soci::use(doc.owner),
                    soci::use(doc.creation), soci::use(doc.sha256), soci::use(doc.size);
            for (const auto& v : versions) {
                soci::indicator pos_ind = v.position ? soci::i_ok : soci::i_null;
                const std::string pos = v.position.value_or("");
                sql << "INSERT INTO versions(id, documentid, link, intended_for, secret, method, position, path)"
                       " VALUES(:i, :d, :l, :f, :s, :m, :p, :path)",
                    soci::use(v.id), soci::use(v.document_id), soci::use(v.link), soci::use(v.intended_for),
                    soci::use(v.secret), soci::use(v.method), soci::use(pos, pos_ind), soci::use(v.path);
            }
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) throw Error(Errc::conflict, "id, path or link already exists");
            throw;
        }
        tr.commit();
    });
}

static bool exists(soci::session& sql, const std::string& query, const auto& key) {
    int one = 0;
    sql << query, soci::use(key), soci::into(one);
    return sql.got_data();
}

bool SqlStore::document_id_taken(DocumentId id) {
    return run([&](soci::session& sql) { return exists(sql, "SELECT 1 FROM documents WHERE id = :i", id); });
}

bool SqlStore::version_id_taken(VersionId id) {
    return run([&](soci::session& sql) { return exists(sql, "SELECT 1 FROM versions WHERE id = :i", id); });
}

bool SqlStore::version_link_taken(const std::string& link) {
    return run([&](soci::session& sql) { return exists(sql, "SELECT 1 FROM versions WHERE link = :l", link); });
}

void SqlStore::finish_import() {
    if (config_.backend != DbBackend::postgresql) return;
    run([&](soci::session& sql) {
        for (const char* table : {"users", "documents", "versions"}) {
            // Table names are constants here, never input.
            long long next = 0;
            sql << std::string("SELECT setval(pg_get_serial_sequence('") + table +
                       "', 'id'), GREATEST(COALESCE(MAX(id), 0), 1), MAX(id) IS NOT NULL) FROM " + table,
                soci::into(next);
        }
    });
}

}  // namespace tatou

namespace tatou {

// Locks and blocks are an operator's short lists; more than this many is refused by policy.
constexpr std::size_t kMaxContainmentRows = 10000;

// Replacing is delete + insert in one transaction: portable across SQLite, MariaDB, PostgreSQL.
void SqlStore::set_account_lock(UserId user, std::int64_t until, std::int64_t now) {
    run([&](soci::session& sql) {
        WriteTransaction tr(sql, config_.backend);
        sql << "DELETE FROM account_locks WHERE user_id = :u", soci::use(user);
        sql << "INSERT INTO account_locks(user_id, until_at, created_at) VALUES(:u, :t, :n)", soci::use(user),
            soci::use(until), soci::use(now);
        tr.commit();
    });
}

bool SqlStore::remove_account_lock(UserId user) {
    return run([&](soci::session& sql) {
        const long long u = user;
        soci::statement st = (sql.prepare << "DELETE FROM account_locks WHERE user_id = :u", soci::use(u));
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
}

std::vector<std::pair<UserId, std::int64_t>> SqlStore::account_locks() {
    return run([&](soci::session& sql) {
        // Typed bulk reads: SOCI's generic rows truncate SQLite integers above 2^31.
        std::vector<long long> users(kMaxContainmentRows), untils(kMaxContainmentRows);
        sql << "SELECT user_id, until_at FROM account_locks", soci::into(users), soci::into(untils);
        std::vector<std::pair<UserId, std::int64_t>> out;
        for (std::size_t i = 0; i < users.size(); ++i) out.emplace_back(users[i], untils[i]);
        return out;
    });
}

void SqlStore::set_ip_block(const std::string& cidr, std::int64_t until, std::int64_t now) {
    run([&](soci::session& sql) {
        WriteTransaction tr(sql, config_.backend);
        sql << "DELETE FROM ip_blocks WHERE cidr = :c", soci::use(cidr);
        sql << "INSERT INTO ip_blocks(cidr, until_at, created_at) VALUES(:c, :t, :n)", soci::use(cidr),
            soci::use(until), soci::use(now);
        tr.commit();
    });
}

bool SqlStore::remove_ip_block(const std::string& cidr) {
    return run([&](soci::session& sql) {
        soci::statement st = (sql.prepare << "DELETE FROM ip_blocks WHERE cidr = :c", soci::use(cidr));
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
}

std::vector<std::pair<std::string, std::int64_t>> SqlStore::ip_blocks() {
    return run([&](soci::session& sql) {
        std::vector<std::string> cidrs(kMaxContainmentRows);
        std::vector<long long> untils(kMaxContainmentRows);
        sql << "SELECT cidr, until_at FROM ip_blocks", soci::into(cidrs), soci::into(untils);
        std::vector<std::pair<std::string, std::int64_t>> out;
        for (std::size_t i = 0; i < cidrs.size(); ++i) out.emplace_back(cidrs[i], untils[i]);
        return out;
    });
}

std::optional<std::string> SqlStore::state_value(const std::string& name) {
    return run([&](soci::session& sql) -> std::optional<std::string> {
        std::string value;
        soci::indicator ind = soci::i_null;
        sql << "SELECT value FROM server_state WHERE name = :n", soci::use(name), soci::into(value, ind);
        if (!sql.got_data() || ind != soci::i_ok) return std::nullopt;
        return value;
    });
}

void SqlStore::set_state_value(const std::string& name, const std::string& value) {
    run([&](soci::session& sql) {
        WriteTransaction tr(sql, config_.backend);
        sql << "DELETE FROM server_state WHERE name = :n", soci::use(name);
        sql << "INSERT INTO server_state(name, value) VALUES(:n, :v)", soci::use(name), soci::use(value);
        tr.commit();
    });
}

void SqlStore::set_login_lock(const std::string& email_hash, std::int64_t until, std::int64_t now) {
    run([&](soci::session& sql) {
        const long long u = until, n = now;
        WriteTransaction tr(sql, config_.backend);
        sql << "DELETE FROM login_locks WHERE email_hash = :h OR until_at <= :n", soci::use(email_hash), soci::use(n);
        sql << "INSERT INTO login_locks(email_hash, until_at, created_at) VALUES(:h, :t, :n)", soci::use(email_hash),
            soci::use(u), soci::use(n);
        tr.commit();
    });
}

std::optional<std::int64_t> SqlStore::login_lock(const std::string& email_hash, std::int64_t now) {
    return run([&](soci::session& sql) -> std::optional<std::int64_t> {
        const long long n = now;
        long long until = 0;
        soci::indicator ind = soci::i_null;
        sql << "SELECT until_at FROM login_locks WHERE email_hash = :h AND until_at > :n", soci::use(email_hash),
            soci::use(n), soci::into(until, ind);
        if (!sql.got_data() || ind != soci::i_ok) return std::nullopt;
        return until;
    });
}

std::int64_t SqlStore::count_login_locks(std::int64_t now) {
    return run([&](soci::session& sql) {
        long long n = 0;
        sql << "SELECT COUNT(*) FROM login_locks WHERE until_at > :n", soci::use(now), soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

bool SqlStore::remove_login_lock(const std::string& email_hash) {
    return run([&](soci::session& sql) {
        soci::statement st = (sql.prepare << "DELETE FROM login_locks WHERE email_hash = :h", soci::use(email_hash));
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
}

}  // namespace tatou

namespace tatou {

// Incident records. Text columns that stay empty until close are NULL in the database.
// Incident records: typed reads (SOCI's generic rows truncate SQLite integers above 2^31).
IncidentId SqlStore::create_incident(const Incident& incident) {
    return run([&](soci::session& sql) -> IncidentId {
        long long id = 0;
        const int severity = incident.severity;
        sql << "INSERT INTO incidents(title, severity, status, opened_at, opened_by)"
               " VALUES(:t, :s, 'open', :o, :b) RETURNING id",
            soci::use(incident.title), soci::use(severity), soci::use(incident.opened_at),
            soci::use(incident.opened_by), soci::into(id);
        return id;
    });
}

std::optional<Incident> SqlStore::find_incident(IncidentId id) {
    return run([&](soci::session& sql) -> std::optional<Incident> {
        const long long i = id;
        Incident out;
        long long got_id = 0, opened = 0, closed = 0;
        int severity = 0;
        std::string summary, lessons, functional, information, recoverability;
        soci::indicator closed_ind = soci::i_null, s_ind = soci::i_null, l_ind = soci::i_null, f_ind = soci::i_null,
                        n_ind = soci::i_null, r_ind = soci::i_null;
        sql << "SELECT id, title, severity, status, opened_at, opened_by, closed_at, summary, lessons,"
               " impact_functional, impact_information, impact_recoverability FROM incidents WHERE id = :i",
            soci::use(i), soci::into(got_id), soci::into(out.title), soci::into(severity), soci::into(out.status),
            soci::into(opened), soci::into(out.opened_by), soci::into(closed, closed_ind), soci::into(summary, s_ind),
            soci::into(lessons, l_ind), soci::into(functional, f_ind), soci::into(information, n_ind),
            soci::into(recoverability, r_ind);
        if (!sql.got_data()) return std::nullopt;
        out.id = got_id;
        out.severity = severity;
        out.opened_at = opened;
        if (closed_ind == soci::i_ok) out.closed_at = closed;
        if (s_ind == soci::i_ok) out.summary = summary;
        if (l_ind == soci::i_ok) out.lessons = lessons;
        if (f_ind == soci::i_ok) out.impact_functional = functional;
        if (n_ind == soci::i_ok) out.impact_information = information;
        if (r_ind == soci::i_ok) out.impact_recoverability = recoverability;
        return out;
    });
}

void SqlStore::add_incident_note(const IncidentNote& note) {
    run([&](soci::session& sql) {
        sql << "INSERT INTO incident_notes(incident_id, at_ms, kind, author, body) VALUES(:i, :a, :k, :w, :b)",
            soci::use(note.incident_id), soci::use(note.at), soci::use(note.kind), soci::use(note.author),
            soci::use(note.text);
    });
}

std::vector<IncidentNote> SqlStore::incident_notes(IncidentId id) {
    return run([&](soci::session& sql) {
        constexpr std::size_t kMaxNotes = 10000;
        const long long i = id;
        std::vector<long long> ids(kMaxNotes), incidents(kMaxNotes), ats(kMaxNotes);
        std::vector<std::string> kinds(kMaxNotes), authors(kMaxNotes), bodies(kMaxNotes);
        sql << "SELECT id, incident_id, at_ms, kind, author, body FROM incident_notes"
               " WHERE incident_id = :i ORDER BY at_ms, id",
            soci::use(i), soci::into(ids), soci::into(incidents), soci::into(ats), soci::into(kinds),
            soci::into(authors), soci::into(bodies);
        std::vector<IncidentNote> out;
        for (std::size_t k = 0; k < ids.size(); ++k)
            out.push_back({ids[k], incidents[k], ats[k], kinds[k], authors[k], bodies[k]});
        return out;
    });
}

bool SqlStore::close_incident(const Incident& closed) {
    return run([&](soci::session& sql) {
        const long long at = closed.closed_at.value_or(0), i = closed.id;
        soci::statement st =
            (sql.prepare << "UPDATE incidents SET status = 'closed', closed_at = :c, summary = :s, lessons = :l,"
                            " impact_functional = :f, impact_information = :n, impact_recoverability = :r"
                            " WHERE id = :i AND status = 'open'",
             soci::use(at), soci::use(closed.summary), soci::use(closed.lessons),
             soci::use(closed.impact_functional), soci::use(closed.impact_information),
             soci::use(closed.impact_recoverability), soci::use(i));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

}  // namespace tatou
