#include "store/sql_store.hpp"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "store/hot_queries.hpp"
#include "store/migrations.hpp"

namespace tatou {
namespace {

bool is_unique_violation(const soci::soci_error& e) {
    if (e.get_error_category() == soci::soci_error::constraint_violation) return true;
    const std::string what = e.what();
    return what.find("UNIQUE") != std::string::npos || what.find("Duplicate entry") != std::string::npos ||
           what.find("duplicate key") != std::string::npos;
}

[[noreturn]] void unavailable(const std::exception& e) {
    // The driver text may hold table names or credentials: it goes to the diagnostic log only.
    spdlog::error("database error: {}", e.what());
    throw Error(Errc::unavailable, "database unavailable");
}

// Runs one unit of database work; maps driver failures to Errc::unavailable.
template <class F>
auto guarded(soci::connection_pool& pool, F&& work) {
    try {
        soci::session sql(pool);
        return work(sql);
    } catch (const Error&) {
        throw;
    } catch (const soci::soci_error& e) {
        unavailable(e);
    } catch (const std::runtime_error& e) {
        unavailable(e);
    }
}

long long ll(std::int64_t v) { return static_cast<long long>(v); }

// Backends report integer columns as int, long long or unsigned depending on the declared type.
std::int64_t int_at(const soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_unsigned_long_long: return static_cast<std::int64_t>(r.get<unsigned long long>(i));
        case soci::dt_long_long: return r.get<long long>(i);
        default: return static_cast<std::int64_t>(r.get<double>(i));
    }
}

Document document_from(const soci::row& r) {
    Document d;
    d.id = int_at(r, 0);
    d.owner = int_at(r, 1);
    d.name = r.get<std::string>(2);
    d.path = r.get<std::string>(3);
    d.creation = r.get<std::string>(4);
    d.sha256 = r.get<std::string>(5);
    d.size = int_at(r, 6);
    return d;
}

Version version_from(const soci::row& r) {
    Version v;
    v.id = int_at(r, 0);
    v.document_id = int_at(r, 1);
    v.link = r.get<std::string>(2);
    v.intended_for = r.get<std::string>(3);
    v.secret = r.get<std::string>(4);
    v.method = r.get<std::string>(5);
    if (r.get_indicator(6) == soci::i_ok) v.position = r.get<std::string>(6);
    v.path = r.get<std::string>(7);
    return v;
}

constexpr const char* kDocumentColumns = "id, ownerid, name, path, creation, sha256, size";
constexpr const char* kVersionColumns =
    "v.id, v.documentid, v.link, v.intended_for, v.secret, v.method, v.position, v.path";

}  // namespace

SqlStore::SqlStore(const DbConfig& config) : config_(config) {
    try {
        pool_ = std::make_unique<soci::connection_pool>(config.pool_size);
        for (std::size_t i = 0; i < config.pool_size; ++i) {
            auto& s = pool_->at(i);
            switch (config.backend) {
                case DbBackend::sqlite:
                    s.open(*soci::factory_sqlite3(), config.soci_connect);
                    s << "PRAGMA journal_mode=WAL";
                    s << "PRAGMA synchronous=FULL";  // an acknowledged write survives kill -9
                    s << "PRAGMA foreign_keys=ON";
                    break;
                case DbBackend::mysql:
                case DbBackend::postgresql:
                    throw Error(Errc::unavailable, "this build has no driver for that database backend");
            }
        }
        soci::session sql(*pool_);
        migrate(sql, config.backend);
        hot_.resize(config.pool_size);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        unavailable(e);
    }
}

SqlStore::~SqlStore() = default;

template <class F>
auto SqlStore::with_hot_queries(F&& work) {
    const std::size_t slot = pool_->lease();
    struct GiveBack {
        soci::connection_pool& pool;
        std::size_t slot;
        ~GiveBack() { pool.give_back(slot); }
    } give_back{*pool_, slot};
    try {
        if (!hot_[slot]) hot_[slot] = std::make_unique<HotQueries>(pool_->at(slot));
        return work(*hot_[slot]);
    } catch (const soci::soci_error& e) {
        hot_[slot].reset();  // prepared again on next use, after the connection recovers
        unavailable(e);
    } catch (const std::runtime_error& e) {
        hot_[slot].reset();
        unavailable(e);
    }
}

int SqlStore::schema_version() {
    return guarded(*pool_, [](soci::session& sql) { return current_schema_version(sql); });
}

bool SqlStore::ping() {
    try {
        soci::session sql(*pool_);
        int one = 0;
        sql << "SELECT 1", soci::into(one);
        return one == 1;
    } catch (const std::exception&) {
        return false;
    }
}

UserId SqlStore::create_user(const User& user, const std::string& email_key) {
    return guarded(*pool_, [&](soci::session& sql) -> UserId {
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
    return guarded(*pool_, [&](soci::session& sql) { return one_user(sql, "email_key = :k", email_key); });
}

std::optional<User> SqlStore::find_user(UserId id) {
    return guarded(*pool_, [&](soci::session& sql) { return one_user(sql, "id = :k", ll(id)); });
}

void SqlStore::set_password_hash(UserId id, const std::string& hash) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "UPDATE users SET hpassword = :h WHERE id = :i", soci::use(hash), soci::use(ll(id));
    });
}

void SqlStore::insert_token(const std::string& token_hash, UserId user, std::int64_t issued_at,
                            std::int64_t expires_at) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "INSERT INTO tokens(token_hash, user_id, issued_at, expires_at, revoked)"
               " VALUES(:h, :u, :i, :e, 0)",
            soci::use(token_hash), soci::use(ll(user)), soci::use(ll(issued_at)), soci::use(ll(expires_at));
    });
}

std::optional<TokenRecord> SqlStore::find_token(const std::string& token_hash) {
    return with_hot_queries([&](HotQueries& q) { return q.token.run(token_hash); });
}

void SqlStore::revoke_token(const std::string& token_hash) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "UPDATE tokens SET revoked = 1 WHERE token_hash = :h", soci::use(token_hash);
    });
}

void SqlStore::revoke_user_tokens(UserId user) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "UPDATE tokens SET revoked = 1 WHERE user_id = :u", soci::use(ll(user));
    });
}

void SqlStore::purge_expired_tokens(std::int64_t now) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "DELETE FROM tokens WHERE expires_at < :n", soci::use(ll(now));
    });
}

DocumentId SqlStore::insert_document(const Document& doc) {
    return guarded(*pool_, [&](soci::session& sql) -> DocumentId {
        long long id = 0;
        sql << "INSERT INTO documents(name, path, ownerid, creation, sha256, size)"
               " VALUES(:n, :p, :o, :c, :s, :z) RETURNING id",
            soci::use(doc.name), soci::use(doc.path), soci::use(ll(doc.owner)), soci::use(doc.creation),
            soci::use(doc.sha256), soci::use(ll(doc.size)), soci::into(id);
        return id;
    });
}

std::vector<Document> SqlStore::list_documents(UserId owner) {
    return with_hot_queries([&](HotQueries& q) { return q.documents.run(owner); });
}

static std::optional<Document> one_document(soci::session& sql, DocumentId id, UserId owner) {
    const long long i = id, o = owner;
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT " << kDocumentColumns
                                                << " FROM documents WHERE id = :i AND ownerid = :o",
                                    soci::use(i), soci::use(o));
    for (const auto& r : rows) return document_from(r);
    return std::nullopt;
}

// Versions of the owner's documents, optionally of one document only.
static std::vector<Version> owned_versions(soci::session& sql, UserId owner, std::optional<DocumentId> doc) {
    std::vector<Version> out;
    const long long o = owner, d = doc.value_or(0);
    const std::string sql_text = std::string("SELECT ") + kVersionColumns +
                                 " FROM versions v JOIN documents d ON d.id = v.documentid"
                                 " WHERE d.ownerid = :o AND (:d = 0 OR d.id = :d) ORDER BY v.id";
    soci::rowset<soci::row> rows = (sql.prepare << sql_text, soci::use(o, "o"), soci::use(d, "d"));
    for (const auto& r : rows) out.push_back(version_from(r));
    return out;
}

std::optional<Document> SqlStore::find_document(DocumentId id, UserId owner) {
    return guarded(*pool_, [&](soci::session& sql) { return one_document(sql, id, owner); });
}

bool SqlStore::document_exists(DocumentId id) {
    return guarded(*pool_, [&](soci::session& sql) {
        const long long i = id;
        int found = 0;
        soci::indicator ind = soci::i_null;
        sql << "SELECT 1 FROM documents WHERE id = :i", soci::use(i), soci::into(found, ind);
        return sql.got_data() && ind == soci::i_ok && found == 1;
    });
}

std::optional<std::vector<Version>> SqlStore::delete_document(DocumentId id, UserId owner) {
    return guarded(*pool_, [&](soci::session& sql) -> std::optional<std::vector<Version>> {
        soci::transaction tr(sql);
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
        soci::use(ll(v.document_id)), soci::use(v.link), soci::use(v.intended_for), soci::use(v.secret),
        soci::use(v.method), soci::use(pos, pos_ind), soci::use(v.path), soci::into(id);
    return id;
}

VersionId SqlStore::insert_version(const Version& v) {
    return guarded(*pool_, [&](soci::session& sql) { return insert_version_row(sql, v); });
}

std::vector<Version> SqlStore::list_versions(DocumentId doc, UserId owner) {
    return guarded(*pool_, [&](soci::session& sql) {
        return owned_versions(sql, owner, doc);
    });
}

std::vector<Version> SqlStore::list_all_versions(UserId owner) {
    return guarded(*pool_, [&](soci::session& sql) {
        return owned_versions(sql, owner, std::nullopt);
    });
}

std::optional<Version> SqlStore::find_version_by_link(const std::string& link) {
    return guarded(*pool_, [&](soci::session& sql) -> std::optional<Version> {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT " << kVersionColumns << " FROM versions v WHERE v.link = :l", soci::use(link));
        for (const auto& r : rows) return version_from(r);
        return std::nullopt;
    });
}

void SqlStore::replace_rmap_session(const RmapSession& s, std::int64_t purge_before) {
    guarded(*pool_, [&](soci::session& sql) {
        soci::transaction tr(sql);
        sql << "DELETE FROM rmap_sessions WHERE expires_at < :p", soci::use(ll(purge_before));
        sql << "DELETE FROM rmap_sessions WHERE identity = :i AND result IS NULL", soci::use(s.identity);
        try {
            sql << "INSERT INTO rmap_sessions(nonce_server, identity, nonce_client, session_id, created_at, expires_at)"
                   " VALUES(:ns, :i, :nc, :sid, :c, :e)",
                soci::use(s.nonce_server), soci::use(s.identity), soci::use(s.nonce_client), soci::use(s.session_id),
                soci::use(ll(s.created_at)), soci::use(ll(s.expires_at));
        } catch (const soci::soci_error& e) {
            if (is_unique_violation(e)) throw Error(Errc::conflict, "nonce already in use");
            throw;
        }
        tr.commit();
    });
}

static std::optional<RmapSession> one_rmap_session(soci::session& sql, const std::string& nonce_server) {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT nonce_server, identity, nonce_client, session_id, created_at, expires_at, result"
                        " FROM rmap_sessions WHERE nonce_server = :n",
         soci::use(nonce_server));
    for (const auto& r : rows) {
        RmapSession s;
        s.nonce_server = r.get<std::string>(0);
        s.identity = r.get<std::string>(1);
        s.nonce_client = r.get<std::string>(2);
        s.session_id = r.get<std::string>(3);
        s.created_at = int_at(r, 4);
        s.expires_at = int_at(r, 5);
        if (r.get_indicator(6) == soci::i_ok) s.result = r.get<std::string>(6);
        return s;
    }
    return std::nullopt;
}

std::optional<RmapSession> SqlStore::find_rmap_session(const std::string& nonce_server) {
    return guarded(*pool_, [&](soci::session& sql) { return one_rmap_session(sql, nonce_server); });
}

std::optional<VersionId> SqlStore::complete_rmap_session(const std::string& nonce_server, const Version& v) {
    return guarded(*pool_, [&](soci::session& sql) -> std::optional<VersionId> {
        soci::transaction tr(sql);
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
    return guarded(*pool_, [&](soci::session& sql) {
        std::vector<std::string> out;
        soci::rowset<std::string> docs = sql.prepare << "SELECT path FROM documents";
        for (const auto& p : docs) out.push_back(p);
        soci::rowset<std::string> vers = sql.prepare << "SELECT path FROM versions";
        for (const auto& p : vers) out.push_back(p);
        return out;
    });
}

}  // namespace tatou

namespace tatou {

// Replacing is delete + insert in one transaction: portable across SQLite, MariaDB, PostgreSQL.
void SqlStore::set_account_lock(UserId user, std::int64_t until, std::int64_t now) {
    guarded(*pool_, [&](soci::session& sql) {
        soci::transaction tr(sql);
        sql << "DELETE FROM account_locks WHERE user_id = :u", soci::use(ll(user));
        sql << "INSERT INTO account_locks(user_id, until_at, created_at) VALUES(:u, :t, :n)", soci::use(ll(user)),
            soci::use(ll(until)), soci::use(ll(now));
        tr.commit();
    });
}

bool SqlStore::remove_account_lock(UserId user) {
    return guarded(*pool_, [&](soci::session& sql) {
        const long long u = user;
        soci::statement st = (sql.prepare << "DELETE FROM account_locks WHERE user_id = :u", soci::use(u));
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
}

std::vector<std::pair<UserId, std::int64_t>> SqlStore::account_locks() {
    return guarded(*pool_, [&](soci::session& sql) {
        std::vector<std::pair<UserId, std::int64_t>> out;
        soci::rowset<soci::row> rows = (sql.prepare << "SELECT user_id, until_at FROM account_locks");
        for (const auto& row : rows) out.emplace_back(int_at(row, 0), int_at(row, 1));
        return out;
    });
}

void SqlStore::set_ip_block(const std::string& cidr, std::int64_t until, std::int64_t now) {
    guarded(*pool_, [&](soci::session& sql) {
        soci::transaction tr(sql);
        sql << "DELETE FROM ip_blocks WHERE cidr = :c", soci::use(cidr);
        sql << "INSERT INTO ip_blocks(cidr, until_at, created_at) VALUES(:c, :t, :n)", soci::use(cidr),
            soci::use(ll(until)), soci::use(ll(now));
        tr.commit();
    });
}

bool SqlStore::remove_ip_block(const std::string& cidr) {
    return guarded(*pool_, [&](soci::session& sql) {
        soci::statement st = (sql.prepare << "DELETE FROM ip_blocks WHERE cidr = :c", soci::use(cidr));
        st.execute(true);
        return st.get_affected_rows() > 0;
    });
}

std::vector<std::pair<std::string, std::int64_t>> SqlStore::ip_blocks() {
    return guarded(*pool_, [&](soci::session& sql) {
        std::vector<std::pair<std::string, std::int64_t>> out;
        soci::rowset<soci::row> rows = (sql.prepare << "SELECT cidr, until_at FROM ip_blocks");
        for (const auto& row : rows) out.emplace_back(row.get<std::string>(0), int_at(row, 1));
        return out;
    });
}

std::optional<std::string> SqlStore::state_value(const std::string& name) {
    return guarded(*pool_, [&](soci::session& sql) -> std::optional<std::string> {
        std::string value;
        soci::indicator ind = soci::i_null;
        sql << "SELECT value FROM server_state WHERE name = :n", soci::use(name), soci::into(value, ind);
        if (!sql.got_data() || ind != soci::i_ok) return std::nullopt;
        return value;
    });
}

void SqlStore::set_state_value(const std::string& name, const std::string& value) {
    guarded(*pool_, [&](soci::session& sql) {
        soci::transaction tr(sql);
        sql << "DELETE FROM server_state WHERE name = :n", soci::use(name);
        sql << "INSERT INTO server_state(name, value) VALUES(:n, :v)", soci::use(name), soci::use(value);
        tr.commit();
    });
}

}  // namespace tatou

namespace tatou {

// Incident records. Text columns that stay empty until close are NULL in the database.
namespace {

std::string text_or_empty(const soci::row& r, std::size_t i) {
    return r.get_indicator(i) == soci::i_ok ? r.get<std::string>(i) : std::string();
}

}  // namespace

IncidentId SqlStore::create_incident(const Incident& incident) {
    return guarded(*pool_, [&](soci::session& sql) -> IncidentId {
        long long id = 0;
        const int severity = incident.severity;
        sql << "INSERT INTO incidents(title, severity, status, opened_at, opened_by)"
               " VALUES(:t, :s, 'open', :o, :b) RETURNING id",
            soci::use(incident.title), soci::use(severity), soci::use(ll(incident.opened_at)),
            soci::use(incident.opened_by), soci::into(id);
        return id;
    });
}

std::optional<Incident> SqlStore::find_incident(IncidentId id) {
    return guarded(*pool_, [&](soci::session& sql) -> std::optional<Incident> {
        const long long i = id;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, title, severity, status, opened_at, opened_by, closed_at, summary, lessons,"
                            " impact_functional, impact_information, impact_recoverability"
                            " FROM incidents WHERE id = :i",
             soci::use(i));
        for (const auto& r : rows) {
            Incident out;
            out.id = int_at(r, 0);
            out.title = r.get<std::string>(1);
            out.severity = static_cast<int>(int_at(r, 2));
            out.status = r.get<std::string>(3);
            out.opened_at = int_at(r, 4);
            out.opened_by = r.get<std::string>(5);
            if (r.get_indicator(6) == soci::i_ok) out.closed_at = int_at(r, 6);
            out.summary = text_or_empty(r, 7);
            out.lessons = text_or_empty(r, 8);
            out.impact_functional = text_or_empty(r, 9);
            out.impact_information = text_or_empty(r, 10);
            out.impact_recoverability = text_or_empty(r, 11);
            return out;
        }
        return std::nullopt;
    });
}

void SqlStore::add_incident_note(const IncidentNote& note) {
    guarded(*pool_, [&](soci::session& sql) {
        sql << "INSERT INTO incident_notes(incident_id, at_ms, kind, author, body) VALUES(:i, :a, :k, :w, :b)",
            soci::use(ll(note.incident_id)), soci::use(ll(note.at)), soci::use(note.kind), soci::use(note.author),
            soci::use(note.text);
    });
}

std::vector<IncidentNote> SqlStore::incident_notes(IncidentId id) {
    return guarded(*pool_, [&](soci::session& sql) {
        std::vector<IncidentNote> out;
        const long long i = id;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, incident_id, at_ms, kind, author, body FROM incident_notes"
                            " WHERE incident_id = :i ORDER BY at_ms, id",
             soci::use(i));
        for (const auto& r : rows) {
            IncidentNote n;
            n.id = int_at(r, 0);
            n.incident_id = int_at(r, 1);
            n.at = int_at(r, 2);
            n.kind = r.get<std::string>(3);
            n.author = r.get<std::string>(4);
            n.text = r.get<std::string>(5);
            out.push_back(std::move(n));
        }
        return out;
    });
}

bool SqlStore::close_incident(const Incident& closed) {
    return guarded(*pool_, [&](soci::session& sql) {
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
